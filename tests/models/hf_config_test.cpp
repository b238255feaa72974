// Hostile config.json files for every Hugging Face family: each is refused with a message that
// names config.json, the key and the problem, never a crash, a hang, a huge allocation or a raw
// json::type_error. The folders start as copies of the numpy reference's valid checkpoints
// (tests/models/hf_reference), so only the config is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "attnscope/model.h"
#include "test_scratch.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kReferenceDir = ATTNSCOPE_HF_REFERENCE_DIR;

// A copy of one reference checkpoint whose config a test rewrites.
class HostileConfig : public ::testing::Test {
protected:
    void use(const char* checkpoint) {
        if (!fs::exists(kReferenceDir / checkpoint)) GTEST_SKIP() << "no reference checkpoints at " << kReferenceDir;
        m_dir = testing::test_scratch_dir() / checkpoint;
        fs::copy(kReferenceDir / checkpoint, m_dir, fs::copy_options::recursive);
        m_config = nlohmann::json::parse(std::ifstream(m_dir / "config.json"));
    }
    void write_config_text(const std::string& text) { std::ofstream(m_dir / "config.json", std::ios::trunc) << text; }
    // Sets the keys, writes the config and returns the load's message ("" when it loaded).
    std::string load_with(const nlohmann::json& changes) {
        nlohmann::json c = m_config;
        for (const auto& [key, value] : changes.items()) c[key] = value;
        write_config_text(c.dump());
        return message_of_load();
    }
    std::string message_of_load() {
        const auto model = load_model(m_dir.string());
        return model.ok() ? "" : model.error().message;
    }
    fs::path m_dir;
    nlohmann::json m_config;
};

TEST_F(HostileConfig, ZeroHeadsAreRefusedByNameInEveryFamily) {
    use("gpt2_f32");
    EXPECT_THAT(load_with({{"n_head", 0}}), HasSubstr("config.json: n_head: expected an integer in 1..1024, got 0"));
    use("bert_f32_masked_lm");
    EXPECT_THAT(load_with({{"num_attention_heads", 0}}), HasSubstr("config.json: num_attention_heads: expected an integer in 1.."));
    use("llama_f32_gqa_untied_sharded");
    EXPECT_THAT(load_with({{"num_attention_heads", 0}}), HasSubstr("config.json: num_attention_heads: expected an integer in 1.."));
}

TEST_F(HostileConfig, ZeroKeyValueHeadsAreRefusedInsteadOfDividingByZero) {
    use("llama_f32_gqa_untied_sharded");
    EXPECT_THAT(load_with({{"num_key_value_heads", 0}}), HasSubstr("config.json: num_key_value_heads: expected an integer in 1..4, got 0"));
}

TEST_F(HostileConfig, HeadCountsThatWrapA32BitProductAreRefused) {
    // 536870920 x 8 = 2^32 + 64: in 32 bits it wraps back to the real width of 64.
    use("llama_f32_gqa_untied_sharded");
    EXPECT_THAT(load_with({{"num_attention_heads", 536870920}, {"num_key_value_heads", 536870920}, {"head_dim", 8}}),
                HasSubstr("config.json: num_attention_heads: expected an integer in 1..1024, got 536870920"));
}

TEST_F(HostileConfig, AHugeHeadWidthIsRefusedBeforeAnythingIsAllocated) {
    use("llama_f32_gqa_untied_sharded");
    EXPECT_THAT(load_with({{"head_dim", 1 << 30}}), HasSubstr("config.json: head_dim: expected an integer in 1..1024"));
}

TEST_F(HostileConfig, NonPositiveNormEpsilonsAndRopeBasesAreNamed) {
    use("llama_f32_gqa_untied_sharded");
    EXPECT_THAT(load_with({{"rope_theta", -10000.0}}), HasSubstr("config.json: rope_theta: expected a number above 0"));
    EXPECT_THAT(load_with({{"rms_norm_eps", 0.0}}), HasSubstr("config.json: rms_norm_eps: expected a number above 0"));
    use("gpt2_f32");
    EXPECT_THAT(load_with({{"layer_norm_epsilon", 0.0}}), HasSubstr("layer_norm_epsilon: expected a number above 0"));
}

TEST_F(HostileConfig, ZeroPositionsAreRefusedAtLoadNotAtTheFirstTrace) {
    use("llama_f32_gqa_untied_sharded");
    EXPECT_THAT(load_with({{"max_position_embeddings", 0}}), HasSubstr("max_position_embeddings: expected an integer in 1.."));
}

TEST_F(HostileConfig, ValuesOfTheWrongJsonTypeAreNamedNotTypeErrors) {
    use("gpt2_f32");
    const std::string model_type = load_with({{"model_type", 7}});
    EXPECT_THAT(model_type, HasSubstr("config.json: model_type: expected a string"));
    EXPECT_THAT(model_type, Not(HasSubstr("type_error")));
    EXPECT_THAT(load_with({{"n_head", "four"}}), HasSubstr("config.json: n_head: expected an integer, got string"));
    use("llama_f32_gqa_untied_sharded");
    EXPECT_THAT(load_with({{"rope_scaling", {{"rope_type", 3}}}}), HasSubstr("rope_type: expected a string"));
}

// Found by fuzz_hf_config: the readers said "config.json: factor: missing", a key that is not at
// the top level of the file (corpus/hf_config/regression_rope_scaling_key_named_without_its_object.json).
TEST_F(HostileConfig, KeysInsideRopeScalingAreNamedWithTheirObject) {
    use("llama_f32_gqa_untied_sharded");
    EXPECT_THAT(load_with({{"rope_scaling", {{"rope_type", "linear"}}}}), HasSubstr("config.json: rope_scaling.factor: missing"));
    EXPECT_THAT(load_with({{"rope_scaling", {{"rope_type", "llama3"}, {"factor", -2.0}}}}),
                HasSubstr("config.json: rope_scaling.factor: expected a number above 0"));
    EXPECT_THAT(load_with({{"rope_scaling", {{"rope_type", 3}}}}), HasSubstr("config.json: rope_scaling.rope_type: expected a string"));
    EXPECT_THAT(load_with({{"rope_scaling", {{"rope_type", "yarn"}, {"factor", 2.0}}}}), HasSubstr("config.json: rope_scaling.rope_type: expected"));
}

TEST_F(HostileConfig, EveryTopLevelTypeButAnObjectIsRefused) {
    use("gpt2_f32");
    for (const char* text : {"[1, 2]", "\"gpt2\"", "42", "null", "true"}) {
        write_config_text(text);
        EXPECT_THAT(message_of_load(), HasSubstr("config.json: expected a JSON object at the top level")) << text;
    }
}

TEST_F(HostileConfig, AFifoNamedConfigJsonIsRefusedWithoutWaiting) {
    use("gpt2_f32");
    fs::remove(m_dir / "config.json");
    ASSERT_EQ(::mkfifo((m_dir / "config.json").c_str(), 0600), 0);
    EXPECT_THAT(message_of_load(), HasSubstr("config.json: is a named pipe (FIFO), expected a regular file"));
}

TEST_F(HostileConfig, AFifoNamedTokenizerJsonIsNamedNotReportedAsMissing) {
    use("gpt2_f32");
    fs::remove(m_dir / "tokenizer.json");
    ASSERT_EQ(::mkfifo((m_dir / "tokenizer.json").c_str(), 0600), 0);
    const std::string message = message_of_load();
    EXPECT_THAT(message, HasSubstr("tokenizer.json: is a named pipe (FIFO)"));
    EXPECT_THAT(message, Not(HasSubstr("got none of them")));
}

TEST_F(HostileConfig, AConfigThatIsALinkLoopSaysSo) {
    use("gpt2_f32");
    fs::remove(m_dir / "config.json");
    fs::create_symlink(m_dir / "config.json", m_dir / "config.json");
    EXPECT_THAT(message_of_load(), HasSubstr("config.json: a symbolic link loop"));
}

// A folder whose weights file holds no tensors at all used to be told "tensor 'embed_tokens.weight'
// is missing": the bare name, when real Llama checkpoints write "model.embed_tokens.weight". The
// message names both names the loader accepts, in every family.
TEST_F(HostileConfig, AWeightsFileWithoutTensorsNamesBothAcceptedNamesOfTheFirst) {
    const std::string empty_safetensors = [] {
        const std::string header = R"({"__metadata__":{"format":"pt"}})";
        std::string bytes(8, '\0');
        for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
        return bytes + header;
    }();
    const auto without_tensors = [&](const char* checkpoint) {
        use(checkpoint);
        for (const auto& entry : fs::directory_iterator(m_dir))
            if (entry.path().extension() == ".safetensors" || entry.path().filename() == "model.safetensors.index.json")
                fs::remove(entry.path());
        std::ofstream(m_dir / "model.safetensors", std::ios::binary) << empty_safetensors;
        return message_of_load();
    };
    EXPECT_THAT(without_tensors("llama_f32_gqa_untied_sharded"),
                HasSubstr("tensor 'model.embed_tokens.weight' (or 'embed_tokens.weight') is missing (expected shape"));
    EXPECT_THAT(without_tensors("gpt2_f32"), HasSubstr("tensor 'transformer.wte.weight' (or 'wte.weight') is missing"));
    EXPECT_THAT(without_tensors("bert_f32_masked_lm"),
                HasSubstr("tensor 'bert.embeddings.word_embeddings.weight' (or 'embeddings.word_embeddings.weight') is missing"));
}

}  // namespace
}  // namespace attnscope
