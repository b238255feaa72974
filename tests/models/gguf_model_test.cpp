// GGUF files as models (models/gguf_model.h): llama.cpp's real conversion of stories260K against
// its safetensors twin (same ids, every head's q, k, v and weights, the published continuation),
// and small files written here byte by byte for what must be refused, each naming the key or the
// tensor as the file spells it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <string>
#include <optional>
#include <vector>

#include "attnscope/forward.h"
#include "attnscope/model.h"
#include "formats/gguf_files.h"
#include "model_checks.h"
#include "shared_models.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace attnscope::testing;   // GgufWriter, Bytes, TempDir, shared_model

// [SECTION] stories260K.gguf

float largest_difference(const Matrix& a, const Matrix& b) {
    EXPECT_EQ(a.rows(), b.rows());
    EXPECT_EQ(a.cols(), b.cols());
    if (a.rows() != b.rows() || a.cols() != b.cols()) return INFINITY;
    return (a - b).cwiseAbs().maxCoeff();
}

TEST(GgufModel, Stories260KTracesExactlyAsItsSafetensorsTwin) {
    SKIP_WITHOUT_SHARED_MODEL("gguf/stories260K.gguf");
    SKIP_WITHOUT_SHARED_MODEL("stories260K");
    const auto gguf = load_model(shared_model("gguf/stories260K.gguf").string());
    ASSERT_TRUE(gguf.ok()) << gguf.error().message;
    const auto twin = load_model(shared_model("stories260K").string());
    ASSERT_TRUE(twin.ok()) << twin.error().message;
    EXPECT_EQ(gguf.value()->info().n_kv_heads, 4);
    EXPECT_EQ(gguf.value()->info().d_head, 8);

    const std::string text = "Once upon a time, a little dog found a red ball in the garden. He was so happy!";
    const auto a = compute_trace(*gguf.value(), text);
    const auto b = compute_trace(*twin.value(), text);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok()) << b.error().message;
    ASSERT_EQ(a.value()->tokens.size(), b.value()->tokens.size());
    for (std::size_t i = 0; i < a.value()->tokens.size(); ++i) EXPECT_EQ(a.value()->tokens[i].id, b.value()->tokens[i].id) << i;
    ASSERT_EQ(a.value()->layers.size(), 5u);
    float worst = 0;
    for (std::size_t l = 0; l < 5; ++l) {
        ASSERT_EQ(a.value()->layers[l].heads.size(), 8u);
        for (std::size_t h = 0; h < 8; ++h) {
            const HeadTrace &x = a.value()->layers[l].heads[h], &y = b.value()->layers[l].heads[h];
            // q and k after RoPE: llama.cpp's reordered rows are read back in Hugging Face's order.
            for (const auto& [p, q] : {std::pair{&x.q, &y.q}, {&x.k, &y.k}, {&x.v, &y.v}, {&x.weights, &y.weights}})
                worst = std::max(worst, largest_difference(*p, *q));
        }
    }
    EXPECT_LE(worst, 1e-5f);
    EXPECT_LE(largest_difference(a.value()->logits, b.value()->logits), 1e-4f);
}

// [SECTION] GPT-2 and BERT converted as llama.cpp converts them (make_gguf_reference.py --convert-hf)

// The largest difference of q, k, v and weights over every head of two traces of the same ids.
float largest_head_difference(const Trace& a, const Trace& b) {
    EXPECT_EQ(a.layers.size(), b.layers.size());
    float worst = a.layers.size() == b.layers.size() ? 0.0f : INFINITY;
    for (std::size_t l = 0; l < std::min(a.layers.size(), b.layers.size()); ++l) {
        EXPECT_EQ(a.layers[l].heads.size(), b.layers[l].heads.size());
        for (std::size_t h = 0; h < std::min(a.layers[l].heads.size(), b.layers[l].heads.size()); ++h) {
            const HeadTrace &x = a.layers[l].heads[h], &y = b.layers[l].heads[h];
            for (const auto& [p, q] : {std::pair{&x.q, &y.q}, {&x.k, &y.k}, {&x.v, &y.v}, {&x.weights, &y.weights}})
                worst = std::max(worst, largest_difference(*p, *q));
        }
    }
    return worst;
}

struct ConvertedPair {
    ModelPtr gguf, twin;
};

// The converted file of a shared Hugging Face folder (ctest writes it) and the folder itself.
std::optional<ConvertedPair> converted(const std::string& folder) {
    const fs::path file = fs::path(ATTNSCOPE_GGUF_REFERENCE_DIR) / "converted" / (folder + ".gguf");
    if (!fs::exists(file) || !fs::exists(shared_model(folder))) return std::nullopt;
    auto gguf = load_model(file.string());
    auto twin = load_model(shared_model(folder).string());
    EXPECT_TRUE(gguf.ok()) << gguf.error().message;
    EXPECT_TRUE(twin.ok()) << twin.error().message;
    if (!gguf.ok() || !twin.ok()) return std::nullopt;
    return ConvertedPair{gguf.value(), twin.value()};
}

// Same ids, the same typed text under each token, same heads.
void expect_same_trace(const ConvertedPair& pair, const std::string& text, bool logits) {
    const auto a = compute_trace(*pair.gguf, text);
    const auto b = compute_trace(*pair.twin, text);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok()) << b.error().message;
    ASSERT_EQ(a.value()->tokens.size(), b.value()->tokens.size());
    for (std::size_t i = 0; i < a.value()->tokens.size(); ++i) {
        EXPECT_EQ(a.value()->tokens[i].id, b.value()->tokens[i].id) << i;
        const Token &x = a.value()->tokens[i], &y = b.value()->tokens[i];
        EXPECT_EQ(x.start, y.start) << i;   // the same typed text under each token (pieces are spelt differently)
        EXPECT_EQ(x.end, y.end) << i;
        EXPECT_EQ(x.special, y.special) << i;
        EXPECT_EQ(x.continues_word, y.continues_word) << i;
    }
    const float heads = largest_head_difference(*a.value(), *b.value());
    EXPECT_LE(heads, 1e-5f);
    const float logit_gap = logits ? largest_difference(a.value()->logits, b.value()->logits) : 0.0f;
    if (logits) {
        EXPECT_LE(logit_gap, 1e-4f);
    }
    std::printf("[ GGUF vs safetensors ] %zu tokens: largest head difference %.2e, logits %.2e\n", a.value()->tokens.size(),
                static_cast<double>(heads), static_cast<double>(logit_gap));
}

// GPT-2's Conv1D weights are stored transposed in the GGUF file; the tied head is not written.
TEST(GgufModel, AGpt2ConvertedAsLlamaCppDoesTracesAsItsSafetensorsTwin) {
    const auto pair = converted("fake_gpt2");
    if (!pair) GTEST_SKIP() << "fake_gpt2 or its conversion is absent (ctest writes it from " << shared_model("fake_gpt2") << ")";
    EXPECT_EQ(pair->gguf->info().architecture, Architecture::Gpt2);
    expect_same_trace(*pair, "Once upon a time, the river bank was quiet. It's 2024!", true);
}

// BERT without its masked-word head (llama.cpp drops it): the same attention, no fill-in.
TEST(GgufModel, ABertConvertedAsLlamaCppDoesTracesAsItsSafetensorsTwin) {
    const auto pair = converted("bert_tiniest");
    if (!pair) GTEST_SKIP() << "bert_tiniest or its conversion is absent (ctest writes it from " << shared_model("bert_tiniest") << ")";
    EXPECT_EQ(pair->gguf->info().architecture, Architecture::Bert);
    expect_same_trace(*pair, "We sat on the river bank, near the café.", false);
    const auto trace = compute_trace(*pair->gguf, "the bank");
    ASSERT_TRUE(trace.ok());
    EXPECT_EQ(trace.value()->logits.size(), 0) << "the converter drops cls.predictions";
}

// The Llama kinds of make_reference.py's checkpoints, converted as llama.cpp converts them (llama
// and mistral with permuted q/k rows, llama3's rope_freqs.weight; qwen2 biases; qwen3's per-head
// and olmo2's whole-projection q/k norms, olmo2's post_attention_norm and post_ffw_norm; phi3's
// fused attn_qkv and ffn_up and partial rotary; the gemmas' norms stored as 1 + w, Gemma 2's caps
// and windows, Gemma 3's local RoPE base; GPT-NeoX's query_key_value regrouped [Q; K; V]): the
// GGUF file traces as the safetensors folder does.
class GgufConvertedLlamaKind : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufConvertedLlamaKind, TracesAsItsSafetensorsTwin) {
    const fs::path file = fs::path(ATTNSCOPE_GGUF_REFERENCE_DIR) / "converted" / (GetParam() + ".gguf");
    const fs::path folder = fs::path(ATTNSCOPE_HF_REFERENCE_DIR) / GetParam();
    if (!fs::exists(file) || !fs::exists(folder)) GTEST_SKIP() << "no conversion at " << file << " (ctest writes it)";
    auto gguf = load_model(file.string());
    auto twin = load_model(folder.string());
    ASSERT_TRUE(gguf.ok()) << gguf.error().message;
    ASSERT_TRUE(twin.ok()) << twin.error().message;
    EXPECT_EQ(gguf.value()->info().n_kv_heads, twin.value()->info().n_kv_heads);
    EXPECT_EQ(gguf.value()->info().d_head, twin.value()->info().d_head);
    EXPECT_EQ(gguf.value()->info().norm, twin.value()->info().norm);
    EXPECT_EQ(gguf.value()->info().attention, twin.value()->info().attention);
    EXPECT_EQ(gguf.value()->info().positional, twin.value()->info().positional);
    expect_same_trace(ConvertedPair{gguf.value(), twin.value()}, "the bank, the river: 42 boats!", true);
}

INSTANTIATE_TEST_SUITE_P(GgufModel, GgufConvertedLlamaKind,
                         ::testing::Values("llama_f32_gqa_untied_sharded", "llama_bf16_tied_llama3_rope", "qwen2_f16_biases_one_kv_head",
                                           "mistral_f32_linear_rope", "qwen3_f32_gqa_tied", "qwen3_bf16_untied", "olmo2_f32",
                                           "olmo2_bf16_gqa", "phi3_f32_gqa", "phi3_bf16", "gemma_f32_mqa", "gemma_bf16",
                                           "gemma2_bf16_layer_types", "gemma3_bf16_as_released", "gpt_neox_f32_parallel"),
                         [](const auto& info) { return info.param; });

TEST(GgufModel, Stories260KContinuesOnceUponATimeAsPublished) {
    SKIP_WITHOUT_SHARED_MODEL("gguf/stories260K.gguf");
    const auto model = load_model(shared_model("gguf/stories260K.gguf").string());
    ASSERT_TRUE(model.ok()) << model.error().message;
    const auto tokens = model.value()->tokenizer().encode("Once upon a time").value();
    ASSERT_EQ(tokens.size(), 5u);
    EXPECT_EQ(tokens[0].id, 1) << "BOS first (tokenizer.ggml.add_bos_token's default for llama)";
    const auto generated = greedy_continuation(*model.value(), tokens, 20);
    // llama2.c's published output for this model and prompt (../shared/models/README.md)
    const std::string text = model.value()->tokenizer().decode(generated);
    EXPECT_THAT(", there was a little girl named Lily. She loved to play outside in the park. One day,", StartsWith(text));
    EXPECT_GT(text.size(), 50u);
}

TEST(GgufModel, InfoSaysItIsAGgufFileAndItsWeightType) {
    SKIP_WITHOUT_SHARED_MODEL("gguf/stories260K.gguf");
    const auto model = load_model(shared_model("gguf/stories260K.gguf").string());
    ASSERT_TRUE(model.ok()) << model.error().message;
    EXPECT_THAT(model.value()->info().description, HasSubstr("GGUF v3"));
    EXPECT_EQ(model.value()->info().dtype, "f32");
    EXPECT_EQ(model.value()->info().architecture, Architecture::Llama);
}

// [SECTION] Small files written here

// A tiny llama file: d_model 8, 2 heads of 4, 1 layer, d_ff 8, a 4-piece SentencePiece vocabulary.
// `skip_key` leaves one metadata key out; `override_type` stores blk.0.attn_v.weight as that
// ggml type (with zero bytes of the right size).
struct TinyLlama {
    std::string skip_key;
    std::string architecture = "llama";
    std::uint32_t v_type = kTypeF32;
    std::uint64_t v_rows = 8;
    std::uint32_t rope_dims = 4;
    std::uint32_t heads = 2;

    std::string bytes() const {
        GgufWriter w;
        const auto key = [&](const std::string& k, const Bytes& v) {
            if (k != skip_key) w.kv(k, v);
        };
        const std::string a = architecture;
        key("general.architecture", Bytes().u32(kStr).str(a));
        key(a + ".embedding_length", Bytes().u32(kU32).u32(8));
        key(a + ".block_count", Bytes().u32(kU32).u32(1));
        key(a + ".attention.head_count", Bytes().u32(kU32).u32(heads));
        key(a + ".attention.head_count_kv", Bytes().u32(kU32).u32(2));
        key(a + ".feed_forward_length", Bytes().u32(kU32).u32(8));
        key(a + ".context_length", Bytes().u32(kU32).u32(64));
        key(a + ".rope.dimension_count", Bytes().u32(kU32).u32(rope_dims));
        key(a + ".attention.layer_norm_rms_epsilon", Bytes().u32(kF32).put(1e-5f));
        key("tokenizer.ggml.model", Bytes().u32(kStr).str("llama"));
        key("tokenizer.ggml.tokens", strings({"<unk>", "<s>", "</s>", "\xE2\x96\x81" "a"}));
        Bytes scores;
        scores.u32(kArr).u32(kF32).u64(4).put(0.0f).put(0.0f).put(0.0f).put(-1.0f);
        key("tokenizer.ggml.scores", scores);
        Bytes types;
        types.u32(kArr).u32(kI32).u64(4).put(std::int32_t{2}).put(std::int32_t{3}).put(std::int32_t{3}).put(std::int32_t{1});
        key("tokenizer.ggml.token_type", types);
        key("tokenizer.ggml.bos_token_id", Bytes().u32(kU32).u32(1));
        key("tokenizer.ggml.eos_token_id", Bytes().u32(kU32).u32(2));
        key("tokenizer.ggml.unknown_token_id", Bytes().u32(kU32).u32(0));
        const auto matrix = [&](const std::string& name, std::uint64_t in, std::uint64_t out, std::uint32_t type = kTypeF32) {
            std::string data(in * out * 4, '\0');
            if (type == kTypeQ8_0) data.assign(in / 32 * 34 * out, '\0');
            if (type == 20) data.assign(in / 32 * 18 * out, '\0');   // IQ4_NL, a type the loader refuses
            for (std::size_t i = 0; type == kTypeF32 && i < in * out; ++i) {
                const float v = 0.01f * static_cast<float>(i % 7) - 0.03f;
                std::memcpy(&data[4 * i], &v, 4);
            }
            w.tensor_with_data(name, out == 1 ? std::vector<std::uint64_t>{in} : std::vector<std::uint64_t>{in, out}, type, data);
        };
        matrix("token_embd.weight", 8, 4);
        matrix("blk.0.attn_norm.weight", 8, 1);
        matrix("blk.0.attn_q.weight", 8, 8);
        matrix("blk.0.attn_k.weight", 8, 8);
        matrix("blk.0.attn_v.weight", v_type == kTypeF32 ? 8 : 32, v_rows, v_type);
        matrix("blk.0.attn_output.weight", 8, 8);
        matrix("blk.0.ffn_norm.weight", 8, 1);
        matrix("blk.0.ffn_gate.weight", 8, 8);
        matrix("blk.0.ffn_up.weight", 8, 8);
        matrix("blk.0.ffn_down.weight", 8, 8);
        matrix("output_norm.weight", 8, 1);
        return w.bytes();
    }
};

std::string load_error(const TinyLlama& file, const std::string& name = "tiny.gguf") {
    const TempDir dir;
    const fs::path path = dir.write(name, file.bytes());
    const auto model = load_model(path.string());
    EXPECT_FALSE(model.ok()) << "a file that must be refused was loaded";
    if (model.ok()) return "<loaded>";
    EXPECT_THAT(model.error().message, StartsWith(path.string() + ": "));
    return model.error().message.substr(path.string().size() + 2);
}

TEST(GgufModel, ASmallSoundFileLoadsWithTiedOutputAndTraces) {
    const TempDir dir;
    const fs::path path = dir.write("tiny.gguf", TinyLlama{}.bytes());
    const auto model = load_model(path.string());
    ASSERT_TRUE(model.ok()) << model.error().message;
    EXPECT_EQ(model.value()->info().n_layers, 1);
    EXPECT_EQ(model.value()->info().n_heads, 2);
    EXPECT_EQ(model.value()->info().d_head, 4);
    EXPECT_EQ(model.value()->info().vocab_size, 4);
    std::vector<Token> tokens(3);
    tokens[0].id = 1;
    tokens[1].id = tokens[2].id = 3;
    const auto trace = model.value()->forward(tokens, ForwardOptions{});
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    EXPECT_EQ(trace.value().logits.cols(), 4);
}

TEST(GgufModel, AMissingKeyIsNamedAsTheFileSpellsIt) {
    EXPECT_EQ(load_error(TinyLlama{"llama.block_count"}), "key 'llama.block_count': missing");
    EXPECT_THAT(load_error(TinyLlama{"general.architecture"}), StartsWith("key 'general.architecture': missing"));
}

TEST(GgufModel, AnArchitectureItDoesNotRunIsNamed) {
    TinyLlama file;
    file.architecture = "mamba";
    EXPECT_THAT(load_error(file), HasSubstr("\"mamba\" is not an architecture AttnScope runs from GGUF yet"));
}

TEST(GgufModel, ATensorOfATypeItCannotReadNamesTheTensorAndTheType) {
    TinyLlama file;
    file.v_type = 20;   // IQ4_NL: blocks of 32 in 18 bytes
    const std::string message = load_error(file);
    EXPECT_THAT(message, HasSubstr("tensor 'blk.0.attn_v.weight'"));
    EXPECT_THAT(message, HasSubstr("IQ4_NL, a type AttnScope cannot read yet"));
    EXPECT_THAT(message, HasSubstr("Q4_K"));
}

TEST(GgufModel, AMisshapenTensorIsNamedAsTheFileSpellsIt) {
    TinyLlama file;
    file.v_rows = 4;   // two heads of 4 need 8 rows
    EXPECT_EQ(load_error(file), "tensor 'blk.0.attn_v.weight': expected shape [8, 8], got [4, 8]");
}

TEST(GgufModel, AConfigCheckThatFailsNamesEveryKeyAsTheFileSpellsIt) {
    TinyLlama file;
    file.heads = 3;
    EXPECT_EQ(load_error(file), "key 'llama.attention.head_count': expected a divisor of llama.embedding_length 8, got 3");
}

TEST(GgufModel, RopeOnPartOfAHeadIsRefused) {
    TinyLlama file;
    file.rope_dims = 2;
    EXPECT_THAT(load_error(file), HasSubstr("key 'llama.rope.dimension_count': RoPE on part of a head (2 of 4 dimensions)"));
}

TEST(GgufModel, AQuantizedTensorIsCheckedForShapeLikeAnyOther) {
    TinyLlama file;
    file.v_type = kTypeQ8_0;   // rows of 32 (one block): 8 x 32 does not fit d_model 8
    EXPECT_THAT(load_error(file), HasSubstr("tensor 'blk.0.attn_v.weight': expected shape [8, 8], got [8, 32]"));
}

}  // namespace
}  // namespace attnscope
