// The value-weighted switch's windowless parts (issue 18): what the trace worker computes for the
// heatmap and overview, the exports that follow the field, --field and the script's `field`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "attnscope/attribution.h"
#include "attnscope/heatmap_export.h"
#include "gui_unit_helpers.h"
#include "shell/export.h"
#include "workers/trace_worker.h"

namespace attnscope::gui {
namespace {

using namespace unit;  // gui_unit_helpers.h: parse, script_of, wait_until_idle, scratch_dir, fs
using ::testing::HasSubstr;

ModelPtr builtin(const char* name) {
    auto m = load_model(name);
    EXPECT_TRUE(m.ok()) << name;
    return m.ok() ? m.value() : nullptr;
}

std::shared_ptr<const TraceBundle> traced(const ModelPtr& model, const std::string& text, bool value_weighted) {
    TraceWorker worker;
    worker.request(model, text, std::nullopt, value_weighted);
    const TraceStatus s = wait_until_idle(worker);
    EXPECT_TRUE(s.good) << s.error;
    return s.good;
}

// Expected from core's norms (checked against numpy in attribution_test.cpp) and W_O read from
// the model here, each row divided by its sum by hand.
Matrix expected_shares(const Trace& t, const Model& model, int l, int h) {
    Matrix norms = value_weighted_norms(t, l, h, model.head_projection(l, h)->w_o);
    for (Index i = 0; i < norms.rows(); ++i) norms.row(i) /= norms.row(i).sum();
    return norms;
}

TEST(TraceWorker, WeighsEveryHeadByItsValuesWhenAsked) {
    const ModelPtr model = builtin("builtin:bank-decoder");
    ASSERT_TRUE(model);
    const auto b = traced(model, "I went to the bank to get money", true);
    ASSERT_TRUE(b);
    ASSERT_TRUE(b->value_weighted_asked);
    ASSERT_TRUE(b->value_weighted) << b->value_weighted_refusal;
    const Trace& t = *b->trace;
    const ValueWeightedAttention& vw = *b->value_weighted;
    const int L = static_cast<int>(t.layers.size()), H = t.model.n_heads;
    ASSERT_EQ(vw.n_layers, L);
    ASSERT_EQ(vw.n_heads, H);
    float largest_change = 0.0f;  // the shares are not the weights again
    for (int l = 0; l < L; ++l) {
        Matrix layer_norms = Matrix::Zero(t.n_tokens(), t.n_tokens());
        for (int h = 0; h < H; ++h) {
            const Matrix expected = expected_shares(t, *model, l, h);
            const Matrix& shown = vw.shown(l, h, false);
            ASSERT_EQ(shown.rows(), expected.rows());
            EXPECT_LT((shown - expected).cwiseAbs().maxCoeff(), 1e-5f) << "layer " << l << " head " << h;
            largest_change = std::max(largest_change, (shown - t.head(l, h).weights).cwiseAbs().maxCoeff());
            layer_norms += value_weighted_norms(t, l, h, model->head_projection(l, h)->w_o);
        }
        for (Index i = 0; i < layer_norms.rows(); ++i) {
            const float sum = layer_norms.row(i).sum();
            for (Index j = 0; j < layer_norms.cols(); ++j)
                EXPECT_NEAR(vw.shown(l, 0, true)(i, j), layer_norms(i, j) / sum, 1e-5f) << "layer " << l << " row " << i;
        }
    }
    EXPECT_GT(largest_change, 0.01f) << "the values' lengths differ, so some share must differ from its weight";
    ASSERT_TRUE(b->value_weighted_thumbnails);
    EXPECT_EQ(b->value_weighted_thumbnails->rows, L + 1);
    EXPECT_NE(b->value_weighted_thumbnails->texels, b->thumbnails->texels) << "the overview's tiles follow the switch";
}

TEST(TraceWorker, WeighsNothingUnlessAsked) {
    const ModelPtr model = builtin("builtin:bank-decoder");
    ASSERT_TRUE(model);
    const auto b = traced(model, "I went to the bank", false);
    ASSERT_TRUE(b);
    EXPECT_FALSE(b->value_weighted_asked);
    EXPECT_FALSE(b->value_weighted);
    EXPECT_FALSE(b->value_weighted_thumbnails);
}

TEST(TraceWorker, SaysWhyAnEncoderDecoderIsNotWeighed) {
    const ModelPtr model = builtin("builtin:translator");
    ASSERT_TRUE(model);
    const auto b = traced(model, "she sat on the river bank", true);
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->value_weighted_asked);
    EXPECT_FALSE(b->value_weighted);
    EXPECT_THAT(b->value_weighted_refusal, HasSubstr("encoder-decoder"));
    // Its exports refuse the field too, rather than writing weights under a value-weighted title.
    ExportSubject s;
    s.field = HeatmapField::ValueWeighted;
    const auto written = write_export(*b->trace, ExportKind::WeightsCsv, s, scratch_dir() / "vw-translator.csv");
    ASSERT_FALSE(written.ok());
    EXPECT_THAT(written.error().message, HasSubstr("encoder-decoder"));
}

// The heatmap's CSV and SVG write what it shows: the shares, under a title that says so.
TEST(WriteExport, WritesTheValueWeightedSharesTheHeatmapShows) {
    const ModelPtr model = builtin("builtin:bank-decoder");
    ASSERT_TRUE(model);
    const auto b = traced(model, "I went to the bank", true);
    ASSERT_TRUE(b && b->value_weighted);
    ExportSubject s;
    s.layer = 1;
    s.head = 0;
    s.field = HeatmapField::ValueWeighted;
    const fs::path csv = scratch_dir() / "vw.csv", svg = scratch_dir() / "vw.svg";
    ASSERT_TRUE(write_export(*b->trace, ExportKind::WeightsCsv, s, csv).ok());
    ASSERT_TRUE(write_export(*b->trace, ExportKind::HeatmapSvg, s, svg).ok());
    std::ifstream in(csv);
    std::string header, row;
    std::getline(in, header);
    EXPECT_THAT(header, HasSubstr("value-weighted share of the row"));
    const Matrix& shown = b->value_weighted->shown(1, 0, false);
    for (int i = 0; std::getline(in, row); ++i) {
        std::istringstream cells(row);
        std::string label, cell;
        std::getline(cells, label, ',');
        for (int j = 0; std::getline(cells, cell, ','); ++j) EXPECT_NEAR(std::stof(cell), shown(i, j), 1e-5f) << i << "," << j;
    }
    std::stringstream figure;
    figure << std::ifstream(svg).rdbuf();
    EXPECT_THAT(figure.str(), HasSubstr("value-weighted attention"));
    EXPECT_THAT(figure.str(), HasSubstr(">share</text>"));
}

TEST(LaunchOptions, FieldChoosesWhatTheHeatmapShows) {
    const ParsedOptions p = parse({"--field", "value-weighted"});
    ASSERT_TRUE(p.options);
    EXPECT_EQ(p.options->field, HeatmapField::ValueWeighted);
    EXPECT_EQ(parse({"--field", "value-weighted-layer"}).options->field, HeatmapField::ValueWeightedLayer);
    EXPECT_FALSE(parse({}).options->field);
    EXPECT_EQ(parse({"--field", "values"}).exit_code, kExitUsage);
}

TEST(Script, FieldStepNamesAField) {
    const auto steps = script_of("field", "3 field value-weighted-layer\n");
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    EXPECT_EQ(steps.value()[0].kind, ScriptStep::Kind::Field);
    EXPECT_EQ(static_cast<HeatmapField>(steps.value()[0].field), HeatmapField::ValueWeightedLayer);
    const auto bad = script_of("field-bad", "3 field values\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_THAT(bad.error().message, HasSubstr("'field' needs weights, scores, value-weighted or value-weighted-layer"));
}

}  // namespace
}  // namespace attnscope::gui
