#include "attnscope/trace_json.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "attnscope/attribution.h"

namespace attnscope {

namespace {

void append_matrix(std::string& out, const Matrix& m) {
    out += '[';
    for (Index r = 0; r < m.rows(); ++r) {
        out += r ? ",[" : "[";
        for (Index c = 0; c < m.cols(); ++c) {
            if (c) out += ',';
            append_json_number(out, m(r, c));
        }
        out += ']';
    }
    out += ']';
}

void append_field(std::string& out, bool& first, const char* name, const Matrix& m) {
    out += first ? "\"" : ", \"";
    first = false;
    out += name;
    out += "\": ";
    append_matrix(out, m);
}

// Only the fields asked for: a trace that did not keep its n x n matrices computes this head's now.
void append_head(std::string& out, const Trace& trace, int layer, int index, const TraceFields& f, const Matrix* value_norms) {
    const HeadTrace& head = trace.head(layer, index);
    out += "{\"index\": " + std::to_string(index);
    bool first = false;
    if (f.q) append_field(out, first, "q", head.q);
    if (f.k) append_field(out, first, "k", head.k);
    if (f.v) append_field(out, first, "v", head.v);
    if (f.scores) append_field(out, first, "scores", *trace.head_scores(layer, index));
    if (f.weights) append_field(out, first, "weights", *trace.head_weights(layer, index));
    if (value_norms) append_field(out, first, "value_norms", *value_norms);
    out += '}';
}

nlohmann::json model_json(const ModelInfo& m) {
    // "kind" is version 2's; "causal" stays for version 1 readers.
    nlohmann::json j = {{"name", m.name}, {"architecture", architecture_name(m.architecture)}, {"kind", model_kind(m)},
                        {"n_layers", m.n_layers}, {"n_heads", m.n_heads}, {"d_model", m.d_model}, {"d_head", m.d_head}, {"causal", m.causal}};
    if (!m.family.empty()) j["family"] = m.family;   // an added field: "architecture" keeps its values
    return j;
}

// An encoder-decoder's model object also counts the encoder's layers (n_layers are the decoder's).
nlohmann::json model_object(const ModelInfo& m) {
    nlohmann::json j = model_json(m);
    if (m.encoder_decoder) j["n_encoder_layers"] = m.n_encoder_layers;
    return j;
}

nlohmann::json tokens_json(const Trace& trace) {
    nlohmann::json tokens = nlohmann::json::array();
    for (std::size_t i = 0; i < trace.tokens.size(); ++i) {
        const Token& t = trace.tokens[i];
        tokens.push_back({{"index", i}, {"id", t.id}, {"text", trace.text.substr(t.start, t.end - t.start)},
                          {"piece", t.piece}, {"start", t.start}, {"end", t.end}, {"unknown", t.unknown},
                          {"special", t.special}});
    }
    return tokens;
}


std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// Trace v2's `"attention"` member of a layer whose model shapes its scores ("" otherwise): T5's
// relative position bias, Gemma 2's soft-cap and a sliding window (the keys outside it are masked:
// -infinity in scores, null in the JSON, 0 in weights).
std::string attention_object(const LayerTrace& layer) {
    std::string members;
    const auto add = [&](const std::string& member) { members += (members.empty() ? "" : ", ") + member; };
    if (!layer.heads.empty() && layer.heads.front().relative_bias.size() > 0) add("\"bias\": \"relative\"");
    if (layer.shaping.window > 0) add("\"window\": " + std::to_string(layer.shaping.window));
    if (layer.shaping.softcap > 0.0f) {
        std::string cap;
        append_json_number(cap, layer.shaping.softcap);
        add("\"softcap\": " + cap);
    }
    return members.empty() ? "" : ", \"attention\": {" + members + "}";
}

// The attribution fields of the trace's own layers, computed once (rollout needs every layer).
struct Attribution {
    std::vector<Matrix> rollout;                    // per layer
    std::vector<std::vector<Matrix>> value_norms;   // per layer, per head
};

Attribution attribution_of(const Trace& trace, const TraceFilter& filter) {
    Attribution a;
    if (filter.fields.rollout) a.rollout = attention_rollout(trace);
    if (!filter.fields.value_norms) return a;
    for (int l = 0; l < static_cast<int>(trace.layers.size()); ++l) {
        a.value_norms.emplace_back();
        for (int h = 0; h < static_cast<int>(trace.layers[static_cast<std::size_t>(l)].heads.size()); ++h)
            a.value_norms.back().push_back(value_weighted_norms(trace, l, h, filter.model->head_projection(l, h)->w_o));
    }
    return a;
}

// The "layers" array of a trace: every layer (or the filter's), each with its scale and heads, and
// `extra`'s attribution fields (the trace's own layers only).
std::string layers_json(const Trace& trace, const TraceFilter& filter, const Attribution* extra = nullptr) {
    std::string out = "[";
    bool first_layer = true;
    for (int l = 0; l < static_cast<int>(trace.layers.size()); ++l) {
        if (filter.layer && *filter.layer != l) continue;
        out += first_layer ? "\n  " : ",\n  ";
        first_layer = false;
        const LayerTrace& layer = trace.layers[static_cast<std::size_t>(l)];
        out += "{\"index\": " + std::to_string(l) + ", \"scale\": ";
        append_json_number(out, layer.scale);
        out += attention_object(layer);
        out += ", \"heads\": [";
        bool first_head = true;
        const auto& heads = trace.layers[static_cast<std::size_t>(l)].heads;
        for (int h = 0; h < static_cast<int>(heads.size()); ++h) {
            if (filter.head && *filter.head != h) continue;
            out += first_head ? "\n    " : ",\n    ";
            first_head = false;
            const bool norms = extra && !extra->value_norms.empty();
            append_head(out, trace, l, h, filter.fields,
                        norms ? &extra->value_norms[static_cast<std::size_t>(l)][static_cast<std::size_t>(h)] : nullptr);
        }
        out += "]";
        bool first_field = false;   // "index" came first: every field after it starts with a comma
        if (extra && !extra->rollout.empty()) append_field(out, first_field, "rollout", extra->rollout[static_cast<std::size_t>(l)]);
        if (extra && !extra->value_norms.empty()) {
            Matrix sum = Matrix::Zero(trace.n_tokens(), trace.n_keys(l));
            for (const Matrix& m : extra->value_norms[static_cast<std::size_t>(l)]) sum += m;
            append_field(out, first_field, "value_norms_sum", sum);
        }
        out += "}";
    }
    out += "]";
    return out;
}

}  // namespace

Result<TraceFields> TraceFields::parse(std::string_view list) {
    TraceFields f{false, false, false, false, false, false, false};
    std::size_t pos = 0;
    while (pos <= list.size()) {
        const std::size_t comma = std::min(list.find(',', pos), list.size());
        const std::string_view name = list.substr(pos, comma - pos);
        if (name == "q") f.q = true;
        else if (name == "k") f.k = true;
        else if (name == "v") f.v = true;
        else if (name == "scores") f.scores = true;
        else if (name == "weights") f.weights = true;
        else if (name == "rollout") f.rollout = true;
        else if (name == "value_norms") f.value_norms = true;
        else return Error{"unknown field '" + std::string(name) + "' (fields: q, k, v, scores, weights, rollout, value_norms)"};
        pos = comma + 1;
    }
    return f;
}

void append_json_number(std::string& out, float value) {
    if (!std::isfinite(value)) {
        out += "null";
        return;
    }
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, r.ptr);
}

std::optional<std::string> attribution_refusal(const Trace& trace, const TraceFilter& filter) {
    if (!filter.fields.value_norms) return std::nullopt;
    if (!filter.model) return "value_norms needs the model's W_O";
    for (int l = 0; l < static_cast<int>(trace.layers.size()); ++l)
        for (int h = 0; h < static_cast<int>(trace.layers[static_cast<std::size_t>(l)].heads.size()); ++h) {
            const auto p = filter.model->head_projection(l, h);
            if (!p || p->w_o.rows() != trace.head(l, h).v.cols() || p->w_o.cols() != trace.model.d_model)
                return "value_norms: model '" + trace.model.name + "' does not give its heads' W_O (layer " + std::to_string(l) +
                       ", head " + std::to_string(h) + ")";
        }
    return std::nullopt;
}

std::string trace_to_json(const Trace& trace, const TraceFilter& filter) {
    std::string out;
    out += "{\"format\": \"attnscope-trace\", \"version\": 2,\n";
    out += " \"model\": " + model_object(trace.model).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ",\n";
    out += " \"text\": " + nlohmann::json(trace.text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ",\n";
    // Version 1 readers find one top-level scale: layer 0's. Each layer object carries its own
    // (trace v2; layers differ with GPT-2's scale_attn_by_inverse_layer_idx).
    out += " \"scale\": ";
    append_json_number(out, trace.layers.empty() ? 1.0f : trace.layers.front().scale);
    out += ",\n \"tokens\": " + tokens_json(trace).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ",\n";
    const bool attribution = filter.fields.rollout || filter.fields.value_norms;
    const Attribution extra = attribution ? attribution_of(trace, filter) : Attribution{};
    out += " \"layers\": " + layers_json(trace, filter, attribution ? &extra : nullptr);
    if (trace.source) {  // an encoder-decoder (trace v2): the encoder's pass and the cross-attention
        const Trace& source = *trace.source;
        out += ",\n \"source\": {\"text\": " + dump(nlohmann::json(source.text)) + ",\n  \"tokens\": " +
               dump(tokens_json(source)) + ",\n  \"layers\": " + layers_json(source, filter) + "}";
        out += ",\n \"cross_layers\": " + layers_json(*cross_attention_trace(trace), filter);
    }
    out += "}\n";
    return out;
}

}  // namespace attnscope
