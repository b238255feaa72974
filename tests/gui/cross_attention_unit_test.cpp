// An encoder-decoder in the parts of the desktop app that need no window (issue 15, part 5): the
// --target and --attention flags and script steps, the selection kept inside each kind of
// attention, the trace worker's three bundles (checked against core's own trace), cross rows named
// by the word their step writes, and the steps view and exports of a cross head. The model is the
// seq2seq reference script's tiny random BART; without numpy those tests skip.
// Sections: [SECTION] Models  [SECTION] Command line and script  [SECTION] Selection and the trace
// worker  [SECTION] Explanation and export
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app_process.h"
#include "attnscope/explain.h"
#include "attnscope/forward.h"
#include "attnscope/head_stats.h"
#include "attnscope/heatmap_export.h"
#include "attnscope/token_labels.h"
#include "gui_unit_helpers.h"
#include "seq2seq_models.h"
#include "shell/export.h"
#include "workers/attention_stacks.h"
#include "workers/trace_worker.h"

namespace attnscope::gui {
namespace {

using ::testing::HasSubstr;
using namespace unit;  // gui_unit_helpers.h: parse, script_of, abc_model, wait_until_idle, scratch_dir, fs

// [SECTION] Models

// bart_f16: 2 encoder layers of 2 heads, 3 decoder layers of 4 heads, so every place that mixes
// up the stacks' shapes shows. Null when the reference script cannot run (no numpy).
ModelPtr bart_model() {
    static const ModelPtr model = []() -> ModelPtr {
        const fs::path folder = attnscope::testing::seq2seq_model("bart_f16");
        if (folder.empty()) return nullptr;
        auto m = load_model(folder.string());
        EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
        return m.ok() ? m.value() : nullptr;
    }();
    return model;
}

// The core's own trace of a forced target: what the GUI's bundles are checked against.
std::shared_ptr<const Trace> core_trace(const std::string& source, const std::string& target) {
    TraceOptions options;
    options.target = target;
    auto t = compute_trace(bart_model(), source, options);
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return t.ok() ? t.value() : nullptr;
}

// [SECTION] Command line and script

TEST(LaunchOptions, ReadsTheTargetAndTheKindOfAttention) {
    ParsedOptions p = parse({"--target", "la voiture rouge", "--attention", "encoder"});
    ASSERT_TRUE(p.options);
    EXPECT_EQ(p.options->target, std::optional<std::string>("la voiture rouge"));
    EXPECT_EQ(p.options->attention, std::optional<AttentionStack>(AttentionStack::Encoder));
    p = parse({"--target", ""});  // an empty target is a target: the start token alone
    ASSERT_TRUE(p.options);
    EXPECT_EQ(p.options->target, std::optional<std::string>(""));
    p = parse({});
    ASSERT_TRUE(p.options);
    EXPECT_FALSE(p.options->target);
    EXPECT_FALSE(p.options->attention);
    EXPECT_EQ(parse({"--attention", "sideways"}).exit_code, kExitUsage);
    EXPECT_EQ(parse({"--attention"}).exit_code, kExitUsage);
}

TEST(Script, TargetTranslateAndAttentionSteps) {
    const auto steps = script_of("target", "1 target la voiture rouge\n2 translate\n3 attention cross\n4 attention encoder\n");
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    ASSERT_EQ(steps.value().size(), 4u);
    EXPECT_EQ(steps.value()[0].kind, ScriptStep::Kind::Target);
    EXPECT_EQ(steps.value()[0].argument, "la voiture rouge");
    EXPECT_EQ(steps.value()[1].kind, ScriptStep::Kind::Translate);
    EXPECT_EQ(steps.value()[2].kind, ScriptStep::Kind::Attention);
    EXPECT_EQ(steps.value()[2].stack, static_cast<int>(AttentionStack::Cross));
    EXPECT_EQ(steps.value()[3].stack, static_cast<int>(AttentionStack::Encoder));
    const auto bad = script_of("bad-attention", "1 attention sideways\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_THAT(bad.error().message, HasSubstr("bad-attention.script:1: 'attention' needs encoder, decoder or cross"));
}

// [SECTION] Selection and the trace worker

TEST(Selection, ClampsTheKeyToItsOwnSequence) {
    Selection s{5, 7, 9, 9};
    s.clamp_to(2, 2, 4, 6);  // cross-attention: 4 target tokens (rows), 6 source tokens (columns)
    EXPECT_EQ(s, (Selection{1, 1, 3, 5}));
    Selection t{0, 0, 1, 3};
    t.clamp_to(3, 4, 8, 2);
    EXPECT_EQ(t, (Selection{0, 0, 1, 1}));
}

TEST(TraceWorker, AnEncoderDecodersBundleHasEachKindOfAttention) {
    if (!bart_model()) GTEST_SKIP() << "the seq2seq reference script did not run (python3-numpy?)";
    TraceWorker worker;
    worker.request(bart_model(), "w5 w6 w7 w8 w9 w10", std::string("w11 w12"));
    const TraceStatus s = wait_until_idle(worker);
    ASSERT_TRUE(s.good) << s.error;
    const TraceBundle& b = *s.good;
    ASSERT_TRUE(b.encoder_decoder());
    const auto expected = core_trace("w5 w6 w7 w8 w9 w10", "w11 w12");
    ASSERT_TRUE(expected);
    const int n = expected->n_tokens(), n_source = static_cast<int>(expected->source_tokens.size());
    ASSERT_NE(n, n_source) << "a rectangle, so rows and columns cannot be swapped unseen";

    // Decoder: the trace itself, masked self-attention over the target.
    EXPECT_EQ(&b.stack(AttentionStack::Decoder), &b);
    EXPECT_EQ(b.trace->text, "w11 w12");
    EXPECT_EQ(input_text(*b.trace), "w5 w6 w7 w8 w9 w10");
    // Encoder: the source's own trace, with the encoder's shape.
    const TraceBundle& enc = b.stack(AttentionStack::Encoder);
    EXPECT_EQ(enc.trace, b.trace->source);
    EXPECT_EQ(static_cast<int>(enc.trace->layers.size()), 2);
    EXPECT_EQ(enc.trace->model.n_heads, 2);
    EXPECT_EQ(enc.stats->n_heads, 2);
    EXPECT_EQ(key_count(*enc.trace), n_source);
    // Cross: rows the target, columns the source, statistics and thumbnails of that shape.
    const TraceBundle& cross = b.stack(AttentionStack::Cross);
    ASSERT_TRUE(shows_cross(*cross.trace));
    EXPECT_NE(cross.id(), b.id());
    EXPECT_EQ(static_cast<int>(cross.trace->layers.size()), 3);
    EXPECT_EQ(cross.trace->n_tokens(), n);
    EXPECT_EQ(key_count(*cross.trace), n_source);
    EXPECT_EQ(&keys_of(*cross.trace), b.trace->source.get());
    EXPECT_EQ(cross.stats->n_layers, 3);
    EXPECT_EQ(cross.stats->n_heads, 4);
    EXPECT_EQ(cross.stats->mean_over_all.rows(), n);
    EXPECT_EQ(cross.stats->mean_over_all.cols(), n_source);
    EXPECT_EQ(cross.thumbnails->tile, n);
    EXPECT_EQ(cross.thumbnails->tile_cols, n_source);

    // The numbers against core's own trace of the same source and target, worked out here.
    for (int l = 0; l < 3; ++l) {
        Matrix mean = Matrix::Zero(n, n_source);
        for (int h = 0; h < 4; ++h) {
            const Matrix& w = expected->cross_layers[static_cast<std::size_t>(l)].heads[static_cast<std::size_t>(h)].weights;
            ASSERT_EQ(w.rows(), n);
            ASSERT_EQ(w.cols(), n_source);
            EXPECT_LT((cross.trace->head(l, h).weights - w).cwiseAbs().maxCoeff(), 1e-6f);
            mean += w / 4.0f;
            double entropy = 0.0;
            for (int i = 0; i < n; ++i)
                for (int j = 0; j < n_source; ++j)
                    if (w(i, j) > 0) entropy -= w(i, j) * std::log2(static_cast<double>(w(i, j)));
            EXPECT_NEAR(cross.stats->head(l, h).average(HeadMetric::Entropy), entropy / n, 1e-4) << l << " " << h;
        }
        EXPECT_LT((cross.stats->mean_over_heads[static_cast<std::size_t>(l)] - mean).cwiseAbs().maxCoeff(), 1e-5f);
    }
}

// Cross rows are named by what their decoder step writes: row i reads target token i and writes
// token i + 1, the last row the end. The translation is the one `attnscope-cli predict` gives,
// written out here; the decoder's own rows keep their input tokens.
TEST(RowLabels, ACrossRowIsLabelledByTheWordItsStepWrites) {
    const auto model = load_model("builtin:translator");
    ASSERT_TRUE(model.ok()) << model.error().message;
    const auto trace = compute_trace(*model.value(), "the woman deposits the money in the bank .");
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    const auto cross = cross_attention_trace(*trace.value());
    ASSERT_TRUE(cross && shows_cross(*cross));
    const std::vector<std::string> want = {"<s> \xE2\x86\x92 la",      "la \xE2\x86\x92 femme",      "femme \xE2\x86\x92 d\xC3\xA9pose",
                                           "d\xC3\xA9pose \xE2\x86\x92 l'argent", "l'argent \xE2\x86\x92 dans", "dans \xE2\x86\x92 la",
                                           "la \xE2\x86\x92 banque",   "banque \xE2\x86\x92 .",      ". \xE2\x86\x92 </s>"};
    ASSERT_EQ(cross->n_tokens(), static_cast<int>(want.size()));
    for (int i = 0; i < cross->n_tokens(); ++i) EXPECT_EQ(row_label(*cross, i), want[static_cast<std::size_t>(i)]) << "row " << i;
    EXPECT_EQ(written_at(*cross, 6), "banque") << "the second 'la' writes 'banque'";
    EXPECT_EQ(written_at(*cross, 8), "</s>");
    EXPECT_EQ(row_label(*trace.value(), 6), token_label(*trace.value(), 6)) << "the decoder's masked self-attention: its input";
    EXPECT_EQ(row_label(keys_of(*cross), 7), "bank") << "the columns, the source's tokens, as typed";
}

TEST(TraceWorker, ATargetTheDecoderCannotTakeKeepsTheLastGoodTrace) {
    if (!bart_model()) GTEST_SKIP() << "the seq2seq reference script did not run (python3-numpy?)";
    TraceWorker worker;
    worker.request(bart_model(), "w5 w6 w7", std::string("w9 w10"));
    ASSERT_TRUE(wait_until_idle(worker).good);
    std::string long_target;
    for (int i = 0; i < 40; ++i) long_target += "w" + std::to_string(5 + i % 30) + " ";
    worker.request(bart_model(), "w5 w6 w7", long_target);
    const TraceStatus s = wait_until_idle(worker);
    EXPECT_THAT(s.error, ::testing::StartsWith("the target"));
    ASSERT_TRUE(s.good);
    EXPECT_EQ(s.good->trace->text, "w9 w10");
    worker.request(bart_model(), "", std::nullopt);
    EXPECT_THAT(wait_until_idle(worker).error, ::testing::StartsWith("the source"));
}

TEST(TraceWorker, ModelsWithoutADecoderSideIgnoreTheTarget) {
    TraceWorker worker;
    worker.request(abc_model(), "A B C", std::string("C B A"));
    const TraceStatus s = wait_until_idle(worker);
    ASSERT_TRUE(s.good) << s.error;
    EXPECT_EQ(s.good->trace->text, "A B C");
    EXPECT_FALSE(s.good->encoder_decoder());
    EXPECT_EQ(&s.good->stack(AttentionStack::Cross), s.good.get());  // one kind of attention: the switch has nothing to pick
}

// [SECTION] Explanation and export: core's functions on a cross_attention_trace

TEST(CrossExplanation, TheKeysAreTheSourcesAndTheNumbersTheTraces) {
    if (!bart_model()) GTEST_SKIP() << "the seq2seq reference script did not run (python3-numpy?)";
    const auto trace = core_trace("w5 w6 w7 w8 w9", "w11 w12 w13");
    ASSERT_TRUE(trace);
    const auto cross = cross_attention_trace(*trace);
    const int l = 1, h = 2, q = 2;
    const HeadExplanation e = explain_head(*cross, l, h, q, std::nullopt);
    const HeadTrace& kept = trace->cross_layers[l].heads[h];  // the forward pass's own numbers
    ASSERT_EQ(e.keys.size(), trace->source_tokens.size());
    EXPECT_EQ(e.tokens[q], token_label(*trace, q, ControlChars::AsTyped));
    EXPECT_LT((e.q - kept.q.row(q)).cwiseAbs().maxCoeff(), 1e-7f);
    float total = 0.0f;
    for (const KeyExplanation& k : e.keys) {
        EXPECT_EQ(k.token, token_label(*trace->source, k.j, ControlChars::AsTyped));
        EXPECT_FALSE(k.masked);
        EXPECT_NEAR(k.dot * e.scale, kept.scores(q, k.j), 1e-4f) << k.j;
        EXPECT_FLOAT_EQ(k.weight, kept.weights(q, k.j));
        EXPECT_NEAR(k.exp_score / e.exp_sum, k.weight, 1e-5f) << k.j;
        EXPECT_LT((k.v - kept.v.row(k.j)).cwiseAbs().maxCoeff(), 1e-7f);
        total += k.weight;
    }
    EXPECT_NEAR(total, 1.0f, 1e-5f);

    const std::vector<StepPage> pages = stack_steps(e, AttentionStack::Cross);
    ASSERT_EQ(pages.size(), static_cast<std::size_t>(ExplainStep::Count));
    EXPECT_THAT(pages[static_cast<int>(ExplainStep::Mask)].title, HasSubstr("none in cross-attention"));
    const StepPage& w = pages[static_cast<int>(ExplainStep::Projections)];
    EXPECT_TRUE(w.matrices.empty()) << "the model's W are its decoder's self-attention's, not these";
    EXPECT_THAT(w.formulas.back(), HasSubstr("not read from the model"));
    const StepPage& keys = pages[static_cast<int>(ExplainStep::Keys)];
    ASSERT_FALSE(keys.matrices.empty());
    EXPECT_EQ(keys.matrices.front().row_labels, token_labels(*trace->source, ControlChars::AsTyped));
    for (std::size_t p = 1; p < pages.size(); ++p) EXPECT_EQ(pages[p].highlight_row, -1) << "page " << p + 1 << ": its rows are source tokens";
}

TEST(CrossExport, TablesHaveTargetRowsAndSourceColumns) {
    if (!bart_model()) GTEST_SKIP() << "the seq2seq reference script did not run (python3-numpy?)";
    const auto trace = core_trace("w5 w6 w7 w8 w9", "w11 w12");
    ASSERT_TRUE(trace);
    const auto cross = cross_attention_trace(*trace);
    const int l = 2, h = 1, n = trace->n_tokens(), n_source = static_cast<int>(trace->source_tokens.size());
    const Matrix& w = trace->cross_layers[l].heads[h].weights;
    auto split = [](const std::string& line, char sep) {
        std::vector<std::string> cells;
        std::stringstream in(line);
        for (std::string c; std::getline(in, c, sep);) cells.push_back(c);
        return cells;
    };
    for (const bool csv : {true, false}) {
        const std::string table = csv ? head_csv(*cross, l, h, HeatmapField::Weights) : weights_table_tsv(*cross, l, h);
        std::vector<std::vector<std::string>> rows;
        std::stringstream lines(table);
        for (std::string line; std::getline(lines, line);) rows.push_back(split(line, csv ? ',' : '\t'));
        ASSERT_EQ(static_cast<int>(rows.size()), n + 1) << table;
        ASSERT_EQ(static_cast<int>(rows[0].size()), n_source + 1);
        for (int j = 0; j < n_source; ++j) EXPECT_EQ(rows[0][j + 1], token_label(*trace->source, j));
        for (int i = 0; i < n; ++i) {
            EXPECT_EQ(rows[i + 1][0], token_label(*trace, i));
            for (int j = 0; j < n_source; ++j) EXPECT_NEAR(std::stof(rows[i + 1][j + 1]), w(i, j), csv ? 1e-6 : 6e-4);
        }
    }
    const std::string svg = head_svg(*cross, l, h, HeatmapField::Weights, Colormap::Viridis);
    std::size_t cells = 0;
    for (std::size_t at = 0; (at = svg.find("<title>", at)) != std::string::npos; ++at) ++cells;
    EXPECT_EQ(cells, static_cast<std::size_t>(n * n_source));
    EXPECT_THAT(svg, HasSubstr("rows: target tokens"));
    EXPECT_EQ(export_stem("w5 w6", l, h, ExportKind::HeatmapSvg, "cross"), "attnscope-w5-w6-cross-L2H1");
    EXPECT_EQ(export_stem("w5 w6", l, h, ExportKind::HeatmapSvg), "attnscope-w5-w6-L2H1");

    // Write them as the menu does: the JSON of cross-attention is the whole trace, head filtered.
    ExportSubject subject;
    subject.layer = l;
    subject.head = h;
    const fs::path dir = scratch_dir() / "cross-export";
    fs::create_directories(dir);
    EXPECT_FALSE(write_export(*cross, ExportKind::HeadJson, subject, dir / "a.json").ok()) << "no whole trace to write";
    subject.whole = trace.get();
    ASSERT_TRUE(write_export(*cross, ExportKind::HeadJson, subject, dir / "a.json").ok());
    const nlohmann::json j = nlohmann::json::parse(attnscope::testing::slurp(dir / "a.json"));
    const auto& head = j.at("cross_layers").at(0).at("heads").at(0);
    ASSERT_EQ(static_cast<int>(head.at("weights").size()), n);
    EXPECT_EQ(static_cast<int>(head.at("weights").at(0).size()), n_source);
    EXPECT_EQ(static_cast<int>(j.at("source").at("tokens").size()), n_source);
    for (const ExportKind kind : {ExportKind::HeatmapSvg, ExportKind::WeightsCsv, ExportKind::TokenViewSvg, ExportKind::OverviewSvg})
        EXPECT_TRUE(write_export(*cross, kind, subject, dir / ("a" + std::string(export_extension(kind)))).ok());
}

}  // namespace
}  // namespace attnscope::gui
