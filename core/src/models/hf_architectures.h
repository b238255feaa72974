// The Hugging Face architectures AttnScope runs. Each builder looks up and checks every tensor
// it will use (names in one table per architecture) before it returns, so a model is complete
// or not built at all; the builders throw LoadError.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "attnscope/model.h"
#include "attnscope/transformer.h"
#include "formats/hf_weights.h"
#include "util/json_path.h"

namespace attnscope {

struct HfContext {
    nlohmann::json config;  // config.json
    std::shared_ptr<HfWeights> weights;
    std::shared_ptr<const Tokenizer> tokenizer;
    ModelInfo info;  // name, source, dtype and parameter count already filled
    // RoPE frequency i is divided by factor i (llama.cpp's rope_freqs.weight, Llama 3.1's scaling
    // as a GGUF file stores it); empty: none.
    std::vector<double> rope_frequency_factors;
    // GPT-2's Conv1D weights (c_attn, c_proj, c_fc) stored out x in, as torch.nn.Linear's, instead
    // of Hugging Face's in x out: llama.cpp's converter transposes them.
    bool conv1d_out_in = false;
    // Gemma's norm weights (all three generations', q/k norms too) stored as 1 + w (llama.cpp's
    // converter adds the 1) instead of w.
    bool norms_hold_one_plus_w = false;
    // GPT-NeoX's query_key_value rows grouped [all Q; all K; all V] (llama.cpp's converter reorders
    // them) instead of Hugging Face's per-head [q_h; k_h; v_h].
    bool qkv_grouped = false;
};

// What the architectures share: the info, the weights they point into, the tokenizer, and the
// checks a forward pass makes before it computes anything.
class HfModelBase : public Model {
public:
    explicit HfModelBase(const HfContext& c) : m_info(c.info), m_weights(c.weights), m_tokenizer(c.tokenizer) {}
    const ModelInfo& info() const override { return m_info; }
    const Tokenizer& tokenizer() const override { return *m_tokenizer; }

protected:
    struct Shape {
        Architecture architecture;
        int n_layers, n_heads, n_kv_heads, d_model, d_head, d_ff, vocab_size, max_len;
        bool causal;
        std::string positional, norm, activation;
    };
    void describe(const Shape& s);  // fills m_info from the config that was read

    // The token ids, or an error when there are none, too many, or one outside the vocabulary.
    Result<std::vector<int>> checked_ids(const std::vector<Token>& tokens) const;

    ModelInfo m_info;
    std::shared_ptr<HfWeights> m_weights;  // owns the memory map every HfTensor points into
    std::shared_ptr<const Tokenizer> m_tokenizer;
};

// A decoder whose pass computes rows p..n-1 of each layer over a prefix's first p (prefix_reuse.h):
// a plain forward is the pass with p = 0. The causal families implement forward_rows.
class HfDecoderBase : public HfModelBase {
public:
    using HfModelBase::HfModelBase;
    Result<Trace> forward(const std::vector<Token>& tokens, const ForwardOptions& options) const final;
    Result<Trace> forward_reusing_prefix(const Trace& prefix, int reuse, const std::vector<Token>& tokens,
                                         const ForwardOptions& options) const final;

protected:
    // Rows p..n-1 of every layer, rows 0..p-1 taken from `prefix` (none when p = 0).
    virtual Result<Trace> forward_rows(const Trace* prefix, int p, const std::vector<Token>& tokens,
                                       const ForwardOptions& options) const = 0;
    // Whether (layer, head) names a head of this model (head_projection's check).
    bool has_head(int layer, int head) const { return layer >= 0 && layer < m_info.n_layers && head >= 0 && head < m_info.n_heads; }
};

ModelPtr build_gpt2_model(HfContext& context);
ModelPtr build_bert_model(HfContext& context);   // bert, distilbert and sentence-transformers BERTs
ModelPtr build_llama_model(HfContext& context);  // llama, mistral, qwen2, qwen3, olmo2, phi3, gemma, gemma2, gemma3_text
ModelPtr build_gpt_neox_model(HfContext& context);  // gpt_neox (Pythia)
ModelPtr build_opt_model(HfContext& context);

// config.json readers: "config.json: n_head: expected an integer in 1..1024, got ..." on error; a
// value of the wrong JSON type is named the same way, never a json::type_error.
float config_float(const nlohmann::json& config, const char* key, std::optional<float> fallback = std::nullopt);
bool config_bool(const nlohmann::json& config, const char* key, bool fallback);
std::string config_string(const nlohmann::json& config, const char* key, const std::string& fallback);

// Sizes a config gives: each held to 1..its bound, so no count is zero (a division by zero
// later) and no product of two of them can overflow, even in 32 bits (the largest, vocabulary x
// width, is computed in 64). The bounds are far above any real model's.
namespace config_limits {
inline constexpr int kWidth = 1 << 16;       // d_model
inline constexpr int kFeedForward = 1 << 18; // d_ff
inline constexpr int kHeads = 1024;          // query and key/value heads
inline constexpr int kHeadWidth = 1024;      // d_head
inline constexpr int kLayers = 1024;
inline constexpr int kVocabulary = 1 << 24;
inline constexpr int kPositions = 1 << 22;   // max_position_embeddings
inline constexpr int kTokenTypes = 1024;
}  // namespace config_limits
int config_size(const nlohmann::json& config, const char* key, int max, std::optional<int> fallback = std::nullopt);
// A float that must be above zero (norm epsilons, rope_theta, scaling factors).
float config_positive_float(const nlohmann::json& config, const char* key, std::optional<float> fallback = std::nullopt);
// "config.json: n_head: expected a divisor of n_embd 768, got 5".
void require_divisor(int divisor, const char* divisor_key, int value, const char* value_key);

// "gelu_new" / "gelu_pytorch_tanh" -> tanh GELU, "gelu" -> erf GELU, "relu"; anything else fails.
Activation activation_from_config(const std::string& name, const char* key);

}  // namespace attnscope
