// The Hugging Face encoder-decoders (T5, BART, Marian) against
// tests/models/hf_reference/make_seq2seq_reference.py: a numpy forward pass written separately
// from the C++, over tiny random checkpoints in the real tensor names (F32 and F16). Every
// encoder, decoder and cross-attention head's q, k, v, scores and weights, the encoder's output
// and the logits must agree. T5's bucket function is also checked on values worked by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "attnscope/forward.h"
#include "attnscope/trace_json.h"
#include "formats/safetensors_files.h"
#include "models/hf_encoder_decoder.h"
#include "test_scratch.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
const fs::path kReferenceDir = fs::path(ATTNSCOPE_HF_REFERENCE_DIR).parent_path() / "hf_seq2seq_reference";

// Largest |got - want| / (1 + |want|). `causal`: cells past the diagonal must be masked (-inf
// scores, 0 weights) in `got`; the reference writes their unmasked value there, so they are not compared.
double worst_error(const Matrix& got, const nlohmann::json& want, bool causal, const std::string& what) {
    EXPECT_EQ(got.rows(), static_cast<Index>(want.size())) << what;
    EXPECT_EQ(got.cols(), static_cast<Index>(want.at(0).size())) << what;
    if (got.rows() != static_cast<Index>(want.size()) || got.cols() != static_cast<Index>(want.at(0).size())) return 1e9;
    double worst = 0;
    for (Index i = 0; i < got.rows(); ++i)
        for (Index j = 0; j < got.cols(); ++j) {
            if (causal && j > i) {
                EXPECT_TRUE(got(i, j) == 0.0f || got(i, j) == -std::numeric_limits<float>::infinity()) << what << " masked cell";
                continue;
            }
            const double w = want[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)].get<double>();
            worst = std::max(worst, std::abs(got(i, j) - w) / (1 + std::abs(w)));
        }
    return worst;
}

// Every head of every layer: q, k, v, scores, weights.
double worst_in_layers(const std::vector<LayerTrace>& layers, const nlohmann::json& want, bool causal, const std::string& what) {
    EXPECT_EQ(layers.size(), want.size()) << what << " layers";
    double worst = 0;
    for (std::size_t l = 0; l < std::min(layers.size(), want.size()); ++l) {
        EXPECT_EQ(layers[l].heads.size(), want[l].size()) << what << " heads";
        for (std::size_t h = 0; h < std::min(layers[l].heads.size(), want[l].size()); ++h) {
            const HeadTrace& head = layers[l].heads[h];
            const auto& w = want[l][h];
            const std::string at = what + " layer " + std::to_string(l) + " head " + std::to_string(h);
            worst = std::max({worst, worst_error(head.q, w["q"], false, at + " q"), worst_error(head.k, w["k"], false, at + " k"),
                              worst_error(head.v, w["v"], false, at + " v"),
                              worst_error(head.scores, w["scores"], causal, at + " scores"),
                              worst_error(head.weights, w["weights"], causal, at + " weights")});
        }
    }
    return worst;
}

std::vector<Token> tokens_of(const nlohmann::json& ids) {
    std::vector<Token> tokens;
    for (int id : ids) tokens.push_back(Token{id, "", 0, 0, false, false, false});
    return tokens;
}

class HfSeq2SeqReference : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        const fs::path folder = kReferenceDir / GetParam();
        if (!fs::exists(folder / "expected.json"))
            GTEST_SKIP() << "no reference at " << folder << " (ctest makes it with tests/models/hf_reference/make_seq2seq_reference.py)";
        expected = nlohmann::json::parse(std::ifstream(folder / "expected.json"));
        auto loaded = load_model(folder.string());
        ASSERT_TRUE(loaded.ok()) << loaded.error().message;
        model = loaded.value();
        ASSERT_NE(model->encoder_decoder(), nullptr) << "an encoder-decoder must say so";
    }

    nlohmann::json expected;
    ModelPtr model;
};

TEST_P(HfSeq2SeqReference, EveryHeadOfTheThreeAttentionsAndTheLogitsMatchTheNumpyForward) {
    const EncoderDecoder& ed = *model->encoder_decoder();
    auto encoded = ed.encode(tokens_of(expected["source_ids"]), ForwardOptions{});
    ASSERT_TRUE(encoded.ok()) << encoded.error().message;
    auto decoded = ed.decode(encoded.value(), tokens_of(expected["target_ids"]), ForwardOptions{});
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    const Trace& trace = decoded.value();
    for (const LayerTrace& layer : trace.cross_layers) EXPECT_TRUE(layer.cross);

    const double encoder = worst_in_layers(encoded.value().trace.layers, expected["encoder"], false, "encoder");
    const double decoder = worst_in_layers(trace.layers, expected["decoder"], true, "decoder");
    const double cross = worst_in_layers(trace.cross_layers, expected["cross"], false, "cross");
    const double memory = worst_error(encoded.value().memory, expected["encoder_output"], false, "encoder output");
    const double logits = worst_error(trace.logits, expected["logits"], false, "logits");
    std::printf("[ %s ] max relative error: encoder %.2e, decoder %.2e, cross %.2e, encoder output %.2e, logits %.2e\n",
                GetParam().c_str(), encoder, decoder, cross, memory, logits);
    EXPECT_LE(encoder, 1e-4);
    EXPECT_LE(decoder, 1e-4);
    EXPECT_LE(cross, 1e-4);
    EXPECT_LE(memory, 1e-4);
    EXPECT_LE(logits, 1e-4);
}

// The step-by-step view's W of every head of all three attentions: x W + b (and for a cross head
// key_x, the encoder's output, for K and V) gives the numpy reference's q, k and v.
TEST_P(HfSeq2SeqReference, EveryHeadsProjectionsGiveTheReferenceQueriesKeysAndValues) {
    const EncoderDecoder& ed = *model->encoder_decoder();
    auto encoded = ed.encode(tokens_of(expected["source_ids"]), ForwardOptions{});
    ASSERT_TRUE(encoded.ok());
    const Trace decoded = ed.decode(encoded.value(), tokens_of(expected["target_ids"]), ForwardOptions{}).value();
    using Projection = std::function<std::optional<HeadProjection>(int, int)>;
    auto check = [&](const std::vector<LayerTrace>& layers, const nlohmann::json& want, const Projection& projection,
                     const std::string& what) {
        double worst = 0;
        for (std::size_t l = 0; l < layers.size(); ++l) {
            const Matrix& x = layers[l].x;
            const Matrix& key_x = layers[l].cross ? layers[l].key_x : layers[l].x;
            EXPECT_EQ(layers[l].cross, what == "cross") << what;
            for (std::size_t h = 0; h < layers[l].heads.size(); ++h) {
                const auto p = projection(static_cast<int>(l), static_cast<int>(h));
                EXPECT_TRUE(p.has_value()) << what << " layer " << l << " head " << h;
                if (!p) continue;
                const std::string at = what + " layer " + std::to_string(l) + " head " + std::to_string(h);
                worst = std::max({worst, worst_error(Matrix((x * p->w_q).rowwise() + p->b_q), want[l][h]["q"], false, at + " q"),
                                  worst_error(Matrix((key_x * p->w_k).rowwise() + p->b_k), want[l][h]["k"], false, at + " k"),
                                  worst_error(Matrix((key_x * p->w_v).rowwise() + p->b_v), want[l][h]["v"], false, at + " v")});
            }
            EXPECT_FALSE(projection(static_cast<int>(layers.size()), 0).has_value()) << what;
        }
        EXPECT_LE(worst, 1e-4) << what;
    };
    check(encoded.value().trace.layers, expected["encoder"], [&](int l, int h) { return ed.encoder_head_projection(l, h); }, "encoder");
    check(decoded.layers, expected["decoder"], [&](int l, int h) { return model->head_projection(l, h); }, "decoder");
    check(decoded.cross_layers, expected["cross"], [&](int l, int h) { return ed.cross_head_projection(l, h); }, "cross");
}

// compute_trace forced on a target gives the same numbers, with the encoder's pass as `source`
// and the trace JSON carrying source and cross_layers (design.md, trace version 2).
TEST_P(HfSeq2SeqReference, ATraceForcedOnATargetHoldsAllThreeAttentionsAndWritesThemAsJson) {
    const EncoderDecoder& ed = *model->encoder_decoder();
    auto encoded = ed.encode(tokens_of(expected["source_ids"]), ForwardOptions{});
    ASSERT_TRUE(encoded.ok());
    Trace trace = ed.decode(encoded.value(), tokens_of(expected["target_ids"]), ForwardOptions{}).value();
    trace.model = model->info();
    trace.tokens = tokens_of(expected["target_ids"]);
    trace.source_tokens = tokens_of(expected["source_ids"]);
    auto source = std::make_shared<Trace>(std::move(encoded.value().trace));
    source->tokens = trace.source_tokens;
    source->model = ed.encoder_info();
    trace.source = source;
    const nlohmann::json doc = nlohmann::json::parse(trace_to_json(trace));
    EXPECT_EQ(doc["model"]["kind"], "encoder-decoder");
    ASSERT_TRUE(doc.contains("source"));
    ASSERT_TRUE(doc.contains("cross_layers"));
    EXPECT_EQ(doc["source"]["tokens"].size(), expected["source_ids"].size());
    EXPECT_EQ(doc["cross_layers"].size(), expected["cross"].size());
    const auto& w = doc["cross_layers"][0]["heads"][0]["weights"];
    EXPECT_EQ(w.size(), expected["target_ids"].size()) << "cross weights: target rows";
    EXPECT_EQ(w[0].size(), expected["source_ids"].size()) << "cross weights: source columns";
    EXPECT_NEAR(w[1][2].get<double>(), expected["cross"][0][0]["weights"][1][2].get<double>(), 1e-5);
    EXPECT_NEAR(doc["source"]["layers"][0]["heads"][0]["weights"][2][1].get<double>(),
                expected["encoder"][0][0]["weights"][2][1].get<double>(), 1e-5);
}

// compute_trace of an encoder-decoder: the text is the source, the trace the decoder's over the
// target (start token first), the encoder's pass in `source`, one cross layer per decoder layer.
TEST_P(HfSeq2SeqReference, ComputeTraceForcedOnATargetTracesAllThreeAttentions) {
    TraceOptions request;
    request.target = "w8 w9";
    auto traced = compute_trace(*model, "w5 w6 w7", request);
    ASSERT_TRUE(traced.ok()) << traced.error().message;
    const Trace& trace = *traced.value();
    ASSERT_NE(trace.source, nullptr);
    EXPECT_TRUE(is_encoder_decoder(trace));
    EXPECT_EQ(trace.source_text, "w5 w6 w7");
    EXPECT_EQ(trace.text, "w8 w9");
    EXPECT_EQ(trace.tokens.front().id, model->encoder_decoder()->decoder_start_id());
    EXPECT_EQ(trace.source->tokens.size(), trace.source_tokens.size());
    EXPECT_EQ(static_cast<int>(trace.source->layers.size()), model->info().n_encoder_layers);
    ASSERT_EQ(trace.cross_layers.size(), trace.layers.size());
    const auto cross = cross_attention_trace(trace);
    EXPECT_EQ(cross->n_keys(0), static_cast<int>(trace.source_tokens.size()));
    const Matrix& w = *cross->head_weights(0, 0);
    EXPECT_EQ(w.rows(), trace.n_tokens());
    EXPECT_EQ(w.cols(), static_cast<Index>(trace.source_tokens.size()));
    EXPECT_NEAR(w.row(1).sum(), 1.0f, 1e-5f);
    EXPECT_EQ(trace.logits.rows(), trace.n_tokens()) << "a translation shows what the decoder weighed at every step";
}

// Without a target the decoder traces the model's own greedy translation: each token it chose
// must be the largest logit of the row before it in the full pass over the translation (the
// step-by-step passes and the one trace agree), and it stops at the end token or the length.
TEST_P(HfSeq2SeqReference, TheUntargetedTraceIsTheGreedyTranslation) {
    TraceOptions request;
    request.max_new = 6;
    auto traced = compute_trace(*model, "w5 w6 w7", request);
    ASSERT_TRUE(traced.ok()) << traced.error().message;
    const Trace& trace = *traced.value();
    ASSERT_GE(trace.n_tokens(), 1);
    EXPECT_LE(trace.n_tokens(), 1 + 6);
    for (int i = 1; i < trace.n_tokens(); ++i) {
        Index best = 0;
        trace.logits_of(i - 1).maxCoeff(&best);
        EXPECT_EQ(trace.tokens[static_cast<std::size_t>(i)].id, static_cast<int>(best)) << "token " << i;
        EXPECT_NE(trace.tokens[static_cast<std::size_t>(i)].id, model->encoder_decoder()->end_id()) << "the end token is not traced";
    }
}

TEST_P(HfSeq2SeqReference, AnEmptySourceOrATargetPastTheDecodersLengthIsAClearError) {
    auto empty = compute_trace(*model, "   ", TraceOptions{});
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(empty.error().message.find("the source"), std::string::npos) << empty.error().message;
    TraceOptions request;
    std::string long_target;
    for (int i = 0; i < 600; ++i) long_target += "w9 ";  // past T5's 512 too
    request.target = long_target;
    auto too_long = compute_trace(*model, "w5", request);
    ASSERT_FALSE(too_long.ok());
    EXPECT_EQ(too_long.error().message.rfind("the target has", 0), 0u) << too_long.error().message;
}

INSTANTIATE_TEST_SUITE_P(Families, HfSeq2SeqReference,
                         ::testing::Values("t5_relu_f32", "t5_gated_f16", "bart_f32", "bart_f16", "marian_f32",
                                           "marian_f16_no_pos_table"));

// Worked by hand from transformers' _relative_position_bucket, 32 buckets, max distance 128.
// Encoder (bidirectional): 16 buckets each way, exact below 8: -1 -> 1, +1 -> 16 + 1; -20 -> 8 +
// floor(ln(20/8) / ln(128/8) * 8) = 8 + floor(2.64) = 10; -200 -> 8 + floor(9.29), capped at 15.
// Decoder (looks back only): exact below 16; -20 -> 16 + floor(ln(20/16) / ln(8) * 16) = 17;
// -100 -> 16 + floor(14.1) = 30; any later key -> 0.
TEST(T5RelativeBucket, GivesTheBucketsWorkedByHand) {
    EXPECT_EQ(t5_relative_bucket(0, true, 32, 128), 0);
    EXPECT_EQ(t5_relative_bucket(-1, true, 32, 128), 1);
    EXPECT_EQ(t5_relative_bucket(1, true, 32, 128), 17);
    EXPECT_EQ(t5_relative_bucket(-20, true, 32, 128), 10);
    EXPECT_EQ(t5_relative_bucket(-200, true, 32, 128), 15);
    EXPECT_EQ(t5_relative_bucket(200, true, 32, 128), 31);
    EXPECT_EQ(t5_relative_bucket(-20, false, 32, 128), 17);
    EXPECT_EQ(t5_relative_bucket(-100, false, 32, 128), 30);
    EXPECT_EQ(t5_relative_bucket(5, false, 32, 128), 0);
    EXPECT_EQ(t5_relative_bucket(-15, false, 32, 128), 15);
}

// [SECTION] Real tokenizer folders with small random weights

// A safetensors file of these tensors, float32, small deterministic values; 1-D tensors near 1.
std::string small_safetensors(const std::vector<std::pair<std::string, std::vector<int>>>& tensors) {
    nlohmann::json header = nlohmann::json::object();
    std::string data;
    for (const auto& [name, shape] : tensors) {
        std::size_t count = 1;
        for (int s : shape) count *= static_cast<std::size_t>(s);
        const std::size_t begin = data.size();
        for (std::size_t i = 0; i < count; ++i) {
            const int step = static_cast<int>((i * 37 + name.size()) % 17) - 8;  // -8 .. 8
            data += testing::f32_le({(shape.size() == 1 ? 1.0f : 0.0f) + 0.3f * static_cast<float>(step) / 8.0f});
        }
        header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {begin, data.size()}}};
    }
    return testing::safetensors_bytes(header.dump(), data);
}

// t5-small's tokenizer.json beside a one-layer T5: the ids Hugging Face's T5 documentation
// prints for its translation example, the source ending in </s>, the decoder starting with the
// pad token (0) and reading the target without its </s>.
TEST(T5Folder, ReadsTheDocumentedIdsOfItsTranslationExample) {
    const fs::path real = fs::path(ATTNSCOPE_SHARED_MODELS) / "t5_small_tokenizer";
    if (!fs::exists(real / "tokenizer.json")) GTEST_SKIP() << "no " << real << " (../shared/models/README.md)";
    const fs::path dir = testing::test_scratch_dir() / "t5-small-shaped";
    fs::create_directories(dir);
    fs::copy_file(real / "tokenizer.json", dir / "tokenizer.json", fs::copy_options::overwrite_existing);
    const int d = 8, kv = 4, heads = 2, ff = 16, vocab = 32128, buckets = 32;
    const nlohmann::json config = {{"model_type", "t5"}, {"d_model", d}, {"d_kv", kv}, {"num_heads", heads}, {"d_ff", ff},
                                   {"num_layers", 1}, {"num_decoder_layers", 1}, {"vocab_size", vocab},
                                   {"relative_attention_num_buckets", buckets}, {"decoder_start_token_id", 0},
                                   {"eos_token_id", 1}, {"pad_token_id", 0}, {"feed_forward_proj", "relu"}};
    std::ofstream(dir / "config.json") << config.dump();
    std::vector<std::pair<std::string, std::vector<int>>> tensors = {
        {"shared.weight", {vocab, d}}, {"encoder.final_layer_norm.weight", {d}}, {"decoder.final_layer_norm.weight", {d}}};
    auto attention = [&](const std::string& b) {
        for (const char* n : {"q", "k", "v"}) tensors.push_back({b + n + ".weight", {heads * kv, d}});
        tensors.push_back({b + "o.weight", {d, heads * kv}});
    };
    for (const std::string stack : {"encoder", "decoder"}) {
        const std::string b = stack + ".block.0.layer.";
        attention(b + "0.SelfAttention.");
        tensors.push_back({b + "0.SelfAttention.relative_attention_bias.weight", {buckets, heads}});
        tensors.push_back({b + "0.layer_norm.weight", {d}});
        if (stack == "decoder") attention(b + "1.EncDecAttention."), tensors.push_back({b + "1.layer_norm.weight", {d}});
        const std::string f = b + (stack == "decoder" ? "2." : "1.");
        tensors.push_back({f + "DenseReluDense.wi.weight", {ff, d}});
        tensors.push_back({f + "DenseReluDense.wo.weight", {d, ff}});
        tensors.push_back({f + "layer_norm.weight", {d}});
    }
    std::ofstream(dir / "model.safetensors", std::ios::binary) << small_safetensors(tensors);

    auto loaded = load_model(dir.string());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    TraceOptions request;
    request.target = "Das Haus ist wunderbar.";
    auto traced = compute_trace(*loaded.value(), "translate English to German: The house is wonderful.", request);
    ASSERT_TRUE(traced.ok()) << traced.error().message;
    std::vector<int> source, target;
    for (const Token& t : traced.value()->source_tokens) source.push_back(t.id);
    for (const Token& t : traced.value()->tokens) target.push_back(t.id);
    EXPECT_EQ(source, (std::vector<int>{13959, 1566, 12, 2968, 10, 37, 629, 19, 1627, 5, 1}));
    EXPECT_EQ(target, (std::vector<int>{0, 644, 4598, 229, 19250, 5}));
    EXPECT_EQ(traced.value()->layers[0].heads[0].relative_bias.size(), 2 * 6 - 1) << "the decoder's bias by distance";
    EXPECT_EQ(traced.value()->cross_layers[0].heads[0].relative_bias.size(), 0) << "cross-attention has no position bias";
}

// [SECTION] A real Marian folder: opus-mt-en-mg's tokenizer files and config, with small random weights

// Every tensor a Marian config implies (the sinusoids computed, as current checkpoints save them),
// float32, small deterministic values; 1-D tensors near 1.
std::string marian_safetensors(int d, int ff, int vocab) {
    std::vector<std::pair<std::string, std::vector<int>>> tensors = {{"model.shared.weight", {vocab, d}},
                                                                       {"final_logits_bias", {1, vocab}}};
    auto linear = [&](const std::string& base, int out, int in) {
        tensors.push_back({base + ".weight", {out, in}});
        tensors.push_back({base + ".bias", {out}});
    };
    auto norm = [&](const std::string& base) {
        tensors.push_back({base + ".weight", {d}});
        tensors.push_back({base + ".bias", {d}});
    };
    for (const std::string side : {"encoder", "decoder"}) {
        const std::string b = "model." + side + ".layers.0.";
        for (const char* attention : {"self_attn", "encoder_attn"}) {
            if (std::string(attention) == "encoder_attn" && side == "encoder") continue;
            for (const char* p : {".q_proj", ".k_proj", ".v_proj", ".out_proj"}) linear(b + attention + p, d, d);
            norm(b + attention + "_layer_norm");
        }
        linear(b + "fc1", ff, d), linear(b + "fc2", d, ff), norm(b + "final_layer_norm");
    }
    return small_safetensors(tensors);
}

// The folder as a Helsinki-NLP checkpoint has it (config.json, source.spm, target.spm,
// vocab.json), its config shrunk to one small layer each side so the weights are a few MB.
TEST(MarianFolder, ReadsTheSourceWithSourceSpmAndWritesTheTargetWithTargetSpm) {
    const fs::path real = fs::path(ATTNSCOPE_SHARED_MODELS) / "opus_mt_en_mg";
    if (!fs::exists(real / "source.spm")) GTEST_SKIP() << "no " << real << " (../shared/models/README.md)";
    const fs::path dir = testing::test_scratch_dir() / "opus-mt-en-mg-small";
    fs::create_directories(dir);
    for (const char* f : {"source.spm", "target.spm", "vocab.json", "tokenizer_config.json"})
        fs::copy_file(real / f, dir / f, fs::copy_options::overwrite_existing);
    nlohmann::json config = nlohmann::json::parse(std::ifstream(real / "config.json"));
    const int d = 8, ff = 16, vocab = config["vocab_size"];
    config.update({{"d_model", d}, {"encoder_layers", 1}, {"decoder_layers", 1}, {"encoder_attention_heads", 2},
                   {"decoder_attention_heads", 2}, {"encoder_ffn_dim", ff}, {"decoder_ffn_dim", ff}, {"max_position_embeddings", 64}});
    std::ofstream(dir / "config.json") << config.dump();
    std::ofstream(dir / "model.safetensors", std::ios::binary) << marian_safetensors(d, ff, vocab);

    auto loaded = load_model(dir.string());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    const ModelPtr model = loaded.value();
    const EncoderDecoder* ed = model->encoder_decoder();
    ASSERT_NE(ed, nullptr);
    EXPECT_NE(&ed->target_tokenizer(), &model->tokenizer()) << "the target is written with target.spm";
    EXPECT_EQ(ed->decoder_start_id(), 54687) << "Marian starts the decoder with the pad token";
    EXPECT_EQ(ed->end_id(), 0);

    // Worked with spm_encode over source.spm and looked up in vocab.json by hand (see
    // tests/tokenize/sentencepiece_tokenizer_test.cpp), with </s> appended as MarianTokenizer does.
    TraceOptions request;
    request.target = "Nentina tany amin'ny banky ny vola aho.";
    auto traced = compute_trace(*model, "I took the money to the bank.", request);
    ASSERT_TRUE(traced.ok()) << traced.error().message;
    const Trace& trace = *traced.value();
    std::vector<int> source_ids;
    for (const Token& t : trace.source_tokens) source_ids.push_back(t.id);
    EXPECT_EQ(source_ids, (std::vector<int>{47, 659, 7, 994, 9, 7, 7877, 4, 0}));
    EXPECT_EQ(trace.tokens.front().id, 54687);
    EXPECT_NE(trace.tokens.back().id, 0) << "the target's </s> is what the last row predicts, not an input";
    std::vector<int> target_ids;
    for (std::size_t i = 1; i < trace.tokens.size(); ++i) target_ids.push_back(trace.tokens[i].id);
    EXPECT_EQ(ed->target_tokenizer().decode(target_ids), *request.target);
    EXPECT_EQ(trace.cross_layers[0].heads[0].weights.cols(), static_cast<Index>(source_ids.size()));

    request.target.reset();
    request.max_new = 4;
    auto translated = compute_trace(*model, "the bank", request);
    ASSERT_TRUE(translated.ok()) << translated.error().message;
    EXPECT_LE(translated.value()->n_tokens(), 5);
}

}  // namespace
}  // namespace attnscope
