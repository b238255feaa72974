#include "attnscope/trace.h"

#include <atomic>

#include "attnscope/attention_cache.h"
#include "kernels/attention.h"

namespace attnscope {

std::uint64_t next_trace_id() {
    static std::atomic<std::uint64_t> counter{0};
    return ++counter;  // 1, 2, 3, ...: 0 stays "no trace" for caches that start empty
}

Trace::~Trace() { detail::forget_attention_of(id); }

namespace {

using detail::AttentionKind;

const RowVector* bias_of(const HeadTrace& head) { return head.relative_bias.size() > 0 ? &head.relative_bias : nullptr; }

// Lends a kept matrix: no ownership, valid while its Trace lives.
AttentionMatrix lend(const Matrix& m) { return AttentionMatrix(AttentionMatrix(), &m); }

AttentionMatrix head_matrix(const Trace& trace, int l, int h, AttentionKind kind) {
    const HeadTrace& head = trace.head(l, h);
    const Matrix& kept = kind == AttentionKind::Scores ? head.scores : head.weights;
    if (kept.size() > 0 || head.q.rows() == 0) return lend(kept);
    if (auto cached = detail::cached_attention(trace.id, l, h, kind)) return cached;
    // Both at once: a reader of one usually wants the other (the heatmap's hover shows both).
    auto scores = std::make_shared<Matrix>(), weights = std::make_shared<Matrix>();
    const LayerTrace& layer = trace.layers[static_cast<std::size_t>(l)];
    attention_rows_of(head.q, head.k, layer.scale, layer.causal, 0, head.q.rows(), scores.get(), weights.get(), bias_of(head),
                      layer.shaping);
    detail::cache_attention(trace.id, l, h, AttentionKind::Scores, scores);
    detail::cache_attention(trace.id, l, h, AttentionKind::Weights, weights);
    return kind == AttentionKind::Scores ? AttentionMatrix(std::move(scores)) : AttentionMatrix(std::move(weights));
}

void head_rows(const Trace& trace, int l, int h, int r0, int r1, Matrix* scores, Matrix* weights) {
    const HeadTrace& head = trace.head(l, h);
    if (head.weights.size() > 0) {
        if (scores) *scores = head.scores.middleRows(r0, r1 - r0);
        if (weights) *weights = head.weights.middleRows(r0, r1 - r0);
        return;
    }
    const LayerTrace& layer = trace.layers[static_cast<std::size_t>(l)];
    attention_rows_of(head.q, head.k, layer.scale, layer.causal, r0, r1, scores, weights, bias_of(head), layer.shaping);
}

}  // namespace

AttentionMatrix Trace::head_scores(int layer, int head_index) const { return head_matrix(*this, layer, head_index, AttentionKind::Scores); }
AttentionMatrix Trace::head_weights(int layer, int head_index) const { return head_matrix(*this, layer, head_index, AttentionKind::Weights); }

Matrix Trace::head_score_rows(int layer, int head_index, int r0, int r1) const {
    Matrix rows;
    head_rows(*this, layer, head_index, r0, r1, &rows, nullptr);
    return rows;
}

Matrix Trace::head_weight_rows(int layer, int head_index, int r0, int r1) const {
    Matrix rows;
    head_rows(*this, layer, head_index, r0, r1, nullptr, &rows);
    return rows;
}

void Trace::head_attention_rows(int layer, int head_index, int r0, int r1, Matrix* scores, Matrix* weights) const {
    head_rows(*this, layer, head_index, r0, r1, scores, weights);
}

bool is_encoder_decoder(const Trace& trace) { return trace.source != nullptr; }

std::shared_ptr<const Trace> cross_attention_trace(const Trace& trace) {
    auto cross = std::make_shared<Trace>();
    cross->id = next_trace_id();  // its matrices are not the decoder's: a cache keyed by id must not mix them
    cross->model = trace.model;
    cross->made_by = trace.made_by;
    cross->text = trace.text;
    cross->tokens = trace.tokens;
    cross->source_text = trace.source_text;
    cross->source_tokens = trace.source_tokens;
    cross->source = trace.source;
    cross->layers = trace.cross_layers;
    cross->logits = trace.logits;
    cross->logits_first_token = trace.logits_first_token;
    cross->compute_ms = trace.compute_ms;
    cross->note = trace.note;
    return cross;
}

}  // namespace attnscope
