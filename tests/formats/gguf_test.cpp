// Tests for the GGUF container reader (formats/gguf.h): the ggml type table, every metadata type
// read back exactly, the typed getters and their messages, every way a hostile file can lie, and
// the shared llama.cpp files (stories260K.gguf and the vocabulary-only ggml-vocab-*.gguf).
//
// The files are written byte by byte by GgufWriter below, from the layout in ggml's docs/gguf.md,
// so the expected values are the ones the test wrote, never the reader's own output. The shared
// files are checked against facts read elsewhere: stories260K's config.json and its safetensors
// twin, and the metadata as an independent Python reader printed it.
//
// Index
// [SECTION] ggml types
// [SECTION] Reading well-formed files
// [SECTION] Typed getters
// [SECTION] load_model on a GGUF file
// [SECTION] Shared llama.cpp files
#include "formats/gguf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/model.h"
#include "formats/safetensors.h"
#include "gguf_files.h"
#include "shared_models.h"
#include "safetensors_files.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TempDir;
using namespace attnscope::testing;  // gguf_files.h

// [SECTION] ggml types

TEST(GgmlTypes, BlockSizesAndBytesAreThoseOfGgmlBlocks) {
    // Bytes per block worked out from the block structs in ggml-common.h (half = 2 bytes).
    struct Expect { const char* name; std::uint32_t id, block, bytes; };
    const Expect expected[] = {
        {"F32", 0, 1, 4}, {"F16", 1, 1, 2}, {"BF16", 30, 1, 2},
        {"Q4_0", 2, 32, 2 + 32 / 2}, {"Q4_1", 3, 32, 2 * 2 + 32 / 2}, {"Q5_0", 6, 32, 2 + 4 + 32 / 2},
        {"Q5_1", 7, 32, 2 * 2 + 4 + 32 / 2}, {"Q8_0", 8, 32, 2 + 32}, {"Q8_1", 9, 32, 2 * 2 + 32},
        {"Q2_K", 10, 256, 2 * 2 + 256 / 16 + 256 / 4}, {"Q3_K", 11, 256, 2 + 256 / 4 + 256 / 8 + 12},
        {"Q4_K", 12, 256, 2 * 2 + 12 + 256 / 2}, {"Q5_K", 13, 256, 2 * 2 + 12 + 256 / 2 + 256 / 8},
        {"Q6_K", 14, 256, 2 + 256 / 16 + 3 * 256 / 4}, {"Q8_K", 15, 256, 4 + 256 + 256 / 16 * 2},
        {"I8", 24, 1, 1}, {"I16", 25, 1, 2}, {"I32", 26, 1, 4}, {"I64", 27, 1, 8}, {"F64", 28, 1, 8},
        {"IQ4_NL", 20, 32, 2 + 16}, {"IQ4_XS", 23, 256, 2 + 2 + 256 / 64 + 256 / 2},
    };
    for (const Expect& e : expected) {
        const GgmlTypeInfo* t = ggml_type_info(e.id);
        ASSERT_NE(t, nullptr) << e.name;
        EXPECT_STREQ(t->name, e.name);
        EXPECT_EQ(t->block_size, e.block) << e.name;
        EXPECT_EQ(t->block_bytes, e.bytes) << e.name;
        EXPECT_EQ(static_cast<std::uint32_t>(t->type), e.id);
        EXPECT_STREQ(ggml_type_name(t->type), e.name);
    }
}

TEST(GgmlTypes, RetiredAndUnknownIdsHaveNoEntry) {
    for (std::uint32_t id : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 1000u, 0xFFFFFFFFu}) EXPECT_EQ(ggml_type_info(id), nullptr) << id;
    EXPECT_EQ(ggml_types().size(), kGgmlTypeCount);
    for (const GgmlTypeInfo& t : ggml_types()) EXPECT_EQ(ggml_type_info(static_cast<std::uint32_t>(t.type)), &ggml_type_info(t.type));
}

// [SECTION] Reading well-formed files


TEST(GgufFile, ReadsEveryMetadataTypeExactly) {
    const TempDir dir;
    const Result<GgufFile> opened = open_bytes(dir, every_type_file().bytes());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    const GgufFile& f = opened.value();
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.alignment(), 32u);
    ASSERT_EQ(f.metadata().size(), 20u);
    EXPECT_EQ(f.metadata()[0].first, "t.u8");   // file order

    EXPECT_EQ(f.get_uint("t.u8").value(), 255u);
    EXPECT_EQ(f.get_int("t.i8").value(), -128);
    EXPECT_EQ(f.get_uint("t.u16").value(), 65535u);
    EXPECT_EQ(f.get_int("t.i16").value(), -32768);
    EXPECT_EQ(f.get_uint("t.u32").value(), 4294967295u);
    EXPECT_EQ(f.get_int("t.i32").value(), -2147483648LL);
    EXPECT_EQ(f.get_float("t.f32").value(), static_cast<double>(0.1f));
    EXPECT_TRUE(f.get_bool("t.true").value());
    EXPECT_FALSE(f.get_bool("t.false").value());
    EXPECT_EQ(f.get_string("t.str").value(), "caf\xc3\xa9 \xe2\x96\x81");
    EXPECT_EQ(f.get_string("t.empty").value(), "");
    EXPECT_EQ(f.get_uint("t.u64").value(), 18446744073709551615ull);
    EXPECT_EQ(f.get_int("t.i64").value(), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(f.get_float("t.f64").value(), 2.718281828459045);
    EXPECT_EQ(f.get_string_array("t.strings").value(), (std::vector<std::string>{"<s>", "", "\xe2\x96\x81the"}));
    EXPECT_EQ(f.get_float_array("t.floats").value(), (std::vector<double>{-1.5, 0.0, static_cast<double>(1e30f)}));
    EXPECT_EQ(f.get_int_array("t.i32s").value(), (std::vector<std::int64_t>{-7, 3}));
    EXPECT_EQ(f.get_float_array("t.i32s").value(), (std::vector<double>{-7.0, 3.0}));
    EXPECT_TRUE(f.get_int_array("t.none").value().empty());

    const GgufValue* bools = f.find_key("t.bools");
    ASSERT_NE(bools, nullptr);
    EXPECT_EQ(bools->describe(), "array of 2 bool");
    const std::vector<GgufValue> b = bools->elements();
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0].as_bool(), true);
    EXPECT_EQ(b[1].as_bool(), false);

    const GgufValue* nested = f.find_key("t.nested");
    ASSERT_NE(nested, nullptr);
    EXPECT_EQ(nested->element_type(), GgufValueType::Array);
    const std::vector<GgufValue> inner = nested->elements();
    ASSERT_EQ(inner.size(), 2u);
    EXPECT_EQ(inner[0].describe(), "array of 2 uint16");
    const std::vector<GgufValue> numbers = inner[0].elements();
    ASSERT_EQ(numbers.size(), 2u);
    EXPECT_EQ(numbers[0].as_uint(), 1u);
    EXPECT_EQ(numbers[1].as_uint(), 2u);
    const std::vector<GgufValue> strings = inner[1].elements();
    ASSERT_EQ(strings.size(), 1u);
    EXPECT_EQ(strings[0].as_string(), "x");
}

TEST(GgufFile, ListsTensorsWithShapeTypeSizeAndBytes) {
    const TempDir dir;
    const GgufWriter w = every_type_file();
    const std::string bytes = w.bytes();
    const Result<GgufFile> opened = open_bytes(dir, bytes);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    const GgufFile& f = opened.value();
    ASSERT_EQ(f.tensors().size(), 2u);
    const GgufTensorInfo& a = f.tensors()[0];
    EXPECT_EQ(a.name, "a.weight");
    EXPECT_EQ(a.dims, (std::vector<std::uint64_t>{3, 2}));
    EXPECT_EQ(a.shape(), (TensorShape{2, 3}));   // rows first
    EXPECT_EQ(a.type, GgmlType::F32);
    EXPECT_EQ(a.n_elements, 6u);
    EXPECT_EQ(a.n_bytes, 24u);
    EXPECT_EQ(f.data_offset() % 32, 0u);
    EXPECT_EQ(f.data_offset(), bytes.size() - w.data.s.size());

    const GgufTensorView va = f.view(a);
    ASSERT_EQ(va.n_bytes, 24u);
    float floats[6];
    std::memcpy(floats, va.data, sizeof floats);
    EXPECT_EQ(std::vector<float>(floats, floats + 6), (std::vector<float>{1, 2, 3, 4, 5, 6}));

    const GgufTensorInfo* b = f.find_tensor("b.weight");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->type, GgmlType::Q8_0);
    EXPECT_EQ(b->n_elements, 64u);
    EXPECT_EQ(b->n_bytes, 68u);
    EXPECT_EQ(b->offset, 32u);   // 24 bytes of a, padded to 32
    const GgufTensorView vb = f.view(*b);
    EXPECT_EQ(vb.data[0], 0);
    EXPECT_EQ(vb.data[67], 67);
    EXPECT_EQ(f.find_tensor("c.weight"), nullptr);
}

TEST(GgufFile, ReadsVersion2) {
    GgufWriter w = small_file();
    w.version = 2;
    const TempDir dir;
    const Result<GgufFile> opened = open_bytes(dir, w.bytes());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(opened.value().version(), 2u);
}

TEST(GgufFile, PlacesTheDataSectionAtTheFilesAlignment) {
    GgufWriter w;
    w.alignment = 64;
    w.kv_u32("general.alignment", 64);
    w.tensor_with_data("x", {4}, kTypeF32, f32_bytes({1, 2, 3, 4}));
    w.tensor_with_data("y", {1}, kTypeF32, f32_bytes({5}));
    const TempDir dir;
    const Result<GgufFile> opened = open_bytes(dir, w.bytes());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(opened.value().alignment(), 64u);
    EXPECT_EQ(opened.value().data_offset() % 64, 0u);
    const GgufTensorInfo* y = opened.value().find_tensor("y");
    ASSERT_NE(y, nullptr);
    EXPECT_EQ(y->offset, 64u);
    float v;
    std::memcpy(&v, opened.value().view(*y).data, 4);
    EXPECT_EQ(v, 5.0f);
}

TEST(GgufFile, OpensAFileWithNoTensorsEndingBeforeItsPadding) {
    GgufWriter w;
    w.kv_str("general.name", "vocab only");
    const std::string bytes = w.header() + w.kvs.s;   // no padding written, as vocabulary files may end
    const TempDir dir;
    const Result<GgufFile> opened = open_bytes(dir, bytes);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_TRUE(opened.value().tensors().empty());
}

// [SECTION] Typed getters

TEST(GgufGetters, NameTheFileKeyExpectedAndFoundTypes) {
    const TempDir dir;
    const fs::path file = dir.write("m.gguf", every_type_file().bytes());
    const Result<GgufFile> opened = GgufFile::open(file);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    const GgufFile& f = opened.value();
    const std::string at = file.string() + ": ";
    EXPECT_EQ(f.get_uint("t.str").error().message, at + "key 't.str': expected an unsigned integer, got string");
    EXPECT_EQ(f.get_string("t.u32").error().message, at + "key 't.u32': expected a string, got uint32");
    EXPECT_EQ(f.get_float("t.u32").error().message, at + "key 't.u32': expected a float32 or float64, got uint32");
    EXPECT_EQ(f.get_bool("t.u8").error().message, at + "key 't.u8': expected a bool, got uint8");
    EXPECT_EQ(f.get_string("no.such").error().message, at + "key 'no.such': expected a string, got no such key");
    EXPECT_EQ(f.get_string_array("t.floats").error().message,
              at + "key 't.floats': expected an array of strings, got array of 3 float32");
    EXPECT_EQ(f.get_string_array("t.str").error().message, at + "key 't.str': expected an array of strings, got string");
    EXPECT_THAT(f.get_uint("t.i8").error().message, HasSubstr("key 't.i8': expected an unsigned integer, got int8 holding a negative value"));
    EXPECT_THAT(f.get_int("t.u64").error().message, HasSubstr("key 't.u64': expected an integer, got uint64 holding a value of 2^63 or more"));
    EXPECT_THAT(f.get_int_array("t.floats").error().message, HasSubstr("expected an array of integers, got array of 3 float32"));
    EXPECT_THROW(f.require_uint("t.str"), LoadError);
    EXPECT_EQ(f.require_uint("t.u16"), 65535u);
}

// [SECTION] load_model on a GGUF file

// load_model reads a GGUF file (by its name or its magic) as a container first, so a broken one
// says what is wrong with it; a sound container that is not a whole model names what it lacks.
TEST(GgufLoadModel, NamesTheFirstMissingKeyOfASoundFileAndTheProblemOfABrokenOne) {
    const TempDir dir;
    const fs::path sound = dir.write("sound.gguf", small_file().bytes());
    const Result<ModelPtr> refused = load_model(sound.string());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message, sound.string() + ": key 'llama.embedding_length': missing");
    GgufWriter w = small_file();
    w.tensor("late", {8}, kTypeF32, 64);
    const fs::path broken = dir.write("broken.model", w.bytes());   // found by its magic, whatever its name
    const Result<ModelPtr> broken_refused = load_model(broken.string());
    ASSERT_FALSE(broken_refused.ok());
    EXPECT_THAT(broken_refused.error().message, StartsWith(broken.string() + ": tensor 'late': needs 32 bytes"));
    const fs::path empty = dir.write("empty.gguf", "");   // found by its name
    const Result<ModelPtr> empty_refused = load_model(empty.string());
    ASSERT_FALSE(empty_refused.ok());
    EXPECT_EQ(empty_refused.error().message, empty.string() + ": expected the magic bytes \"GGUF\" at the start, got an empty file");
}

// [SECTION] Shared llama.cpp files

using testing::shared_model;

TEST(GgufShared, Stories260KMatchesItsConfigAndSafetensorsTwin) {
    SKIP_WITHOUT_SHARED_MODEL("gguf/stories260K.gguf");
    SKIP_WITHOUT_SHARED_MODEL("stories260K/config.json");
    std::ifstream config_in(shared_model("stories260K/config.json"));
    const nlohmann::json config = nlohmann::json::parse(config_in);
    auto size = [&](const char* key) { return config.at(key).get<std::uint64_t>(); };
    const std::uint64_t d_model = size("hidden_size"), n_heads = size("num_attention_heads"),
                        n_kv_heads = size("num_key_value_heads"), d_head = size("head_dim"),
                        d_ff = size("intermediate_size"), n_layers = size("num_hidden_layers"), vocab = size("vocab_size");

    const Result<GgufFile> opened = GgufFile::open(shared_model("gguf/stories260K.gguf"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    const GgufFile& f = opened.value();
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.get_string("general.architecture").value(), "llama");
    EXPECT_EQ(f.get_uint("llama.embedding_length").value(), d_model);
    EXPECT_EQ(f.get_uint("llama.attention.head_count").value(), n_heads);
    EXPECT_EQ(f.get_uint("llama.attention.head_count_kv").value(), n_kv_heads);
    EXPECT_EQ(f.get_uint("llama.block_count").value(), n_layers);
    EXPECT_EQ(f.get_uint("llama.feed_forward_length").value(), d_ff);
    EXPECT_EQ(f.get_uint("llama.rope.dimension_count").value(), d_head);
    // llama2.c's converter wrote 2048 here although the model was trained with 512 positions
    // (as a separate Python reading of the file prints).
    EXPECT_EQ(f.get_uint("llama.context_length").value(), 2048u);
    EXPECT_NEAR(f.get_float("llama.attention.layer_norm_rms_epsilon").value(), config.at("rms_norm_eps").get<double>(), 1e-12);
    EXPECT_EQ(f.get_string("tokenizer.ggml.model").value(), "llama");
    const std::vector<std::string> tokens = f.get_string_array("tokenizer.ggml.tokens").value();
    ASSERT_EQ(tokens.size(), vocab);
    EXPECT_EQ(tokens[1], "<s>");
    EXPECT_EQ(f.get_float_array("tokenizer.ggml.scores").value().size(), vocab);
    EXPECT_EQ(f.get_int_array("tokenizer.ggml.token_type").value().size(), vocab);
    EXPECT_EQ(f.get_uint("tokenizer.ggml.bos_token_id").value(), config.at("bos_token_id").get<std::uint64_t>());

    // Tensor names and ggml-order dims from the config: token_embd, output_norm, output and 9 per layer.
    auto expect_tensor = [&](const std::string& name, std::vector<std::uint64_t> dims) {
        const GgufTensorInfo* t = f.find_tensor(name);
        ASSERT_NE(t, nullptr) << name;
        EXPECT_EQ(t->dims, dims) << name;
        EXPECT_EQ(t->type, GgmlType::F32) << name;
        EXPECT_EQ(t->n_bytes, t->n_elements * 4) << name;
    };
    EXPECT_EQ(f.tensors().size(), 3 + 9 * n_layers);
    expect_tensor("token_embd.weight", {d_model, vocab});
    expect_tensor("output_norm.weight", {d_model});
    expect_tensor("output.weight", {d_model, vocab});
    for (std::uint64_t l = 0; l < n_layers; ++l) {
        const std::string blk = "blk." + std::to_string(l) + ".";
        expect_tensor(blk + "attn_q.weight", {d_model, n_heads * d_head});
        expect_tensor(blk + "attn_k.weight", {d_model, n_kv_heads * d_head});
        expect_tensor(blk + "attn_v.weight", {d_model, n_kv_heads * d_head});
        expect_tensor(blk + "attn_output.weight", {n_heads * d_head, d_model});
        expect_tensor(blk + "attn_norm.weight", {d_model});
        expect_tensor(blk + "ffn_gate.weight", {d_model, d_ff});
        expect_tensor(blk + "ffn_up.weight", {d_model, d_ff});
        expect_tensor(blk + "ffn_down.weight", {d_ff, d_model});
        expect_tensor(blk + "ffn_norm.weight", {d_model});
    }

    // The bytes are the safetensors twin's where the layout is the same (q and k rows are permuted
    // for llama.cpp's RoPE; the rest is not).
    SKIP_WITHOUT_SHARED_MODEL("stories260K/model.safetensors");
    const Result<SafetensorsFile> twin = SafetensorsFile::open(shared_model("stories260K/model.safetensors"));
    ASSERT_TRUE(twin.ok()) << twin.error().message;
    const std::pair<const char*, const char*> same[] = {
        {"token_embd.weight", "model.embed_tokens.weight"},
        {"blk.0.attn_v.weight", "model.layers.0.self_attn.v_proj.weight"},
        {"blk.4.ffn_down.weight", "model.layers.4.mlp.down_proj.weight"},
        {"output_norm.weight", "model.norm.weight"},
    };
    for (const auto& [gguf_name, st_name] : same) {
        const GgufTensorInfo* g = f.find_tensor(gguf_name);
        const TensorInfo* s = twin.value().find(st_name);
        ASSERT_TRUE(g && s) << gguf_name << " / " << st_name;
        EXPECT_EQ(g->shape(), s->shape) << gguf_name;
        const GgufTensorView gv = f.view(*g);
        const TensorView sv = twin.value().view(*s);
        ASSERT_EQ(gv.n_bytes, sv.n_bytes) << gguf_name;
        EXPECT_EQ(std::memcmp(gv.data, sv.data, gv.n_bytes), 0) << gguf_name << " differs from " << st_name;
    }
}

TEST(GgufShared, VocabularyFilesHoldMatchingTokenLists) {
    SKIP_WITHOUT_SHARED_MODEL("gguf-vocab");
    // general.name of each file, as an independent Python reader printed it.
    const std::pair<const char*, const char*> files[] = {
        {"bert-bge", "bert-bge"}, {"deepseek-llm", "deepseek-llm"}, {"gpt-2", "gpt-2"},
        {"llama-spm", "llama-spm"}, {"phi-3", "Phi3"},
    };
    int seen = 0;
    for (const auto& [stem, name] : files) {
        const fs::path path = shared_model("gguf-vocab") / ("ggml-vocab-" + std::string(stem) + ".gguf");
        if (!fs::exists(path)) continue;
        ++seen;
        const Result<GgufFile> opened = GgufFile::open(path);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        const GgufFile& f = opened.value();
        EXPECT_EQ(f.version(), 3u) << stem;
        EXPECT_TRUE(f.tensors().empty()) << stem;
        EXPECT_EQ(f.get_string("general.name").value(), name);
        const Result<std::vector<std::string>> tokens = f.get_string_array("tokenizer.ggml.tokens");
        ASSERT_TRUE(tokens.ok()) << tokens.error().message;
        EXPECT_GT(tokens.value().size(), 1000u) << stem;
        if (f.has_key("tokenizer.ggml.scores")) {
            EXPECT_EQ(f.get_float_array("tokenizer.ggml.scores").value().size(), tokens.value().size()) << stem;
        }
        EXPECT_EQ(f.get_int_array("tokenizer.ggml.token_type").value().size(), tokens.value().size()) << stem;
        if (f.get_string("tokenizer.ggml.model").value() == "gpt2") {
            EXPECT_GT(f.get_string_array("tokenizer.ggml.merges").value().size(), 1000u) << stem;
        }
        const std::string arch = f.get_string("general.architecture").value();
        EXPECT_TRUE(f.get_uint(arch + ".block_count").ok()) << stem;
    }
    if (seen == 0) GTEST_SKIP() << "no ggml-vocab-*.gguf in " << shared_model("gguf-vocab").string();
}

}  // namespace
}  // namespace attnscope
