// BERT, DistilBERT, RoBERTa and XLM-RoBERTa (model_type "bert", "distilbert", "roberta",
// "xlm-roberta"): bidirectional, learned absolute positions, token-type embeddings (BERT,
// RoBERTa), post-LayerNorm blocks, GELU; Linear weights stored out x in. The masked-word head,
// when the checkpoint has one, gives the logits. RoBERTa's positions start after the padding
// token's: token i reads row pad_token_id + 1 + i of the position table.
#include <cmath>
#include <cstdio>

#include "kernels/attention.h"
#include "attnscope/transformer.h"
#include "attnscope/text.h"
#include "models/hf_architectures.h"

namespace attnscope {

namespace {

// Tensor names of one architecture; "%d" is the layer index.
struct BertNames {
    const char *word, *position, *token_type, *embed_norm;
    const char *q, *k, *v, *attn_out, *attn_norm, *ff_in, *ff_out, *out_norm;
    const char *head_dense, *head_norm, *head_decoder, *head_bias;
};

constexpr BertNames kBertNames = {
    "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
    "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.",
    "encoder.layer.%d.attention.self.query.", "encoder.layer.%d.attention.self.key.",
    "encoder.layer.%d.attention.self.value.", "encoder.layer.%d.attention.output.dense.",
    "encoder.layer.%d.attention.output.LayerNorm.", "encoder.layer.%d.intermediate.dense.",
    "encoder.layer.%d.output.dense.", "encoder.layer.%d.output.LayerNorm.",
    "cls.predictions.transform.dense.", "cls.predictions.transform.LayerNorm.", "cls.predictions.decoder.weight",
    "cls.predictions.bias"};

// RoBERTa's encoder is BERT's under "roberta."; its masked-word head is lm_head.*.
constexpr BertNames kRobertaNames = {
    "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
    "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.",
    "encoder.layer.%d.attention.self.query.", "encoder.layer.%d.attention.self.key.",
    "encoder.layer.%d.attention.self.value.", "encoder.layer.%d.attention.output.dense.",
    "encoder.layer.%d.attention.output.LayerNorm.", "encoder.layer.%d.intermediate.dense.",
    "encoder.layer.%d.output.dense.", "encoder.layer.%d.output.LayerNorm.",
    "lm_head.dense.", "lm_head.layer_norm.", "lm_head.decoder.weight", "lm_head.bias"};

constexpr BertNames kDistilBertNames = {
    "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", nullptr, "embeddings.LayerNorm.",
    "transformer.layer.%d.attention.q_lin.", "transformer.layer.%d.attention.k_lin.",
    "transformer.layer.%d.attention.v_lin.", "transformer.layer.%d.attention.out_lin.",
    "transformer.layer.%d.sa_layer_norm.", "transformer.layer.%d.ffn.lin1.", "transformer.layer.%d.ffn.lin2.",
    "transformer.layer.%d.output_layer_norm.", "vocab_transform.", "vocab_layer_norm.", "vocab_projector.weight",
    "vocab_projector.bias"};

std::string name_of(const std::string& prefix, const char* pattern, int l, const char* suffix = "") {
    char buf[200];
    std::snprintf(buf, sizeof buf, pattern, l);
    return prefix + buf + suffix;
}

struct Linear {
    const HfTensor *w = nullptr, *b = nullptr;
};

struct BertLayer {
    Linear q, k, v, attn_out, ff_in, ff_out;
    LayerNormWeights attn_norm, out_norm;
};

// The sizes a BERT or DistilBERT config gives (each key has its DistilBERT name), checked.
struct BertSizes {
    int d, heads, layers, d_ff, vocab, positions;
};

BertSizes read_bert_sizes(const nlohmann::json& cfg, bool distil) {
    namespace L = config_limits;
    const char* width_key = distil ? "dim" : "hidden_size";
    const char* heads_key = distil ? "n_heads" : "num_attention_heads";
    BertSizes s{};
    s.d = config_size(cfg, width_key, L::kWidth);
    s.heads = config_size(cfg, heads_key, L::kHeads);
    s.layers = config_size(cfg, distil ? "n_layers" : "num_hidden_layers", L::kLayers);
    s.d_ff = config_size(cfg, distil ? "hidden_dim" : "intermediate_size", L::kFeedForward);
    s.vocab = config_size(cfg, "vocab_size", L::kVocabulary);
    s.positions = config_size(cfg, "max_position_embeddings", L::kPositions, 512);
    require_divisor(s.heads, heads_key, s.d, width_key);
    if (!distil && config_string(cfg, "position_embedding_type", "absolute") != "absolute")
        throw LoadError("config.json: position_embedding_type: expected \"absolute\", got \"" +
                        config_string(cfg, "position_embedding_type", "") + "\"");
    return s;
}

// RoBERTa's first position row: create_position_ids_from_input_ids counts from padding_idx + 1.
int roberta_position_offset(const nlohmann::json& cfg, int positions) {
    long long pad = 1;   // RobertaConfig's default
    if (cfg.contains("pad_token_id") && !cfg["pad_token_id"].is_null()) {
        const nlohmann::json& v = cfg["pad_token_id"];
        if (!v.is_number_integer() || v.get<long long>() < 0)
            throw LoadError("config.json: pad_token_id: expected a token id (an integer from 0), got " + cut_for_message(v.dump(), 40));
        pad = v.get<long long>();
    }
    if (pad + 1 >= positions)
        throw LoadError("config.json: pad_token_id: positions start at pad_token_id + 1 = " + std::to_string(pad + 1) +
                        ", but max_position_embeddings is " + std::to_string(positions));
    return static_cast<int>(pad + 1);
}

class BertModel final : public HfModelBase {
public:
    explicit BertModel(HfContext& c) : HfModelBase(c) {
        const nlohmann::json& cfg = c.config;
        const std::string type = config_string(cfg, "model_type", "bert");
        const bool distil = type == "distilbert", roberta = type == "roberta" || type == "xlm-roberta";
        const BertNames& names = distil ? kDistilBertNames : roberta ? kRobertaNames : kBertNames;
        const BertSizes sizes = read_bert_sizes(cfg, distil);
        const int d = sizes.d, heads = sizes.heads, layers = sizes.layers, d_ff = sizes.d_ff, vocab = sizes.vocab;
        const int positions = sizes.positions;
        if (roberta) m_position_offset = roberta_position_offset(cfg, positions);
        m_eps = distil ? 1e-12f : config_positive_float(cfg, "layer_norm_eps", 1e-12f);
        m_activation = activation_from_config(config_string(cfg, distil ? "activation" : "hidden_act", "gelu"),
                                              distil ? "activation" : "hidden_act");

        HfWeights& w = *m_weights;
        // BertForMaskedLM writes "bert.", DistilBertForMaskedLM "distilbert.", a bare encoder nothing.
        const std::string p = w.name_prefix(distil ? "distilbert." : roberta ? "roberta." : "bert.", names.word, {vocab, d});
        auto norm = [&](const std::string& base) {
            return LayerNormWeights{w.require(base + "weight", {d}).vector(), w.require(base + "bias", {d}).vector()};
        };
        auto linear = [&](const std::string& base, int out, int in) {
            return Linear{&w.require(base + "weight", {out, in}), &w.require(base + "bias", {out})};
        };
        m_word = &w.require(p + names.word, {vocab, d});
        m_position = &w.require(p + names.position, {positions, d});
        // A GGUF file converted from DistilBERT is a `bert` without token types: type_vocab_size 0.
        if (names.token_type && cfg.value("type_vocab_size", nlohmann::json(2)) != 0) {
            const int types = config_size(cfg, "type_vocab_size", config_limits::kTokenTypes, 2);
            m_token_type = &w.require(p + names.token_type, {types, d});
        }
        m_embed_norm = norm(p + names.embed_norm);
        for (int l = 0; l < layers; ++l) {
            BertLayer L;
            L.q = linear(name_of(p, names.q, l), d, d);
            L.k = linear(name_of(p, names.k, l), d, d);
            L.v = linear(name_of(p, names.v, l), d, d);
            L.attn_out = linear(name_of(p, names.attn_out, l), d, d);
            L.attn_norm = norm(name_of(p, names.attn_norm, l));
            L.ff_in = linear(name_of(p, names.ff_in, l), d_ff, d);
            L.ff_out = linear(name_of(p, names.ff_out, l), d, d_ff);
            L.out_norm = norm(name_of(p, names.out_norm, l));
            m_layers.push_back(L);
        }
        find_masked_word_head(names, d, vocab);

        describe({Architecture::Bert, layers, heads, heads, d, d / heads, d_ff, vocab, positions - m_position_offset, false,
                  roberta ? "learned (from pad_token_id + 1)" : "learned", "layernorm (post)", activation_name(m_activation)});
        if (roberta) m_info.family = type;
    }

    // The masked-word head: transform (dense + activation + norm), then the decoder, tied to the
    // word embeddings unless stored. A bare encoder has none.
    void find_masked_word_head(const BertNames& names, int d, int vocab) {
        HfWeights& w = *m_weights;
        if (!w.contains(std::string(names.head_dense) + "weight")) return;
        m_head_dense = Linear{&w.require(std::string(names.head_dense) + "weight", {d, d}),
                              &w.require(std::string(names.head_dense) + "bias", {d})};
        const std::string norm = names.head_norm;
        m_head_norm = LayerNormWeights{w.require(norm + "weight", {d}).vector(), w.require(norm + "bias", {d}).vector()};
        m_decoder = w.optional(names.head_decoder, {vocab, d});
        if (!m_decoder) m_decoder = m_word;
        m_decoder_bias = w.optional(names.head_bias, {vocab});
        m_has_head = true;
    }

    Result<Trace> forward(const std::vector<Token>& tokens, const ForwardOptions& options) const override {
        const auto ids = checked_ids(tokens);
        if (!ids.ok()) return ids.error();
        const int n = static_cast<int>(tokens.size()), H = m_info.n_heads;
        Trace trace;
        const float scale = 1.0f / std::sqrt(static_cast<float>(m_info.d_head));
        trace.layers.resize(m_layers.size());
        Matrix x = gather_rows(*m_word, ids.value());
        x += m_position->matrix().middleRows(m_position_offset, n);
        if (m_token_type) x.rowwise() += m_token_type->row(0);  // one segment: token type 0 throughout
        x = layer_norm_rows(x, m_embed_norm, m_eps);
        for (std::size_t l = 0; l < m_layers.size(); ++l) {
            const BertLayer& L = m_layers[l];
            LayerTrace& layer = trace.layers[l];
            layer.x = x;  // post-norm: attention reads the layer input as it is
            layer.scale = scale;
            layer.causal = false;
            auto heads_out = multi_head_attention(linear_out_in(x, *L.q.w, L.q.b), linear_out_in(x, *L.k.w, L.k.b),
                                                        linear_out_in(x, *L.v.w, L.v.b), H, H, scale, false,
                                                        options.keep_attention, options.cancelled, layer.heads);
            if (!heads_out) return Error{"cancelled"};
            ablate_head_outputs(*heads_out, static_cast<int>(l), m_info.d_head, options);
            x = layer_norm_rows(x + linear_out_in(*heads_out, *L.attn_out.w, L.attn_out.b), L.attn_norm, m_eps);
            Matrix hidden = linear_out_in(x, *L.ff_in.w, L.ff_in.b);
            apply_activation(hidden, m_activation);
            x = layer_norm_rows(x + linear_out_in(hidden, *L.ff_out.w, L.ff_out.b), L.out_norm, m_eps);
        }
        if (options.logits != ForwardOptions::Logits::None && m_has_head) {
            Matrix h = linear_out_in(rows_for_logits(x, options, trace), *m_head_dense.w, m_head_dense.b);
            apply_activation(h, m_activation);
            trace.logits = lm_head_product(layer_norm_rows(h, m_head_norm, m_eps), *m_decoder, m_decoder_bias);
        }
        return trace;
    }

    // torch.nn.Linear weights, out x in: the head's rows, transposed.
    std::optional<HeadProjection> head_projection(int layer, int head) const override {
        if (layer < 0 || layer >= m_info.n_layers || head < 0 || head >= m_info.n_heads) return std::nullopt;
        const BertLayer& L = m_layers[static_cast<std::size_t>(layer)];
        const Index dh = m_info.d_head, r0 = static_cast<Index>(head) * dh;
        const auto w = [&](const Linear& lin) { return head_slice(*lin.w, HfTensor::Layout::OutIn, r0, dh); };
        const auto b = [&](const Linear& lin) { return bias_slice(lin.b, r0, dh); };
        HeadProjection p{w(L.q), w(L.k), w(L.v), b(L.q), b(L.k), b(L.v)};
        p.w_o = head_output_rows(*L.attn_out.w, HfTensor::Layout::OutIn, r0, dh);
        return p;
    }

private:
    const HfTensor *m_word = nullptr, *m_position = nullptr, *m_token_type = nullptr;
    LayerNormWeights m_embed_norm;
    std::vector<BertLayer> m_layers;
    bool m_has_head = false;
    Linear m_head_dense;
    LayerNormWeights m_head_norm;
    const HfTensor *m_decoder = nullptr, *m_decoder_bias = nullptr;
    float m_eps = 1e-12f;
    Activation m_activation = Activation::Gelu;
    int m_position_offset = 0;   // RoBERTa: pad_token_id + 1
};

}  // namespace

ModelPtr build_bert_model(HfContext& context) { return std::make_shared<BertModel>(context); }

}  // namespace attnscope
