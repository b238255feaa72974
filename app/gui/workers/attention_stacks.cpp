#include "workers/attention_stacks.h"

#include <cmath>
#include <limits>

#include "attnscope/token_labels.h"

namespace attnscope::gui {

namespace {

constexpr const char* kButtons[] = {"Encoder", "Decoder", "Cross"};
constexpr const char* kTitles[] = {"encoder self-attention", "decoder masked self-attention", "cross-attention"};
static_assert(std::size(kButtons) == static_cast<std::size_t>(AttentionStack::Count), "a button per stack");
static_assert(std::size(kTitles) == static_cast<std::size_t>(AttentionStack::Count), "a title per stack");

constexpr int idx(HeadMetric m) { return static_cast<int>(m); }

// Mean of rows[from..n), or 0 when that range is empty (as head_stats.cpp does).
float mean_from(const RowVector& rows, int from) {
    const int n = static_cast<int>(rows.size());
    return n > from ? rows.tail(n - from).mean() : 0.0f;
}

// A cross head's numbers from the forward pass's summary; "same" is then the weight on the source
// token at the query's position (0 past the source's end), "previous" the one before it.
HeadStat head_stat_of(const HeadSummary& summary) {
    HeadStat s;
    s.rows[idx(HeadMetric::Entropy)] = summary.entropy;
    s.rows[idx(HeadMetric::Previous)] = summary.previous;
    s.rows[idx(HeadMetric::Same)] = summary.same;
    s.rows[idx(HeadMetric::First)] = summary.first;
    s.mean[idx(HeadMetric::Entropy)] = mean_from(summary.entropy, 0);
    s.mean[idx(HeadMetric::Same)] = mean_from(summary.same, 0);
    s.mean[idx(HeadMetric::Previous)] = mean_from(summary.previous, 1);
    s.mean[idx(HeadMetric::First)] = mean_from(summary.first, 1);
    return s;
}

// A trace built by hand has no summary: the same numbers from its kept weights (n x n_keys).
HeadSummary summary_from_weights(const Matrix& w) {
    HeadSummary s;
    const Index n = w.rows(), n_keys = w.cols();
    for (RowVector* v : {&s.entropy, &s.previous, &s.same, &s.first, &s.distance}) *v = RowVector::Zero(n);
    for (Index i = 0; i < n; ++i) {
        s.entropy(i) = row_entropy_bits(w.row(i));
        s.same(i) = i < n_keys ? w(i, i) : 0.0f;
        s.previous(i) = i > 0 && i - 1 < n_keys ? w(i, i - 1) : 0.0f;
        s.first(i) = n_keys > 0 ? w(i, 0) : 0.0f;
    }
    return s;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
    return s;
}

}  // namespace

std::optional<AttentionStack> stack_from_name(std::string_view name) {
    for (int s = 0; s < static_cast<int>(AttentionStack::Count); ++s)
        if (name == kAttentionStackNames[s]) return static_cast<AttentionStack>(s);
    return std::nullopt;
}

const char* stack_button(AttentionStack s) { return kButtons[static_cast<int>(s)]; }
const char* stack_title(AttentionStack s) { return kTitles[static_cast<int>(s)]; }

bool shows_cross(const Trace& view) { return !view.layers.empty() && view.layers.front().cross && view.source; }

const Trace& keys_of(const Trace& view) { return shows_cross(view) ? *view.source : view; }

// A target word's label without the space before it (" banque": the space is the text's, not the word's).
static std::string word_at(const Trace& t, int i, ControlChars controls) {
    std::string s = token_label(t, i, controls);
    const std::size_t first = s.find_first_not_of(' ');
    return first == std::string::npos || first == 0 ? s : s.substr(first);
}

std::string written_at(const Trace& cross, int i, ControlChars controls) {
    return i + 1 < cross.n_tokens() ? word_at(cross, i + 1, controls) : kEndLabel;
}

std::string row_label(const Trace& view, int i, ControlChars controls) {
    if (!shows_cross(view)) return token_label(view, i, controls);
    return word_at(view, i, controls) + " \xE2\x86\x92 " + written_at(view, i, controls);
}

const std::string& input_text(const Trace& trace) { return trace.source ? trace.source_text : trace.text; }

// As compute_head_stats, with the averages n x n_keys: every head of a layer has that shape.
Result<std::shared_ptr<const HeadStats>> cross_head_stats(const Trace& cross, const std::function<bool()>& cancelled) {
    auto stats = std::make_shared<HeadStats>();
    stats->trace_id = cross.id;
    stats->n_layers = static_cast<int>(cross.layers.size());
    stats->n_heads = stats->n_layers > 0 ? static_cast<int>(cross.layers[0].heads.size()) : 0;
    stats->n_tokens = cross.n_tokens();
    const bool exact = cross.keeps_attention();
    stats->averages_pooled = !exact;
    auto shape_of = [&](const HeadTrace& h) -> const Matrix& { return exact ? h.weights : h.summary.pooled; };
    const Index rows = stats->n_heads > 0 ? shape_of(cross.head(0, 0)).rows() : 0;
    const Index cols = stats->n_heads > 0 ? shape_of(cross.head(0, 0)).cols() : 0;
    stats->mean_over_layers.assign(static_cast<std::size_t>(stats->n_heads), Matrix::Zero(rows, cols));
    stats->mean_over_all = Matrix::Zero(rows, cols);
    for (int l = 0; l < stats->n_layers; ++l) {
        if (cancelled && cancelled()) return Error{"cancelled"};
        Matrix layer_sum = Matrix::Zero(rows, cols);
        for (int h = 0; h < stats->n_heads; ++h) {
            const HeadTrace& head = cross.head(l, h);
            const Matrix& w = shape_of(head);
            if (w.rows() != rows || w.cols() != cols) return Error{"the cross-attention heads differ in shape"};
            const bool summarized = head.summary.entropy.size() == head.q.rows() && head.q.rows() > 0;
            stats->heads.push_back(head_stat_of(summarized ? head.summary : summary_from_weights(head.weights)));
            layer_sum += w;
            stats->mean_over_layers[static_cast<std::size_t>(h)] += w;
        }
        stats->mean_over_all += layer_sum;
        if (stats->n_heads > 0) layer_sum /= static_cast<float>(stats->n_heads);
        stats->mean_over_heads.push_back(std::move(layer_sum));
    }
    if (stats->n_layers > 0)
        for (Matrix& m : stats->mean_over_layers) m /= static_cast<float>(stats->n_layers);
    if (stats->n_layers * stats->n_heads > 0) stats->mean_over_all /= static_cast<float>(stats->n_layers * stats->n_heads);
    return std::shared_ptr<const HeadStats>(std::move(stats));
}

// explain_head (core/src/teach/explain.cpp) for a cross layer, whose keys are source tokens.
HeadExplanation explain_cross_head(const Trace& cross, int layer, int head, int query) {
    const HeadTrace& h = cross.head(layer, head);
    const Trace& source = keys_of(cross);
    HeadExplanation e;
    e.layer = layer;
    e.head = head;
    e.query = query;
    e.d_model = cross.model.d_model;
    e.d_head = static_cast<int>(h.q.cols());
    e.scale = cross.layers[static_cast<std::size_t>(layer)].scale;
    e.scale_is_default = std::abs(e.scale * std::sqrt(static_cast<float>(e.d_head)) - 1.0f) < 1e-4f;
    e.causal = false;  // cross-attention sees the whole source
    e.tokens = token_labels(cross, ControlChars::AsTyped);
    e.x = cross.layers[static_cast<std::size_t>(layer)].x;
    e.q = h.q.row(query);
    const Matrix scores = cross.head_score_rows(layer, head, query, query + 1);   // 1 x n_keys
    const Matrix weights = cross.head_weight_rows(layer, head, query, query + 1);
    const Index n_keys = h.k.rows();
    float max_score = -std::numeric_limits<float>::infinity();
    for (Index j = 0; j < n_keys; ++j) {
        KeyExplanation k;
        k.j = static_cast<int>(j);
        k.token = token_label(source, static_cast<int>(j), ControlChars::AsTyped);
        k.k = h.k.row(j);
        k.v = h.v.row(j);
        k.products = e.q.cwiseProduct(k.k);
        k.dot = k.products.sum();
        k.score = scores(0, j);
        k.masked = std::isinf(k.score) && k.score < 0.0f;
        k.weight = weights(0, j);
        k.dot_formula = dot_terms(e.q, k.k) + " = " + format_number(k.dot);
        k.score_formula = format_number(k.dot) + " \xC3\x97 " + format_number(e.scale) + " = " + format_number(k.score);
        if (!k.masked) max_score = std::max(max_score, k.score);
        e.keys.push_back(std::move(k));
    }
    // As explain.cpp: the largest score is taken off only when plain exp() could overflow.
    e.shift = max_score > 30.0f ? max_score : 0.0f;
    for (KeyExplanation& k : e.keys) {
        k.exp_score = k.masked ? 0.0f : std::exp(k.score - e.shift);
        e.exp_sum += k.exp_score;
    }
    e.out = h.out.row(query);
    return e;
}

// The pages explain_steps writes speak of one sentence and of W read from the model; for the
// encoder and cross-attention these words are put right, so the class is never told something false.
std::vector<StepPage> stack_steps(const HeadExplanation& e, AttentionStack stack) {
    std::vector<StepPage> pages = explain_steps(e);
    const bool cross = stack == AttentionStack::Cross;
    const std::string who = cross ? "the cross-attention's" : "the encoder's";
    StepPage& input = pages[static_cast<std::size_t>(ExplainStep::Input)];
    if (cross) {
        input.caption = "Cross-attention: the queries come from the decoder, the target written so far (these rows x), "
                        "and the keys and values from the encoder's output, one row per source token.";
        input.formulas.insert(input.formulas.begin() + 1, "k and v: from the encoder's output rows (source tokens), not from this x");
    }
    StepPage& projections = pages[static_cast<std::size_t>(ExplainStep::Projections)];
    projections.matrices.clear();
    for (std::string& f : projections.formulas)
        if (f.rfind("This model does not show", 0) == 0 || f.rfind("each W", 0) == 0)
            f = "The W_Q, W_K and W_V of " + who + " heads are not read from the model here; q, k and v below are the "
                "trace's own numbers, as the forward pass computed them.";
    if (cross) projections.formulas.front() = "q = x W_Q + b_Q  (x: the decoder's rows)     k = m W_K + b_K     v = m W_V + b_V  (m: the encoder's output)";
    if (!cross) return pages;
    // Tables of keys have a row per source token: the query (a target token) is none of them.
    for (StepPage& p : pages) {
        if (&p != &input) p.highlight_row = -1;
        for (StepMatrix& m : p.matrices)
            if (m.title.rfind("K (", 0) == 0) m.row_labels.clear();
    }
    StepPage& keys = pages[static_cast<std::size_t>(ExplainStep::Keys)];
    keys.caption = "Every source token shows a key k, made from the encoder's output: a label saying what it has to offer.";
    for (std::size_t j = 0; j < e.keys.size(); ++j)
        keys.matrices.front().row_labels.push_back(e.keys[j].token);
    StepPage& mask = pages[static_cast<std::size_t>(ExplainStep::Mask)];
    mask.title = "7. The mask: none in cross-attention";
    mask.caption = "The whole source sentence was read before the translation started, so every target token may look "
                   "at every source token.";
    StepPage& output = pages[static_cast<std::size_t>(ExplainStep::Output)];
    output.caption = replace_all(output.caption, "Each token hands over", "Each source token hands over");
    return pages;
}

}  // namespace attnscope::gui
