// The reference tokenizer (tests/oracle/encode.mjs, Hugging Face's JavaScript port) run on a
// tokenizer.json, and our encoder compared with it text by text: shared by the tokenizer.json tests.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hf_tokenizer_helpers.h"

namespace attnscope::testing {

// The sentences file, plus the cases a line cannot hold (line ends inside a text, the empty text).
inline std::vector<std::string> sentences() {
    std::vector<std::string> out;
    std::ifstream in(kSource / "tests/data/tokenizer_sentences.txt", std::ios::binary);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    EXPECT_GT(out.size(), 300u) << "tests/data/tokenizer_sentences.txt is missing or short";
    out.push_back("");
    out.push_back("line one\nline two\n\nline four");
    out.push_back("windows\r\nline ends\r\n");
    out.push_back("\n\n\n");
    out.push_back(" ");
    out.push_back(std::string(2000, 'a'));
    out.push_back("word " + std::string(150, 'x') + " word");
    std::string mixed;
    for (int i = 0; i < 60; ++i) mixed += "abcé中😀";
    out.push_back(mixed);
    out.push_back(std::string(300, '!'));
    out.push_back("spaces" + std::string(40, ' ') + "and\t\t\ttabs\n");
    return out;
}

struct Oracle {
    std::string skip_reason;  // empty when the oracle ran
    nlohmann::json results;             // [{"ids": [...], "tokens": [...]}, ...]
};

// Runs tests/oracle/encode.mjs on `tokenizer_json` for `texts`.
inline Oracle run_oracle(const std::filesystem::path& tokenizer_json, const std::vector<std::string>& texts) {
    const std::filesystem::path script = kSource / "tests/oracle/encode.mjs";
    if (!fs::exists(kSource / "tests/oracle/node_modules/@huggingface/tokenizers/package.json"))
        return {"the reference tokenizer is not installed: run `npm ci --prefix tests/oracle`", {}};
    if (std::system("node --version > /dev/null 2>&1") != 0)
        return {"node is not on PATH; install Node.js, then run `npm ci --prefix tests/oracle`", {}};
    const std::filesystem::path dir = test_scratch_dir();
    const std::filesystem::path input = dir / "sentences.json";
    const std::filesystem::path errors = dir / "oracle_stderr.txt";
    write_file(input, nlohmann::json(texts).dump());
    const std::string command = "node '" + script.string() + "' '" + tokenizer_json.string() + "' '" +
                                input.string() + "' 2> '" + errors.string() + "'";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return {"could not start node", {}};
    std::string output;
    char buffer[65536];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
    const int status = pclose(pipe);
    std::ifstream err(errors);
    const std::string stderr_text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    if (status != 0) ADD_FAILURE() << "the oracle failed (" << command << "):\n" << stderr_text;
    Oracle oracle;
    try {
        oracle.results = nlohmann::json::parse(output);
    } catch (const nlohmann::json::exception& e) {
        ADD_FAILURE() << "the oracle printed no JSON: " << e.what() << "\n" << stderr_text;
    }
    return oracle;
}

inline std::string show(const std::string& s) { return nlohmann::json(s).dump(); }

// Encodes every text both ways; prints "agree N/M" and the first disagreements.
inline void expect_agreement(const std::string& label, const std::filesystem::path& tokenizer_json, const Tokenizer& ours,
                      const std::vector<std::string>& texts) {
    const Oracle oracle = run_oracle(tokenizer_json, texts);
    if (!oracle.skip_reason.empty()) GTEST_SKIP() << oracle.skip_reason;
    ASSERT_EQ(oracle.results.size(), texts.size());
    std::size_t agree = 0;
    std::size_t decode_agree = 0;
    std::ostringstream differences;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const std::vector<int> expected = oracle.results[i]["ids"].get<std::vector<int>>();
        const std::vector<int> got = ids(ours, texts[i]);
        if (got == expected) {
            ++agree;
        } else if (i - agree < 5) {
            differences << "  " << show(texts[i]) << "\n    reference " << nlohmann::json(expected).dump() << " "
                        << oracle.results[i]["tokens"].dump() << "\n    ours      " << nlohmann::json(got).dump() << " "
                        << nlohmann::json(pieces(ours, texts[i])).dump() << "\n";
        }
        const std::string decoded = ours.decode(expected);
        if (decoded == oracle.results[i]["decoded"].get<std::string>()) ++decode_agree;
        else if (i - decode_agree < 5)
            differences << "  decode of " << show(texts[i]) << ": reference " << oracle.results[i]["decoded"].dump()
                        << ", ours " << show(decoded) << "\n";
    }
    std::cout << "[ oracle   ] " << label << ": agree " << agree << "/" << texts.size() << " (decode agree "
              << decode_agree << "/" << texts.size() << ")" << std::endl;
    EXPECT_EQ(agree, texts.size()) << differences.str();
    EXPECT_EQ(decode_agree, texts.size()) << differences.str();
}

// The same over every sentence.
inline void expect_agreement(const std::string& label, const std::filesystem::path& tokenizer_json, const Tokenizer& ours) {
    expect_agreement(label, tokenizer_json, ours, sentences());
}

// A tokenizer.json from ../shared/models with some of its parts replaced, written to a file so
// the oracle can read it too.
inline std::filesystem::path variant(const std::string& model, const std::string& name, const nlohmann::json& replacements) {
    nlohmann::json j = read_json(kModels / model / "tokenizer.json");
    for (auto it = replacements.begin(); it != replacements.end(); ++it) j[it.key()] = it.value();
    const std::filesystem::path file = test_scratch_dir() / (name + ".json");
    write_file(file, j.dump());
    return file;
}

}  // namespace attnscope::testing
