// The Hugging Face architectures AttnScope runs. Each builder looks up and checks every tensor
// it will use (names in one table per architecture) before it returns, so a model is complete
// or not built at all; the builders throw LoadError.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "attnscope/model.h"
#include "attnscope/transformer.h"
#include "hf_weights.h"
#include "json_path.h"

namespace attnscope {

struct HfContext {
    nlohmann::json config;  // config.json
    std::shared_ptr<HfWeights> weights;
    std::shared_ptr<const Tokenizer> tokenizer;
    ModelInfo info;  // name, source, dtype and parameter count already filled
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
