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
        const char *positional, *norm, *activation;
    };
    void describe(const Shape& s);  // fills m_info from the config that was read

    // The token ids, or an error when there are none, too many, or one outside the vocabulary.
    Result<std::vector<int>> checked_ids(const std::vector<Token>& tokens) const;

    ModelInfo m_info;
    std::shared_ptr<HfWeights> m_weights;  // owns the memory map every HfTensor points into
    std::shared_ptr<const Tokenizer> m_tokenizer;
};

ModelPtr build_gpt2_model(HfContext& context);
ModelPtr build_bert_model(HfContext& context);   // bert, distilbert and sentence-transformers BERTs
ModelPtr build_llama_model(HfContext& context);  // llama, mistral, qwen2

// config.json readers: "config.json: n_head: expected an integer in 1..65536, got ..." on error.
int config_int(const nlohmann::json& config, const char* key, std::optional<int> fallback = std::nullopt);
float config_float(const nlohmann::json& config, const char* key, std::optional<float> fallback = std::nullopt);
bool config_bool(const nlohmann::json& config, const char* key, bool fallback);
std::string config_string(const nlohmann::json& config, const char* key, const std::string& fallback);

// "gelu_new" / "gelu_pytorch_tanh" -> tanh GELU, "gelu" -> erf GELU, "relu"; anything else fails.
Activation activation_from_config(const std::string& name, const char* key);

}  // namespace attnscope
