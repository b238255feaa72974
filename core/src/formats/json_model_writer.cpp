// Writes the own JSON format: version 1, or version 2 for an encoder-decoder (its encoder and the
// decoder layers' cross-attention). Numbers go out as the shortest text that reads back
// as the same float32 (std::to_chars), so a save/load round trip is exact and files stay small.
#include <charconv>
#include <nlohmann/json.hpp>

#include "attnscope/json_model.h"
#include "attnscope/word_tokenizer.h"

namespace attnscope {

namespace {

class Writer {
public:
    void raw(std::string_view s) { m_out += s; }
    void number(float v) {
        char buf[32];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        m_out.append(buf, r.ptr);
    }
    void vector(const RowVector& v) {
        m_out += '[';
        for (Index i = 0; i < v.size(); ++i) {
            if (i) m_out += ',';
            number(v(i));
        }
        m_out += ']';
    }
    void matrix(const Matrix& m, const char* indent) {  // one row per line
        m_out += '[';
        for (Index r = 0; r < m.rows(); ++r) {
            m_out += r ? ",\n" : "\n";
            m_out += indent;
            vector(m.row(r));
        }
        m_out += ']';
    }
    void key(std::string_view name, const char* indent) {
        m_out += indent;
        m_out += nlohmann::json(std::string(name)).dump();
        m_out += ": ";
    }
    std::string take() { return std::move(m_out); }

private:
    std::string m_out;
};

void write_norm(Writer& w, const char* name, const LayerNormWeights& n, const char* indent) {
    w.key(name, indent);
    w.raw("{\"gamma\": ");
    w.vector(n.gamma);
    w.raw(", \"beta\": ");
    w.vector(n.beta);
    w.raw("}");
}

void write_cross(Writer& w, const CrossAttentionWeights& x, const TransformerConfig& c, const char* in, const char* rows) {
    w.key("cross", in);
    w.raw("{\n");
    if (c.norm == Norm::LayerNorm) {
        write_norm(w, "ln", x.ln, rows);
        w.raw(",\n");
    }
    const std::pair<const char*, const Matrix*> mats[] = {{"wq", &x.wq}, {"wk", &x.wk}, {"wv", &x.wv}, {"wo", &x.wo}};
    const std::pair<const char*, const RowVector*> biases[] = {{"bq", &x.bq}, {"bk", &x.bk}, {"bv", &x.bv}, {"bo", &x.bo}};
    for (int i = 0; i < 4; ++i) {
        if (i) w.raw(",\n");
        w.key(mats[i].first, rows); w.matrix(*mats[i].second, rows);
        w.raw(",\n");
        w.key(biases[i].first, rows); w.vector(*biases[i].second);
    }
    w.raw("}");
}

// `cross`: a decoder layer of an encoder-decoder, written with its cross-attention.
void write_layer(Writer& w, const TransformerLayerWeights& l, const TransformerConfig& c, bool cross) {
    const char* in = "      ";
    const char* rows = "        ";
    w.raw("    {\n");
    bool first = true;
    auto next = [&] { if (!first) w.raw(",\n"); first = false; };
    if (c.norm == Norm::LayerNorm) { next(); write_norm(w, "ln1", l.ln1, in); }
    const std::pair<const char*, const Matrix*> mats[] = {{"wq", &l.wq}, {"wk", &l.wk}, {"wv", &l.wv}};
    const std::pair<const char*, const RowVector*> biases[] = {{"bq", &l.bq}, {"bk", &l.bk}, {"bv", &l.bv}};
    for (int i = 0; i < 3; ++i) {
        next(); w.key(mats[i].first, in); w.matrix(*mats[i].second, rows);
        next(); w.key(biases[i].first, in); w.vector(*biases[i].second);
    }
    if (l.has_wo) { next(); w.key("wo", in); w.matrix(l.wo, rows); }
    next(); w.key("bo", in); w.vector(l.bo);
    if (c.d_ff > 0) {
        if (c.norm == Norm::LayerNorm) { next(); write_norm(w, "ln2", l.ln2, in); }
        next(); w.key("w1", in); w.matrix(l.w1, rows);
        next(); w.key("b1", in); w.vector(l.b1);
        next(); w.key("w2", in); w.matrix(l.w2, rows);
        next(); w.key("b2", in); w.vector(l.b2);
    }
    if (cross) { next(); write_cross(w, l.cross, c, in, rows); }
    w.raw("\n    }");
}

void write_layers(Writer& w, const char* name, const std::vector<TransformerLayerWeights>& layers, const TransformerConfig& c,
                  bool cross) {
    w.raw("    \"");
    w.raw(name);
    w.raw("\": [\n");
    for (std::size_t l = 0; l < layers.size(); ++l) {
        if (l) w.raw(",\n");
        write_layer(w, layers[l], c, cross);
    }
    w.raw("\n    ]");
}

nlohmann::json header_json(const TransformerModel& model) {
    const TransformerConfig& c = model.config();
    nlohmann::json config = {{"d_model", c.d_model}, {"n_heads", c.n_heads}, {"n_layers", c.n_layers},
                             {"d_ff", c.d_ff}, {"max_len", c.max_len}, {"causal", c.causal},
                             {"positional", positional_name(c.positional)}, {"norm", norm_name(c.norm)},
                             {"norm_eps", c.norm_eps}, {"activation", activation_name(c.activation)},
                             {"attn_scale", c.attn_scale ? nlohmann::json(*c.attn_scale) : nlohmann::json()}};
    if (c.is_encoder_decoder()) config["encoder_layers"] = c.encoder_layers;
    const auto* words = dynamic_cast<const WordTokenizer*>(&model.tokenizer());
    nlohmann::json tokenizer = {{"type", "word"}, {"lowercase", words->lowercase()}, {"unk", words->unk()},
                                {"vocab", words->vocab()}};
    return {{"config", config}, {"tokenizer", tokenizer}};
}

}  // namespace

std::string write_json_model(const TransformerModel& model) {
    const TransformerConfig& c = model.config();
    const TransformerWeights& weights = model.weights();
    const nlohmann::json header = header_json(model);
    Writer w;
    w.raw(c.is_encoder_decoder() ? "{\n  \"format\": \"attnscope-model\", \"version\": 2,\n"
                                  : "{\n  \"format\": \"attnscope-model\", \"version\": 1,\n");
    w.raw("  \"name\": " + nlohmann::json(model.info().name).dump() + ",\n");
    w.raw("  \"description\": " + nlohmann::json(model.info().description).dump() + ",\n");
    w.raw("  \"config\": " + header["config"].dump() + ",\n");
    w.raw("  \"tokenizer\": " + header["tokenizer"].dump() + ",\n");
    w.raw("  \"weights\": {\n");
    w.key("token_embedding", "    ");
    w.matrix(weights.token_embedding, "      ");
    if (c.positional == Positional::Learned) {
        w.raw(",\n");
        w.key("position_embedding", "    ");
        w.matrix(weights.position_embedding, "      ");
    }
    w.raw(",\n");
    write_layers(w, "layers", weights.layers, c, c.is_encoder_decoder());
    if (c.is_encoder_decoder()) {  // "encoder": {"layers": [...], "final_norm": {...}}
        w.raw(",\n    \"encoder\": {\n");
        write_layers(w, "layers", weights.encoder_layers, c, false);
        if (c.norm == Norm::LayerNorm) {
            w.raw(",\n");
            write_norm(w, "final_norm", weights.encoder_final_norm, "      ");
        }
        w.raw("}");
    }
    if (c.norm == Norm::LayerNorm) {
        w.raw(",\n");
        write_norm(w, "final_norm", weights.final_norm, "    ");
    }
    if (weights.lm_head.size() > 0) {
        w.raw(",\n");
        w.key("lm_head", "    ");
        w.matrix(weights.lm_head, "      ");
    }
    w.raw("\n  }\n}\n");
    return w.take();
}

}  // namespace attnscope
