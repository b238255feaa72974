#include "models/prefix_reuse.h"

#include <algorithm>
#include <cassert>

#include "kernels/attention.h"

namespace attnscope {

namespace {

// Whether every layer and head of `prefix` has the shape this model's trace would have, with at
// least `rows` rows: a trace of another model must not be spliced into this one.
bool has_shape_of(const Trace& prefix, const ModelInfo& info, int rows) {
    if (static_cast<int>(prefix.layers.size()) != info.n_layers) return false;
    for (const LayerTrace& layer : prefix.layers) {
        if (!layer.causal || static_cast<int>(layer.heads.size()) != info.n_heads) return false;
        if (layer.x.rows() < rows || layer.x.cols() != info.d_model) return false;
        for (const HeadTrace& head : layer.heads)
            if (head.q.rows() < rows || head.q.cols() != info.d_head) return false;
    }
    return true;
}

int shared_leading_tokens(const std::vector<Token>& a, const std::vector<Token>& b) {
    const std::size_t n = std::min(a.size(), b.size());
    std::size_t i = 0;
    while (i < n && a[i].id == b[i].id) ++i;
    return static_cast<int>(i);
}

}  // namespace

int reusable_rows(const Trace& prefix, int reuse, const std::vector<Token>& tokens, const ModelInfo& info,
                  const ForwardOptions& options) {
    if (!info.causal || !options.ablation.heads.empty() || options.keep_residual) return 0;   // these passes compute everything
    int p = std::min({reuse, prefix.layers.empty() ? 0 : static_cast<int>(prefix.layers[0].x.rows()),
                      static_cast<int>(tokens.size()) - 1});
    if (!prefix.tokens.empty()) p = std::min(p, shared_leading_tokens(prefix.tokens, tokens));
    if (p <= 0 || !has_shape_of(prefix, info, p)) return 0;
    // extended_causal_head keeps the n x n matrices only when the prefix's heads have them.
    if (prefix.keeps_attention() != options.keep_attention) return 0;
    const bool all_logits = options.logits == ForwardOptions::Logits::All;
    if (all_logits && !(prefix.logits_first_token == 0 && prefix.logits.rows() >= p)) return 0;
    return p;
}

const LayerTrace* reused_layer(const Trace* prefix, int p, std::size_t l) {
    return prefix && p > 0 ? &prefix->layers[l] : nullptr;
}

Matrix layer_input_rows(const LayerTrace* earlier, int p, Matrix later) {
    if (!earlier) return later;
    Matrix out(p + later.rows(), later.cols());
    out.topRows(p) = earlier->x.topRows(p);
    out.bottomRows(later.rows()) = later;
    return out;
}

std::optional<Matrix> attend_new_rows(const Matrix& q, const Matrix& k, const Matrix& v, int n_heads, int n_kv_heads,
                                      float scale, bool causal, const LayerTrace* prefix, int p,
                                      const ForwardOptions& options, std::vector<HeadTrace>& heads,
                                      const ScoreShaping& shaping) {
    if (!prefix)
        return multi_head_attention(q, k, v, n_heads, n_kv_heads, scale, causal, options.keep_attention,
                                    options.cancelled, heads, nullptr, shaping);
    assert(causal && prefix->causal);  // reusable_rows reuses nothing of an encoder
    return extend_causal_heads(prefix->heads, p, q, k, v, n_heads, n_kv_heads, scale, options.keep_attention,
                               options.cancelled, heads, shaping);
}

void finish_prefix_reuse(Trace& trace, const Trace& prefix, int p, const ForwardOptions& options) {
    trace.reused_rows = p;
    if (options.logits != ForwardOptions::Logits::All || p == 0) return;
    Matrix logits(p + trace.logits.rows(), trace.logits.cols());
    logits.topRows(p) = prefix.logits.topRows(p);
    logits.bottomRows(trace.logits.rows()) = trace.logits;
    trace.logits = std::move(logits);
    trace.logits_first_token = 0;
}

}  // namespace attnscope
