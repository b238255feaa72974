// Broken model files, each with the part of the message that must name its problem. Used by
// the loader's unit test (in process) and the CLI test (exit code 3 from the real binary).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "test_models.h"

namespace attnscope::testing {

struct MalformedModel {
    std::string name;      // CamelCase, used in test names and file names
    std::string text;      // the file's bytes
    std::string expected;  // a substring of the error message
};

// GoogleTest prints a parameter into the test's listing, and gtest_discover_tests copies that into
// the ctest name: the case's name, not the struct's raw bytes.
inline void PrintTo(const MalformedModel& m, std::ostream* os) { *os << m.name; }

inline std::string with(const char* pointer, const nlohmann::json& value) {
    nlohmann::json model = tiny_model_json();
    model[nlohmann::json::json_pointer(pointer)] = value;
    return model.dump();
}

inline std::string without(const char* pointer) {
    nlohmann::json model = tiny_model_json();
    const nlohmann::json::json_pointer p(pointer);
    model[p.parent_pointer()].erase(p.back());
    return model.dump();
}

inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
    return text.replace(text.find(from), from.size(), to);
}

inline std::vector<MalformedModel> malformed_models() {
    const std::string valid = tiny_model_json().dump();
    const nlohmann::json row_of_3 = {0.1, 0.2, 0.3};
    std::vector<MalformedModel> cases = {
        {"NotJson", "this is not a model", "not valid JSON"},
        {"EmptyFile", "", "not valid JSON"},
        {"TruncatedFile", valid.substr(0, valid.size() / 2), "unexpected end of input"},
        {"DeeplyNested", std::string(100000, '[') + std::string(100000, ']'), "nested deeper than 64 levels"},
        {"TopLevelArray", "[1, 2, 3]", "expected a JSON object at the top level, got array"},
        {"WrongFormat", with("/format", "gguf"), "format: expected \"attnscope-model\", got \"gguf\""},
        {"FutureVersion", with("/version", 3), "version: expected 1 or 2"},
        {"MissingConfigField", without("/config/d_model"), "config.d_model: missing"},
        {"MissingWeights", without("/weights/layers/1/wq"), "weights.layers[1].wq: missing"},
        {"WrongShape", with("/weights/layers/0/wq", {row_of_3, row_of_3, row_of_3, row_of_3}),
         "weights.layers[0].wq: expected 4x4 matrix (d_model x d_model), got 4x3 matrix"},
        {"RaggedRows", with("/weights/layers/0/wk/2", row_of_3), "ragged rows (row 2 has 3 values, row 0 has 4)"},
        {"WrongTypeBool", with("/config/causal", "yes"), "config.causal: expected true or false, got string \"yes\""},
        {"WrongTypeNumber", with("/weights/layers/0/wv/1/2", "0.5"), "weights.layers[0].wv[1][2]: expected a number"},
        {"NullWeight", with("/weights/layers/0/bq/3", nullptr), "weights.layers[0].bq[3]: expected a number, got null"},
        {"NaNLiteral", replace_once(valid, "\"bq\":[", "\"bq\":[NaN,"), "not valid JSON"},
        {"NumberOverflowsDouble", replace_once(with("/config/norm_eps", 0.125), "0.125", "1e400"), "number overflow"},
        {"WeightOverflowsFloat", with("/weights/layers/1/wo/0/0", 1e39),
         "weights.layers[1].wo[0][0]: expected a finite number, got 1e+39 (too large for float32)"},
        {"VocabEmbeddingMismatch", with("/tokenizer/vocab", {"<unk>", "the", "bank"}),
         "weights.token_embedding: expected 3x4 matrix (vocab x d_model, one row per tokenizer.vocab entry), got 11x4 matrix"},
        {"UnknownPositional", with("/config/positional", "rotary"),
         "config.positional: expected one of \"none\", \"learned\", \"sinusoidal\", got \"rotary\""},
        {"UnknownActivation", with("/config/activation", "swish"), "config.activation: expected one of"},
        {"UnknownConfigKey", with("/config/d_modle", 4), "config.d_modle: unknown key"},
        {"HeadsDoNotDivide", with("/config/n_heads", 3), "config.n_heads: expected a divisor of d_model 4, got 3"},
        {"NegativeSize", with("/config/d_ff", -8), "config.d_ff: expected an integer in 0.."},
        {"LayerCountMismatch", with("/config/n_layers", 3), "weights.layers: expected an array of 3 layers (n_layers), got array of 2 values"},
        {"UnkNotInVocab", with("/tokenizer/unk", "[UNK]"), "tokenizer.unk: \"[UNK]\" is not in tokenizer.vocab"},
        {"DuplicateVocab", with("/tokenizer/vocab/2", "the"), "tokenizer.vocab[2]: \"the\" appears twice (first at [1])"},
        {"HugeString", with("/weights/layers/0/wq", std::string(20u << 20, 'x')),
         "weights.layers[0].wq: expected 4x4 matrix (d_model x d_model), got a string of 20971520 bytes"},
        {"InvalidUtf8", "{\"format\": \"attnscope-model\", \"name\": \"\xff\xfe\"}", "not valid UTF-8 at byte"},
    };
    return cases;
}

}  // namespace attnscope::testing
