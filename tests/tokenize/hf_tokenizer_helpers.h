// Helpers shared by the Hugging Face tokenizer tests: hf_tokenizer_test.cpp (the shared
// checkpoints' tokenizers, and agreement with the reference implementation) and
// hf_tokenizer_components_test.cpp (components worked by hand, and malformed files).
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenize/hf_tokenizer.h"
#include "test_scratch.h"

namespace attnscope::testing {

namespace fs = std::filesystem;

inline const fs::path kModels = ATTNSCOPE_SHARED_MODELS;
inline const fs::path kSource = ATTNSCOPE_SOURCE_DIR;

#define REQUIRE_MODEL(name)                                                                              \
    if (!std::filesystem::exists(::attnscope::testing::kModels / (name)))                                \
        GTEST_SKIP() << "needs the shared test checkpoints: " << (::attnscope::testing::kModels / (name)).string() \
                     << " is absent (see ../shared/models/README.md)";

inline std::shared_ptr<const Tokenizer> load(const fs::path& path) {
    auto result = load_hf_tokenizer(path);
    if (!result.ok()) ADD_FAILURE() << result.error().message;
    return result.ok() ? result.value() : nullptr;
}

inline std::shared_ptr<const Tokenizer> load_json(const nlohmann::json& j) {
    auto result = load_hf_tokenizer_json(j.dump());
    if (!result.ok()) ADD_FAILURE() << result.error().message;
    return result.ok() ? result.value() : nullptr;
}

inline std::vector<Token> encode(const Tokenizer& t, const std::string& text) {
    auto result = t.encode(text);
    if (!result.ok()) ADD_FAILURE() << result.error().message;
    return result.ok() ? result.value() : std::vector<Token>{};
}

inline std::vector<int> ids(const Tokenizer& t, const std::string& text) {
    std::vector<int> out;
    for (const Token& token : encode(t, text)) out.push_back(token.id);
    return out;
}

inline std::vector<std::string> pieces(const Tokenizer& t, const std::string& text) {
    std::vector<std::string> out;
    for (const Token& token : encode(t, text)) out.push_back(token.piece);
    return out;
}

inline nlohmann::json read_json(const fs::path& file) {
    std::ifstream in(file);
    return nlohmann::json::parse(in);
}

inline void write_file(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
}

// A small WordLevel tokenizer.json for hand-worked examples: every listed piece is in the vocab.
inline nlohmann::json word_level(const std::vector<std::string>& vocab_pieces) {
    nlohmann::json vocab = nlohmann::json::object();
    vocab["[UNK]"] = 0;
    for (const std::string& p : vocab_pieces) vocab[p] = static_cast<int>(vocab.size());
    return {{"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "[UNK]"}}},
            {"normalizer", nullptr}, {"pre_tokenizer", nullptr}, {"post_processor", nullptr},
            {"decoder", nullptr}, {"added_tokens", nlohmann::json::array()}};
}

}  // namespace attnscope::testing
