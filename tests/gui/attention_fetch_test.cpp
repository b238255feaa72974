// What the views read of a long trace (workers/attention_fetch.h, attention_fetcher.h): the head's
// picture, the zoomed-in window, the query's rows and the hovered row, computed on demand from a
// trace that kept no n x n matrix, checked against the eager forward pass of the same model and
// text, which kept them all. The pooled picture is checked cell by cell against a maximum taken
// here over the eager matrix.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "../random_transformers.h"
#include "attnscope/forward.h"
#include "attnscope/random_model.h"
#include "workers/attention_fetcher.h"

namespace attnscope::gui {
namespace {

using attnscope::testing::numbered_words;
using attnscope::testing::transformer_config;

std::shared_ptr<const Trace> trace_of(const std::shared_ptr<const TransformerModel>& model, const std::string& text, bool keep) {
    TraceOptions options;
    options.keep_attention_bytes = keep ? 1e18 : 0.0;
    auto t = compute_trace(model, text, options);
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return t.value();
}

struct LongPair {
    std::shared_ptr<const Trace> eager, on_demand;
};

// The same model and text twice: once keeping every matrix, once keeping none.
LongPair long_pair(int n, bool causal) {
    static const auto decoder = make_random_transformer(transformer_config(32, 2, 2, 64, 4096, true), 100, 11);
    static const auto encoder = make_random_transformer(transformer_config(32, 2, 2, 64, 4096, false), 100, 12);
    const auto& model = causal ? decoder : encoder;
    const std::string text = numbered_words(n, 7);
    LongPair p{trace_of(model, text, true), trace_of(model, text, false)};
    EXPECT_TRUE(p.eager->keeps_attention());
    EXPECT_FALSE(p.on_demand->keeps_attention());
    EXPECT_EQ(p.eager->n_tokens(), n);
    return p;
}

bool masked(float score) { return std::isinf(score) && score < 0; }

// Every texel against the largest unmasked value of its pool x pool cells of the eager matrix.
void expect_picture_matches(const Trace& eager, const HeadImage& image, int layer, int head, HeatmapField field) {
    const HeadTrace& h = eager.head(layer, head);
    const Matrix& values = field == HeatmapField::Weights ? h.weights : h.scores;
    const int n = eager.n_tokens();
    ASSERT_EQ(image.side, (n + image.pool - 1) / image.pool);
    ASSERT_LE(image.side, kImageSide);
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (int a = 0; a < image.side; ++a)
        for (int b = 0; b < image.side; ++b) {
            float best = -std::numeric_limits<float>::infinity();
            for (int i = a * image.pool; i < std::min(n, (a + 1) * image.pool); ++i)
                for (int j = b * image.pool; j < std::min(n, (b + 1) * image.pool); ++j)
                    if (!masked(h.scores(i, j))) {
                        best = std::max(best, values(i, j));
                        lo = std::min(lo, values(i, j));
                        hi = std::max(hi, values(i, j));
                    }
            const std::size_t t = 2 * (static_cast<std::size_t>(a) * image.side + b);
            if (std::isinf(best)) {
                EXPECT_EQ(image.texels[t + 1], 1.0f) << "texel " << a << "," << b << " covers only masked cells";
            } else {
                EXPECT_EQ(image.texels[t + 1], 0.0f) << "texel " << a << "," << b;
                EXPECT_NEAR(image.texels[t], best, 1e-6f) << "texel " << a << "," << b;
            }
        }
    if (field == HeatmapField::Scores) {
        EXPECT_NEAR(image.lo, lo, 1e-6f);
        EXPECT_NEAR(image.hi, hi, 1e-6f);
    } else {
        EXPECT_EQ(image.lo, 0.0f);
        EXPECT_EQ(image.hi, 1.0f);
    }
}

TEST(HeadImage, AShortTextIsEveryCellExactly) {
    const LongPair p = long_pair(300, true);
    for (HeatmapField field : {HeatmapField::Weights, HeatmapField::Scores}) {
        const auto image = compute_head_image(*p.on_demand, 1, 1, field);
        ASSERT_TRUE(image);
        EXPECT_EQ(image->pool, 1);
        expect_picture_matches(*p.eager, *image, 1, 1, field);
    }
}

// 2,500 tokens: 3 x 3 cells a texel (834 texels a side), the last texel row and column partly
// outside the grid; causal and not.
TEST(HeadImage, ALongTextIsMaxPooledSoAThinLineStaysVisible) {
    for (bool causal : {true, false}) {
        const LongPair p = long_pair(2500, causal);
        for (HeatmapField field : {HeatmapField::Weights, HeatmapField::Scores}) {
            const auto image = compute_head_image(*p.on_demand, 0, 1, field);
            ASSERT_TRUE(image);
            EXPECT_EQ(image->pool, 3);
            EXPECT_EQ(image->side, 834);
            expect_picture_matches(*p.eager, *image, 0, 1, field);
        }
    }
}

TEST(HeadImage, StopsWhenStaleAndRefusesAHeadThatIsNotThere) {
    const LongPair p = long_pair(600, true);
    EXPECT_FALSE(compute_head_image(*p.on_demand, 0, 0, HeatmapField::Weights, [] { return true; }));
    EXPECT_FALSE(compute_head_image(*p.on_demand, 2, 0, HeatmapField::Weights));
    EXPECT_FALSE(compute_head_image(*p.on_demand, 0, -1, HeatmapField::Weights));
}

TEST(RowWindow, IsTheEagerBlockOfScoresAndWeights) {
    const LongPair p = long_pair(1500, true);
    const RowWindow w = fetch_window(*p.on_demand, 1, 0, 700, 1000, 650, 1200);
    ASSERT_EQ(w.scores.rows(), 300);
    ASSERT_EQ(w.scores.cols(), 550);
    const HeadTrace& h = p.eager->head(1, 0);
    for (int i = 0; i < 300; ++i)
        for (int j = 0; j < 550; ++j) {
            const float s = h.scores(700 + i, 650 + j);
            if (masked(s)) EXPECT_TRUE(masked(w.scores(i, j))) << i << "," << j;
            else EXPECT_NEAR(w.scores(i, j), s, 1e-6f) << i << "," << j;
            EXPECT_NEAR(w.weights(i, j), h.weights(700 + i, 650 + j), 1e-6f) << i << "," << j;
        }
    // Clamped to the grid.
    const RowWindow edge = fetch_window(*p.on_demand, 0, 0, 1400, 1700, -5, 20);
    EXPECT_EQ(edge.r1, 1500);
    EXPECT_EQ(edge.c0, 0);
    EXPECT_EQ(edge.scores.rows(), 100);
    EXPECT_EQ(edge.scores.cols(), 20);
}

TEST(WindowAround, CoversWhatIsOnScreenAndAsMuchAgainWithinTheLimit) {
    const auto w = window_around(4096, 1000, 1100, 2000, 2300);
    ASSERT_TRUE(w);
    EXPECT_LE(w->r0, 1000);
    EXPECT_GE(w->r1, 1100);
    EXPECT_LE(w->c0, 2000);
    EXPECT_GE(w->c1, 2300);
    EXPECT_EQ(w->r1 - w->r0, 200);
    EXPECT_EQ(w->c1 - w->c0, 600);
    // At the edges it stays inside the grid and still covers.
    const auto edge = window_around(4096, 4000, 4096, 0, 50);
    ASSERT_TRUE(edge);
    EXPECT_EQ(edge->r1, 4096);
    EXPECT_LE(edge->r0, 4000);
    EXPECT_EQ(edge->c0, 0);
    EXPECT_GE(edge->c1, 50);
    // Never more than kWindowSide a side; nothing when the screen shows more than that.
    const auto big = window_around(8192, 0, 900, 0, 1024);
    ASSERT_TRUE(big);
    EXPECT_LE(big->r1 - big->r0, kWindowSide);
    EXPECT_LE(big->c1 - big->c0, kWindowSide);
    EXPECT_FALSE(window_around(8192, 0, 1025, 0, 10));
    EXPECT_FALSE(window_around(8192, 0, 0, 0, 10));
}

TEST(QueryRows, AreTheQuerysRowInEveryLayerAndHead) {
    const LongPair p = long_pair(1200, true);
    const QueryRows q = fetch_query_rows(*p.on_demand, 777);
    ASSERT_EQ(q.weights.rows(), 4);
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 2; ++h)
            for (int j = 0; j < 1200; ++j) {
                EXPECT_NEAR(q.weights(l * 2 + h, j), p.eager->head(l, h).weights(777, j), 1e-6f);
                EXPECT_EQ(masked(q.scores(l * 2 + h, j)), masked(p.eager->head(l, h).scores(777, j)));
            }
}

// [SECTION] Reader

TEST(AttentionReader, LendsAKeptTraceAndFindsFetchedCellsOfALongOne) {
    const LongPair p = long_pair(1100, true);
    const AttentionReader kept(p.eager.get(), nullptr);
    EXPECT_TRUE(kept.kept());
    ASSERT_TRUE(kept.cell(1, 1, 500, 20));
    EXPECT_EQ(kept.cell(1, 1, 500, 20)->weight, p.eager->head(1, 1).weights(500, 20));
    EXPECT_TRUE(kept.cell(1, 1, 20, 500)->masked);

    const Trace& t = *p.on_demand;
    FetchedAttention fetched;
    fetched.trace_id = t.id;
    fetched.query_rows = std::make_shared<const QueryRows>(fetch_query_rows(t, 900));
    fetched.window = std::make_shared<const RowWindow>(fetch_window(t, 0, 1, 100, 200, 0, 300));
    fetched.hover = std::make_shared<const HeadRow>(fetch_row(t, 0, 1, 1050));
    const AttentionReader r(&t, &fetched);
    EXPECT_FALSE(r.kept());
    auto expect_cell = [&](int l, int h, int i, int j) {
        const auto c = r.cell(l, h, i, j);
        ASSERT_TRUE(c) << l << " " << h << " " << i << " " << j;
        EXPECT_NEAR(c->weight, p.eager->head(l, h).weights(i, j), 1e-6f);
        EXPECT_EQ(c->masked, masked(p.eager->head(l, h).scores(i, j)));
    };
    expect_cell(1, 0, 900, 5);     // the query's row, any head
    expect_cell(0, 1, 150, 120);   // the window
    expect_cell(0, 1, 150, 250);   // the window, masked
    expect_cell(0, 1, 1050, 1049); // the hovered row
    EXPECT_FALSE(r.cell(0, 1, 150, 400)) << "outside the window's columns";
    EXPECT_FALSE(r.cell(0, 0, 150, 120)) << "the window is another head's";
    EXPECT_FALSE(r.cell(0, 0, 1050, 3)) << "the hovered row is another head's";
    EXPECT_FALSE(r.weight_row(0, 1, 150)) << "a window row is not whole";
    EXPECT_TRUE(r.weight_row(1, 1, 900));
    EXPECT_FALSE(r.cell(2, 0, 900, 1)) << "no layer 2";

    // Parts fetched for another trace are never read for this one.
    const AttentionReader other(p.eager.get(), &fetched);
    EXPECT_EQ(other.cell(0, 1, 150, 120)->weight, p.eager->head(0, 1).weights(150, 120));
    const LongPair q = long_pair(1100, true);
    const AttentionReader mismatched(q.on_demand.get(), &fetched);
    EXPECT_FALSE(mismatched.cell(1, 0, 900, 5));
}

// [SECTION] Fetcher

// The worker threads answer what want() asked: the picture of the selected head and the rows.
TEST(AttentionFetcher, AnswersTheSelectedHeadsPictureWindowAndRows) {
    const LongPair p = long_pair(1300, true);
    AttentionFetcher fetcher;
    Selection s{1, 0, 1250, 3};
    AttentionWants wants;
    wants.image = true;
    wants.field = HeatmapField::Scores;
    wants.visible = WindowSpan{1200, 1300, 1000, 1300};
    wants.hover_row = 10;
    fetcher.want(p.on_demand, s, wants);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    do {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        fetcher.take_finished();
    } while (!fetcher.settled() && std::chrono::steady_clock::now() < deadline);
    ASSERT_TRUE(fetcher.settled());
    const HeadImage* image = fetcher.image(*p.on_demand, 1, 0, HeatmapField::Scores);
    ASSERT_NE(image, nullptr);
    expect_picture_matches(*p.eager, *image, 1, 0, HeatmapField::Scores);
    EXPECT_EQ(fetcher.image(*p.on_demand, 1, 1, HeatmapField::Scores), nullptr) << "another head's is not this one";
    const FetchedAttention* f = fetcher.fetched(*p.on_demand);
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(f->window);
    EXPECT_TRUE(f->window->covers(1, 0, 1200, 1300, 1000, 1300));
    const AttentionReader r(p.on_demand.get(), f);
    EXPECT_NEAR(r.cell(1, 0, 1210, 1111)->weight, p.eager->head(1, 0).weights(1210, 1111), 1e-6f);
    EXPECT_NEAR(r.cell(1, 0, 10, 7)->weight, p.eager->head(1, 0).weights(10, 7), 1e-6f);
    EXPECT_NEAR(r.cell(0, 1, 1250, 3)->weight, p.eager->head(0, 1).weights(1250, 3), 1e-6f);
    EXPECT_EQ(fetcher.fetched(*p.eager), nullptr);

    // A trace that keeps its matrices asks for nothing.
    AttentionFetcher idle;
    idle.want(p.eager, s, wants);
    EXPECT_TRUE(idle.settled());
}

}  // namespace
}  // namespace attnscope::gui
