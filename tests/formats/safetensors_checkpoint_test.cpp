// Tests for the safetensors reader on whole checkpoints: sharded checkpoints and directories, the
// refusal of PyTorch pickle files, and the real checkpoints under ../shared/models. Single files
// and malformed headers are in safetensors_test.cpp. Files are built byte by byte
// (safetensors_files.h), so the expected values come from the bit patterns written, not from the
// reader; the shared checkpoints' values were read with Python's struct and json modules.
//
// Index
// [SECTION] Sharded checkpoints and directories
// [SECTION] Pickle files
// [SECTION] Real checkpoints under ../shared/models
#include "formats/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "safetensors_files.h"
#include "shared_models.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::f32_le;
using testing::safetensors_bytes;
using testing::TempDir;
using testing::u16_le;

// [SECTION] Sharded checkpoints and directories

// Two shards: a (F32 [2]) and b (F16 [1]) in the first, c (BF16 [2, 2]) in the second.
void write_sharded(const TempDir& dir, const std::string& weight_map) {
    dir.write("model-00001-of-00002.safetensors",
              safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F16","shape":[1],"data_offsets":[8,10]}})",
                                f32_le({1.5f, -0.25f}) + u16_le({0xC000})));
    dir.write("model-00002-of-00002.safetensors",
              safetensors_bytes(R"({"c":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]}})",
                                u16_le({0x3F80, 0x4049, 0xC0A0, 0x0000})));
    dir.write("model.safetensors.index.json", R"({"metadata":{"total_size":18},"weight_map":)" + weight_map + "}");
}

const char* kGoodWeightMap =
    R"({"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"})";

TEST(SafetensorsCheckpoint, ReadsTensorsFromEveryShardOfAnIndexedDirectory) {
    TempDir dir;
    write_sharded(dir, kGoodWeightMap);
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path());
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    EXPECT_EQ(checkpoint.value().files().size(), 2u);
    EXPECT_EQ(checkpoint.value().tensor_names(), (std::vector<std::string>{"a", "b", "c"}));
    const Result<Matrix> a = checkpoint.value().read_matrix("a", {2});
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a.value()(0, 1), -0.25f);
    const Result<Matrix> b = checkpoint.value().read_matrix("b", {1});
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b.value()(0, 0), -2.0f);
    const Result<Matrix> c = checkpoint.value().read_matrix("c", {2, 2});
    ASSERT_TRUE(c.ok()) << c.error().message;
    Matrix expected_c(2, 2);
    expected_c << 1.0f, 3.140625f, -5.0f, 0.0f;
    EXPECT_EQ(c.value(), expected_c);
}

TEST(SafetensorsCheckpoint, SumsParametersAndDtypesAcrossShards) {
    TempDir dir;
    write_sharded(dir, kGoodWeightMap);
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path() / "model.safetensors.index.json");
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    EXPECT_EQ(checkpoint.value().parameter_count(), 2u + 1u + 4u);
    const std::vector<DtypeSummary> summary = checkpoint.value().dtype_summary();
    ASSERT_EQ(summary.size(), 3u);
    EXPECT_EQ(summary[0].dtype, Dtype::F16);
    EXPECT_EQ(summary[1].dtype, Dtype::BF16);
    EXPECT_EQ(summary[1].n_bytes, 8u);
    EXPECT_EQ(summary[2].dtype, Dtype::F32);
}

TEST(SafetensorsCheckpoint, RefusesAnIndexPointingToAMissingShard) {
    TempDir dir;
    write_sharded(dir, R"({"a":"model-00001-of-00002.safetensors","c":"model-00003-of-00002.safetensors"})");
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path());
    ASSERT_FALSE(checkpoint.ok());
    EXPECT_THAT(checkpoint.error().message, HasSubstr("model.safetensors.index.json: tensor 'c' is mapped to shard "
                                                      "'model-00003-of-00002.safetensors', which does not exist"));
}

TEST(SafetensorsCheckpoint, RefusesAShardPathThatLeavesTheDirectory) {
    TempDir dir;
    write_sharded(dir, R"({"a":"../model-00001-of-00002.safetensors"})");
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path());
    ASSERT_FALSE(checkpoint.ok());
    EXPECT_THAT(checkpoint.error().message,
                HasSubstr("tensor 'a' is mapped to shard '../model-00001-of-00002.safetensors': expected a plain file name"));
}

TEST(SafetensorsCheckpoint, RefusesAnAbsoluteShardPath) {
    TempDir dir;
    write_sharded(dir, R"({"a":"/etc/passwd"})");
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path());
    ASSERT_FALSE(checkpoint.ok());
    EXPECT_THAT(checkpoint.error().message, HasSubstr("tensor 'a' is mapped to shard '/etc/passwd': expected a plain file name"));
}

TEST(SafetensorsCheckpoint, RefusesATensorMissingFromItsShard) {
    TempDir dir;
    write_sharded(dir, R"({"a":"model-00001-of-00002.safetensors","c":"model-00001-of-00002.safetensors"})");
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path());
    ASSERT_FALSE(checkpoint.ok());
    EXPECT_THAT(checkpoint.error().message,
                HasSubstr("tensor 'c' is mapped to shard 'model-00001-of-00002.safetensors', which does not contain it"));
}

TEST(SafetensorsCheckpoint, RefusesAnIndexWithoutAWeightMap) {
    TempDir dir;
    dir.write("model.safetensors.index.json", R"({"metadata":{}})");
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path());
    ASSERT_FALSE(checkpoint.ok());
    EXPECT_THAT(checkpoint.error().message, HasSubstr("expected an object with \"weight_map\""));
}

// Found by tests/fuzz: the message quoting a value that is not a file name dump()ed it, recursing
// once per level of nesting, until the stack ran out.
TEST(SafetensorsCheckpoint, RefusesAnIndexNestedDeeperThanAnyRealFile) {
    TempDir dir;
    dir.write("model.safetensors.index.json",
              R"({"weight_map":{"a":)" + std::string(100000, '[') + std::string(100000, ']') + "}}");
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path());
    ASSERT_FALSE(checkpoint.ok());
    EXPECT_THAT(checkpoint.error().message, HasSubstr("model.safetensors.index.json: expected JSON nested at most 64 levels deep"));
}

// Found by tests/fuzz: a number too large for a double is an out_of_range to nlohmann::json, not a
// parse_error, and escaped open().
TEST(SafetensorsCheckpoint, RefusesAnIndexWithANumberTooLargeForADouble) {
    TempDir dir;
    dir.write("model.safetensors.index.json", R"({"metadata":{"total_size":1e999},"weight_map":{}})");
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path());
    ASSERT_FALSE(checkpoint.ok());
    EXPECT_THAT(checkpoint.error().message, HasSubstr("number overflow parsing '1e999'"));
}

TEST(SafetensorsCheckpoint, PassesOnTheErrorOfABrokenShard) {
    TempDir dir;
    write_sharded(dir, kGoodWeightMap);
    dir.write("model-00002-of-00002.safetensors", "short");
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path());
    ASSERT_FALSE(checkpoint.ok());
    EXPECT_THAT(checkpoint.error().message,
                HasSubstr("model-00002-of-00002.safetensors: expected at least 8 bytes (the header length), got a file of 5 bytes"));
}

TEST(SafetensorsCheckpoint, SaysWhatADirectoryWithoutWeightsLacks) {
    TempDir dir;
    dir.write("config.json", "{}");
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path());
    ASSERT_FALSE(checkpoint.ok());
    EXPECT_THAT(checkpoint.error().message, HasSubstr("expected model.safetensors or model.safetensors.index.json, got neither"));
}

// [SECTION] Pickle files

TEST(PickleRefusal, RefusesABinFileWithAConversionHint) {
    TempDir dir;
    const fs::path file = dir.write("pytorch_model.bin", "PK\x03\x04 not really a zip");
    const auto checkpoint = SafetensorsCheckpoint::open(file);
    ASSERT_FALSE(checkpoint.ok());
    const std::string& message = checkpoint.error().message;
    EXPECT_THAT(message, StartsWith(file.string() + ": PyTorch pickle files are not read (loading one can run code)"));
    EXPECT_THAT(message, HasSubstr("torch.load('pytorch_model.bin', map_location='cpu', weights_only=True)"));
    EXPECT_THAT(message, HasSubstr("from safetensors.torch import save_file"));
    EXPECT_THAT(message, HasSubstr("save_pretrained(directory, safe_serialization=True)"));
}

TEST(PickleRefusal, RefusesADirectoryHoldingOnlyAPickle) {
    TempDir dir;
    dir.write("config.json", "{}");
    dir.write("pytorch_model.bin", "\x80\x02}q\x00.");
    const auto checkpoint = SafetensorsCheckpoint::open(dir.path());
    ASSERT_FALSE(checkpoint.ok());
    EXPECT_THAT(checkpoint.error().message, HasSubstr("pytorch_model.bin: PyTorch pickle files are not read"));
}

TEST(PickleRefusal, RecognisesPickleAndZipContentUnderOtherNames) {
    TempDir dir;
    EXPECT_TRUE(looks_like_pickle(dir.write("weights", "\x80\x04\x95")));
    EXPECT_TRUE(looks_like_pickle(dir.write("weights.data", "PK\x03\x04....")));
    EXPECT_TRUE(looks_like_pickle(dir.path() / "model.pt"));
    EXPECT_TRUE(looks_like_pickle(dir.path() / "model.pth"));
    EXPECT_FALSE(looks_like_pickle(dir.write("notes.txt", "hello")));
    EXPECT_FALSE(refuse_pickle(dir.path() / "notes.txt").has_value());
}

TEST(PickleRefusal, DoesNotMistakeASafetensorsFileStartingLikeAPickle) {
    TempDir dir;
    // A header of 0x0280 = 640 bytes makes the file start 0x80 0x02, a pickle's protocol-2 magic.
    std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    header.resize(640, ' ');
    const fs::path file = dir.write("model.safetensors", safetensors_bytes(header, f32_le({7})));
    ASSERT_EQ(static_cast<unsigned char>(safetensors_bytes(header, "")[0]), 0x80);
    EXPECT_FALSE(looks_like_pickle(file));
    const auto checkpoint = SafetensorsCheckpoint::open(file);
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    EXPECT_EQ(checkpoint.value().read_matrix("w").value()(0, 0), 7.0f);
}
// [SECTION] Real checkpoints under ../shared/models

using testing::shared_model;

TEST(SharedCheckpoints, FakeGpt2HasItsConv1dAttentionWeight) {
    SKIP_WITHOUT_SHARED_MODEL("fake_gpt2");
    const auto checkpoint = SafetensorsCheckpoint::open(shared_model("fake_gpt2"));
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    EXPECT_EQ(checkpoint.value().tensors().size(), 16u);
    EXPECT_EQ(checkpoint.value().parameter_count(), 102640u);
    const Result<Matrix> w = checkpoint.value().read_matrix("transformer.h.0.attn.c_attn.weight", {2, 6});
    ASSERT_TRUE(w.ok()) << w.error().message;
    // First and last values as Python's struct.unpack('<12f') reads them from the file.
    EXPECT_EQ(w.value()(0, 0), -0.05586402863264084f);
    EXPECT_EQ(w.value()(1, 5), 8.497906674165279e-05f);
}

TEST(SharedCheckpoints, BertTiniestHasItsQueryWeight) {
    SKIP_WITHOUT_SHARED_MODEL("bert_tiniest");
    const auto checkpoint = SafetensorsCheckpoint::open(shared_model("bert_tiniest") / "model.safetensors");
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    EXPECT_EQ(checkpoint.value().parameter_count(), 154874u);
    const Result<Matrix> w = checkpoint.value().read_matrix("bert.encoder.layer.0.attention.self.query.weight", {4, 4});
    ASSERT_TRUE(w.ok()) << w.error().message;
    EXPECT_EQ(w.value()(0, 0), -0.01145912054926157f);
    EXPECT_EQ(w.value()(3, 3), -0.005054290406405926f);
}

TEST(SharedCheckpoints, Stories260KOpens) {
    SKIP_WITHOUT_SHARED_MODEL("stories260K");
    const auto checkpoint = SafetensorsCheckpoint::open(shared_model("stories260K"));
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    EXPECT_EQ(checkpoint.value().tensors().size(), 47u);
    EXPECT_EQ(checkpoint.value().parameter_count(), 260032u);
    EXPECT_TRUE(checkpoint.value().contains("model.embed_tokens.weight"));
    EXPECT_TRUE(checkpoint.value().read_matrix("model.layers.0.mlp.gate_proj.weight", {172, 64}).ok());
}

TEST(SharedCheckpoints, TruncatedMiniLmIsRefusedNamingTheFirstMissingTensor) {
    SKIP_WITHOUT_SHARED_MODEL("minilm_truncated");
    const fs::path file = shared_model("minilm_truncated") / "model.safetensors";
    const auto checkpoint = SafetensorsCheckpoint::open(shared_model("minilm_truncated"));
    ASSERT_FALSE(checkpoint.ok());
    // From the header (Python json.loads): the file has 851968 bytes, a header of 11408, so a data
    // section of 840552 bytes; embeddings.word_embeddings.weight is the first tensor past it.
    EXPECT_THAT(checkpoint.error().message,
                StartsWith(file.string() + ": tensor 'embeddings.word_embeddings.weight' needs bytes 796672..47678464 "
                                           "of the data section, but the data section ends at byte 840552"));
}

}  // namespace
}  // namespace attnscope
