// Tiny own-format models for tests, built as JSON so tests can break them one field at a time.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace attnscope::testing {

struct TinyShape {
    int d_model = 4, n_heads = 2, n_layers = 2, d_ff = 8, max_len = 8;
    bool causal = true;
    std::string positional = "learned", norm = "layernorm", activation = "gelu";
    bool biases = true, wo = true, lm_head = false;
    double attn_scale = 0.0;  // 0: null (1/sqrt(d_head))
};

inline const std::vector<std::string>& tiny_vocab() {
    static const std::vector<std::string> vocab = {"<unk>", "the", "bank", "money", "river", "i", "sat", "on", "took", "to", "."};
    return vocab;
}

// A valid model with weights ~ N(0, sigma), deterministic for a seed.
inline nlohmann::json random_model_json(const TinyShape& s, std::uint32_t seed, double sigma = 0.6) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal(0.0, sigma);
    auto matrix = [&](int rows, int cols) {
        nlohmann::json m = nlohmann::json::array();
        for (int r = 0; r < rows; ++r) {
            nlohmann::json row = nlohmann::json::array();
            for (int c = 0; c < cols; ++c) row.push_back(static_cast<float>(normal(rng)));
            m.push_back(row);
        }
        return m;
    };
    auto vector = [&](int n, double mean) {
        nlohmann::json v = nlohmann::json::array();
        for (int i = 0; i < n; ++i) v.push_back(static_cast<float>(mean + 0.2 * normal(rng)));
        return v;
    };
    const int d = s.d_model, vocab = static_cast<int>(tiny_vocab().size());
    nlohmann::json config = {{"d_model", d}, {"n_heads", s.n_heads}, {"n_layers", s.n_layers}, {"d_ff", s.d_ff},
                             {"max_len", s.max_len}, {"causal", s.causal}, {"positional", s.positional},
                             {"norm", s.norm}, {"norm_eps", 1e-5}, {"activation", s.activation},
                             {"attn_scale", s.attn_scale > 0 ? nlohmann::json(s.attn_scale) : nlohmann::json()}};
    nlohmann::json weights = {{"token_embedding", matrix(vocab, d)}};
    if (s.positional == "learned") weights["position_embedding"] = matrix(s.max_len, d);
    const bool norm = s.norm == "layernorm";
    weights["layers"] = nlohmann::json::array();
    for (int l = 0; l < s.n_layers; ++l) {
        nlohmann::json layer = {{"wq", matrix(d, d)}, {"wk", matrix(d, d)}, {"wv", matrix(d, d)}};
        if (s.wo) layer["wo"] = matrix(d, d);
        if (s.biases) {
            layer["bq"] = vector(d, 0.0);
            layer["bk"] = vector(d, 0.0);
            layer["bv"] = vector(d, 0.0);
            layer["bo"] = vector(d, 0.0);
        }
        if (norm) layer["ln1"] = {{"gamma", vector(d, 1.0)}, {"beta", vector(d, 0.0)}};
        if (s.d_ff > 0) {
            if (norm) layer["ln2"] = {{"gamma", vector(d, 1.0)}, {"beta", vector(d, 0.0)}};
            layer["w1"] = matrix(d, s.d_ff);
            layer["w2"] = matrix(s.d_ff, d);
            if (s.biases) {
                layer["b1"] = vector(s.d_ff, 0.0);
                layer["b2"] = vector(d, 0.0);
            }
        }
        weights["layers"].push_back(layer);
    }
    if (norm) weights["final_norm"] = {{"gamma", vector(d, 1.0)}, {"beta", vector(d, 0.0)}};
    if (s.lm_head) weights["lm_head"] = matrix(d, vocab);
    return {{"format", "attnscope-model"}, {"version", 1}, {"name", "tiny"}, {"description", "test model"},
            {"config", config},
            {"tokenizer", {{"type", "word"}, {"lowercase", true}, {"unk", "<unk>"}, {"vocab", tiny_vocab()}}},
            {"weights", weights}};
}

inline nlohmann::json tiny_model_json() { return random_model_json(TinyShape{}, 7); }

}  // namespace attnscope::testing
