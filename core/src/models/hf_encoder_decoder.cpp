#include "models/hf_encoder_decoder.h"

#include <cmath>

namespace attnscope {

FeedForwardActivation feed_forward_activation(const std::string& name, const char* key) {
    if (name == "gelu") return FeedForwardActivation::Gelu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return FeedForwardActivation::GeluTanh;
    if (name == "relu") return FeedForwardActivation::Relu;
    if (name == "swish" || name == "silu") return FeedForwardActivation::Silu;
    throw LoadError(std::string("config.json: ") + key + ": expected gelu, gelu_new, relu or swish, got \"" + name + "\"");
}

const char* feed_forward_activation_name(FeedForwardActivation a) {
    switch (a) {
        case FeedForwardActivation::Gelu: return "gelu";
        case FeedForwardActivation::GeluTanh: return "gelu_new";
        case FeedForwardActivation::Relu: return "relu";
        case FeedForwardActivation::Silu: return "swish";
    }
    return "?";
}

void apply_feed_forward_activation(Matrix& x, FeedForwardActivation a) {
    switch (a) {
        case FeedForwardActivation::Gelu: apply_activation(x, Activation::Gelu); return;
        case FeedForwardActivation::GeluTanh: apply_activation(x, Activation::GeluTanh); return;
        case FeedForwardActivation::Relu: apply_activation(x, Activation::Relu); return;
        case FeedForwardActivation::Silu: x.array() /= (1.0f + (-x.array()).exp()); return;  // x * sigmoid(x)
    }
}

namespace {

// A token id config.json names: 0 .. vocab - 1. "config.json: eos_token_id: missing" when absent.
int config_token_id(const nlohmann::json& config, const char* key, int vocab) {
    if (!config.contains(key) || config[key].is_null()) throw LoadError(std::string("config.json: ") + key + ": missing");
    return read_int(config[key], JsonPath().key(std::string("config.json: ") + key), 0, vocab - 1);
}

}  // namespace

void HfEncoderDecoderBase::read_special_ids(const nlohmann::json& config, int vocab) {
    m_start_id = config_token_id(config, "decoder_start_token_id", vocab);
    m_end_id = config_token_id(config, "eos_token_id", vocab);
}

void HfEncoderDecoderBase::describe_encoder_decoder(const Shape& decoder, const EncoderShape& encoder) {
    describe(decoder);
    m_info.encoder_decoder = true;
    m_info.n_encoder_layers = encoder.n_layers;
    m_encoder_info = m_info;
    m_encoder_info.n_layers = encoder.n_layers;
    m_encoder_info.n_heads = m_encoder_info.n_kv_heads = encoder.n_heads;
    m_encoder_info.d_head = encoder.d_head;
    m_encoder_info.d_ff = encoder.d_ff;
    m_encoder_info.causal = false;
}

// Rows [head * d_head, (head + 1) * d_head) of each W (out x in), transposed; zero biases where
// the family has none (T5).
std::optional<HeadProjection> HfEncoderDecoderBase::projection(AttentionKind kind, int layer, int head) const {
    const std::optional<QkvWeights> a = qkv(kind, layer);
    if (!a || !a->q.w || head < 0 || head >= a->heads) return std::nullopt;
    const Index r0 = static_cast<Index>(head) * a->d_head;
    const auto w = [&](const HfLinear& lin) { return head_slice(*lin.w, HfTensor::Layout::OutIn, r0, a->d_head); };
    const auto b = [&](const HfLinear& lin) { return bias_slice(lin.b, r0, a->d_head); };
    return HeadProjection{w(a->q), w(a->k), w(a->v), b(a->q), b(a->k), b(a->v)};
}

}  // namespace attnscope
