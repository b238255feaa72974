// Prefix reuse while typing (Model::forward_reusing_prefix, TraceOptions::previous): a decoder
// takes the rows of the tokens a text shares with an earlier trace as they are and computes only
// the rows after them. The reference is independent of that path: the same model's forward pass
// over the whole text, whose numbers the numpy reference already checks (hf_model_test.cpp).
// Every layer's x, every head's q, k, v, out, scores and weights, and the logits must agree within
// float rounding (the products run on fewer rows), and the trace must say rows were reused, so a
// silent fall-back to the full pass cannot pass for reuse.
//
// [SECTION] Comparing two traces
// [SECTION] Own-format models
// [SECTION] Hugging Face reference checkpoints
// [SECTION] compute_trace and real checkpoints
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "attnscope/forward.h"
#include "attnscope/model.h"
#include "attnscope/random_model.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

const fs::path kReferenceDir = ATTNSCOPE_HF_REFERENCE_DIR;
const fs::path kShared = ATTNSCOPE_SHARED_MODELS;

// Relative to the largest magnitude of the reference matrix (at least 1): the two passes multiply
// the same numbers in row blocks of different heights, so only the rounding may differ.
constexpr float kTolerance = 1e-5f;

// [SECTION] Comparing two traces

// Masked cells (-infinity) must be masked in both; finite cells within the tolerance.
void expect_close(const Matrix& got, const Matrix& want, const std::string& what) {
    ASSERT_EQ(got.rows(), want.rows()) << what;
    ASSERT_EQ(got.cols(), want.cols()) << what;
    float largest = 1.0f, worst = 0.0f;
    Index worst_i = 0, worst_j = 0;
    for (Index i = 0; i < want.rows(); ++i)
        for (Index j = 0; j < want.cols(); ++j) {
            if (std::isinf(want(i, j)) || std::isinf(got(i, j))) {
                ASSERT_EQ(got(i, j), want(i, j)) << what << ": masked cell (" << i << ", " << j << ")";
                continue;
            }
            largest = std::max(largest, std::abs(want(i, j)));
            if (std::abs(got(i, j) - want(i, j)) > worst) {
                worst = std::abs(got(i, j) - want(i, j));
                worst_i = i;
                worst_j = j;
            }
        }
    EXPECT_LE(worst, kTolerance * largest) << what << ": worst at (" << worst_i << ", " << worst_j << "): got "
                                           << got(worst_i, worst_j) << ", want " << want(worst_i, worst_j);
}

void expect_same_trace(const Trace& reused, const Trace& full) {
    ASSERT_EQ(reused.layers.size(), full.layers.size());
    EXPECT_EQ(reused.keeps_attention(), full.keeps_attention());
    for (std::size_t l = 0; l < full.layers.size(); ++l) {
        const std::string at = "layer " + std::to_string(l);
        const LayerTrace &got = reused.layers[l], &want = full.layers[l];
        EXPECT_EQ(got.scale, want.scale) << at;
        EXPECT_EQ(got.causal, want.causal) << at;
        expect_close(got.x, want.x, at + " x");
        ASSERT_EQ(got.heads.size(), want.heads.size()) << at;
        for (std::size_t h = 0; h < want.heads.size(); ++h) {
            const std::string head = at + " head " + std::to_string(h);
            const int li = static_cast<int>(l), hi = static_cast<int>(h);
            expect_close(got.heads[h].q, want.heads[h].q, head + " q");
            expect_close(got.heads[h].k, want.heads[h].k, head + " k");
            expect_close(got.heads[h].v, want.heads[h].v, head + " v");
            expect_close(got.heads[h].out, want.heads[h].out, head + " out");
            expect_close(*reused.head_scores(li, hi), *full.head_scores(li, hi), head + " scores");
            expect_close(*reused.head_weights(li, hi), *full.head_weights(li, hi), head + " weights");
            // The summaries the overview ranks heads by, and its pooled map.
            const HeadSummary &s = got.heads[h].summary, &t = want.heads[h].summary;
            expect_close(s.pooled, t.pooled, head + " pooled map");
            for (const auto& [a, b, name] : {std::tuple{&s.entropy, &t.entropy, "entropy"}, {&s.previous, &t.previous, "previous"},
                                             {&s.same, &t.same, "same"}, {&s.first, &t.first, "first"},
                                             {&s.distance, &t.distance, "distance"}})
                expect_close(*a, *b, head + " " + name);
        }
    }
    EXPECT_EQ(reused.logits_first_token, full.logits_first_token);
    expect_close(reused.logits, full.logits, "logits");
}

// Token ids cycling through the vocabulary from `first`: different seeds, different texts.
std::vector<Token> some_tokens(int n, int vocab, int first) {
    std::vector<Token> tokens(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) tokens[static_cast<std::size_t>(i)].id = (first + 7 * i) % vocab;
    return tokens;
}

ForwardOptions options_with(bool keep, ForwardOptions::Logits logits = ForwardOptions::Logits::LastRow) {
    ForwardOptions options;
    options.keep_attention = keep;
    options.logits = logits;
    return options;
}

Trace forward_or_fail(const Model& model, const std::vector<Token>& tokens, const ForwardOptions& options) {
    auto trace = model.forward(tokens, options);
    EXPECT_TRUE(trace.ok()) << trace.error().message;
    return trace.ok() ? std::move(trace).value() : Trace{};
}

// Traces `before`, then `after` from it reusing its first `reuse` tokens, and compares with the
// full pass over `after`; the reuse path must have taken exactly `expected_reused` rows.
void expect_reuse_equals_full(const Model& model, const std::vector<Token>& before, const std::vector<Token>& after,
                              int reuse, const ForwardOptions& options, int expected_reused) {
    const Trace prefix = forward_or_fail(model, before, options);
    auto reused = model.forward_reusing_prefix(prefix, reuse, after, options);
    ASSERT_TRUE(reused.ok()) << reused.error().message;
    EXPECT_EQ(reused.value().reused_rows, expected_reused);
    expect_same_trace(reused.value(), forward_or_fail(model, after, options));
}

// Appends tokens, then edits one in the middle of the text: both with the n x n matrices kept
// and not.
void expect_append_and_edit_equal_full(const Model& model, int n_before, int n_appended, int edited) {
    const int vocab = model.info().vocab_size;
    const std::vector<Token> before = some_tokens(n_before, vocab, 3);
    std::vector<Token> appended = before;
    for (const Token& t : some_tokens(n_appended, vocab, 11)) appended.push_back(t);
    std::vector<Token> edit = appended;
    edit[static_cast<std::size_t>(edited)].id = (edit[static_cast<std::size_t>(edited)].id + 1) % vocab;
    for (bool keep : {true, false}) {
        SCOPED_TRACE(model.info().name + (keep ? ", matrices kept" : ", matrices on demand"));
        {
            SCOPED_TRACE("append");
            expect_reuse_equals_full(model, before, appended, n_before, options_with(keep), n_before);
        }
        {
            SCOPED_TRACE("edit in the middle");
            expect_reuse_equals_full(model, appended, edit, edited, options_with(keep), edited);
        }
    }
}

// [SECTION] Own-format models

TransformerConfig small_config(bool causal, Positional positional) {
    TransformerConfig c;
    c.d_model = 32;
    c.n_heads = 4;
    c.n_layers = 2;
    c.d_ff = 64;
    c.max_len = 512;
    c.causal = causal;
    c.positional = positional;
    return c;
}

TEST(PrefixReuse, OwnFormatCausalAppendAndEditEqualTheFullPassAcrossBlocks) {
    // 250 + 10 crosses the 128-row block boundary at 256; the edit at 100 recomputes two blocks.
    for (Positional positional : {Positional::Learned, Positional::Sinusoidal}) {
        const auto model = make_random_transformer(small_config(true, positional), 100, 5, positional_name(positional));
        expect_append_and_edit_equal_full(*model, 250, 10, 100);
    }
}

TEST(PrefixReuse, EveryLogitRowWhenAllAreAskedForAndThePrefixHasThem) {
    const auto model = make_random_transformer(small_config(true, Positional::Learned), 100, 6, "all logits");
    const std::vector<Token> before = some_tokens(40, 100, 1), after = some_tokens(47, 100, 1);
    expect_reuse_equals_full(*model, before, after, 40, options_with(true, ForwardOptions::Logits::All), 40);
    expect_reuse_equals_full(*model, before, after, 40, options_with(false, ForwardOptions::Logits::None), 40);
}

TEST(PrefixReuse, FallsBackToTheFullPassWhenThePrefixCannotGiveTheRows) {
    const auto model = make_random_transformer(small_config(true, Positional::Learned), 100, 7, "fall back");
    const std::vector<Token> before = some_tokens(30, 100, 2), after = some_tokens(36, 100, 2);
    const ForwardOptions kept = options_with(true), lazy = options_with(false);
    {
        SCOPED_TRACE("the prefix kept its matrices, the new trace does not");
        const Trace prefix = forward_or_fail(*model, before, kept);
        auto trace = model->forward_reusing_prefix(prefix, 30, after, lazy);
        ASSERT_TRUE(trace.ok());
        EXPECT_EQ(trace.value().reused_rows, 0);
        expect_same_trace(trace.value(), forward_or_fail(*model, after, lazy));
    }
    {
        SCOPED_TRACE("every logit asked for, the prefix has only its last");
        const auto all = options_with(true, ForwardOptions::Logits::All);
        auto trace = model->forward_reusing_prefix(forward_or_fail(*model, before, kept), 30, after, all);
        ASSERT_TRUE(trace.ok());
        EXPECT_EQ(trace.value().reused_rows, 0);
        expect_same_trace(trace.value(), forward_or_fail(*model, after, all));
    }
}

TEST(PrefixReuse, ReusesNoMoreThanTheTokensThePrefixNamesAsShared) {
    const auto model = make_random_transformer(small_config(true, Positional::Learned), 100, 8, "clip");
    std::vector<Token> before = some_tokens(30, 100, 4), after = some_tokens(34, 100, 4);
    after[12].id = (after[12].id + 1) % 100;
    Trace prefix = forward_or_fail(*model, before, options_with(true));
    prefix.tokens = before;  // as compute_trace records them
    auto trace = model->forward_reusing_prefix(prefix, 30, after, options_with(true));  // claims too many
    ASSERT_TRUE(trace.ok());
    EXPECT_EQ(trace.value().reused_rows, 12) << "the first token that differs is recomputed";
    expect_same_trace(trace.value(), forward_or_fail(*model, after, options_with(true)));
}

TEST(PrefixReuse, TheSameTextRecomputesOnlyItsLastRow) {
    const auto model = make_random_transformer(small_config(true, Positional::Learned), 100, 9, "same");
    const std::vector<Token> tokens = some_tokens(20, 100, 5);
    expect_reuse_equals_full(*model, tokens, tokens, 20, options_with(true), 19);
}

TEST(PrefixReuse, OwnFormatBidirectionalComputesEverything) {
    const auto model = make_random_transformer(small_config(false, Positional::Learned), 100, 10, "encoder");
    const std::vector<Token> before = some_tokens(20, 100, 6), after = some_tokens(25, 100, 6);
    for (bool keep : {true, false})
        expect_reuse_equals_full(*model, before, after, 20, options_with(keep, ForwardOptions::Logits::All), 0);
}

// [SECTION] Hugging Face reference checkpoints

class PrefixReuseReference : public ::testing::TestWithParam<const char*> {};

// The reference checkpoints take 32 to 64 tokens: 20 traced, 6 appended, then token 9 edited.
TEST_P(PrefixReuseReference, AppendAndEditEqualTheFullPass) {
    const fs::path folder = kReferenceDir / GetParam();
    if (!fs::exists(folder / "config.json")) GTEST_SKIP() << "no reference checkpoint at " << folder;
    const auto model = load_model(folder.string());
    ASSERT_TRUE(model.ok()) << model.error().message;
    ASSERT_TRUE(model.value()->info().causal);
    expect_append_and_edit_equal_full(*model.value(), 20, 6, 9);
}

INSTANTIATE_TEST_SUITE_P(Decoders, PrefixReuseReference,
                         ::testing::Values("gpt2_f32", "gpt2_f32_scale_by_layer", "gpt2_f16_bare_names",
                                           "llama_f32_gqa_untied_sharded", "llama_bf16_tied_llama3_rope",
                                           "mistral_f32_linear_rope", "qwen2_f16_biases_one_kv_head", "qwen3_f32_gqa_tied",
                                           "olmo2_bf16_gqa", "phi3_bf16", "gemma_f32_mqa", "gemma2_f32_window3_softcap",
                                           "gemma3_f32_pattern2",
                                           "gpt_neox_f32_parallel", "gpt_neox_f16_sequential", "opt_f32_pre_ln",
                                           "opt_f16_post_ln_project"));

// [SECTION] compute_trace and real checkpoints

std::shared_ptr<const Trace> traced(const ModelPtr& model, const std::string& text, std::shared_ptr<const Trace> previous,
                                    bool keep) {
    TraceOptions options;
    options.keep_attention_bytes = keep ? 1e18 : 0.0;
    options.previous = std::move(previous);
    auto trace = compute_trace(model, text, options);
    EXPECT_TRUE(trace.ok()) << trace.error().message;
    return trace.ok() ? trace.value() : nullptr;
}

// Types `before`, then `after`, giving compute_trace the first trace as `previous`; the second
// must equal a trace of `after` computed from nothing, and must have reused rows when `reuses`.
void expect_typing_equals_fresh(const ModelPtr& model, const std::string& before, const std::string& after, bool reuses) {
    for (bool keep : {true, false}) {
        SCOPED_TRACE(model->info().name + (keep ? ", matrices kept" : ", matrices on demand"));
        const auto first = traced(model, before, nullptr, keep);
        const auto typed = traced(model, after, first, keep);
        const auto fresh = traced(model, after, nullptr, keep);
        ASSERT_TRUE(first && typed && fresh);
        if (reuses) EXPECT_GT(typed->reused_rows, first->n_tokens() / 2) << "most of the text was already traced";
        else EXPECT_EQ(typed->reused_rows, 0);
        EXPECT_EQ(typed->n_tokens(), fresh->n_tokens());
        EXPECT_EQ(typed->text, after);
        expect_same_trace(*typed, *fresh);
    }
}

std::string story(int sentences) {
    std::string text;
    for (int i = 0; i < sentences; ++i) text += "Once upon a time the cat sat by the river bank. ";
    return text;
}

TEST(PrefixReuseComputeTrace, RealDecodersWhileTypingAtTheEndAndInTheMiddle) {
    int checked = 0;
    for (const char* name : {"fake_gpt2", "stories260K"}) {
        const fs::path dir = kShared / name;
        if (!fs::exists(dir / "config.json")) continue;
        const auto model = load_model(dir.string());
        ASSERT_TRUE(model.ok()) << model.error().message;
        const std::string text = story(22);  // about 250 tokens: the reuse crosses a 128-row block
        expect_typing_equals_fresh(model.value(), text, text + "She said hello to the dog.", true);
        std::string edited = text;
        edited.replace(edited.size() * 2 / 3, 3, "dog");  // past the middle: most rows reused
        expect_typing_equals_fresh(model.value(), text, edited, true);
        ++checked;
    }
    if (checked == 0) GTEST_SKIP() << "no fake_gpt2 or stories260K at " << kShared;
}

TEST(PrefixReuseComputeTrace, AnEncoderGivesTheSameTraceAndReusesNothing) {
    const fs::path folder = kReferenceDir / "bert_f32_masked_lm";
    if (!fs::exists(folder / "config.json")) GTEST_SKIP() << "no reference checkpoint at " << folder;
    const auto model = load_model(folder.string());
    ASSERT_TRUE(model.ok()) << model.error().message;
    expect_typing_equals_fresh(model.value(), "the bank of the river", "the bank of the river was steep", false);
}

TEST(PrefixReuseComputeTrace, APreviousTraceOfAnotherModelObjectIsNotUsed) {
    const fs::path folder = kReferenceDir / "gpt2_f32";
    if (!fs::exists(folder / "config.json")) GTEST_SKIP() << "no reference checkpoint at " << folder;
    const auto model = load_model(folder.string()), reloaded = load_model(folder.string());
    ASSERT_TRUE(model.ok() && reloaded.ok());
    const auto first = traced(model.value(), "the bank of the river", nullptr, true);
    const auto other = traced(reloaded.value(), "the bank of the river was steep", first, true);
    const auto same = traced(model.value(), "the bank of the river was steep", first, true);
    ASSERT_TRUE(first && other && same);
    EXPECT_EQ(other->reused_rows, 0) << "a reloaded file may hold other weights";
    EXPECT_GT(same->reused_rows, 0);
}

}  // namespace
}  // namespace attnscope
