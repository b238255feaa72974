#include "attnscope/forward.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

namespace attnscope {

namespace {

bool only_whitespace(const std::string& text) {
    return text.find_first_not_of(" \t\r\n\v\f") == std::string::npos;
}

// An unmasked score that overflowed to -infinity gets weight 0 and leaves everything else finite,
// but the heatmap would show it as masked. |q . k| <= |q| |k|, so the n x n scores are scanned
// only when the longest query and key could overflow together (never in a sane model).
// A trace that did not keep its scores has them computed a block of rows at a time here.
// Query rows [first, n) only: the earlier ones were checked in the trace they were reused from.
bool unmasked_score_overflowed(const Trace& trace, int l, int h, int first) {
    const HeadTrace& head = trace.head(l, h);
    const LayerTrace& layer = trace.layers[static_cast<std::size_t>(l)];
    const bool causal = layer.causal;
    const int n = static_cast<int>(head.q.rows());
    const double longest_q = head.q.bottomRows(n - first).rowwise().norm().maxCoeff();
    const double longest_k = head.k.rowwise().norm().maxCoeff();
    if (longest_q * longest_k < 0.25 * std::numeric_limits<float>::max()) return false;
    for (int r0 = first; r0 < n; r0 += 128) {
        const int r1 = std::min(n, r0 + 128);
        const Matrix scores = trace.head_score_rows(l, h, r0, r1);
        for (int i = r0; i < r1; ++i) {
            const Index first_key = layer.shaping.first_key(i), end = causal ? i + 1 : scores.cols();   // a window masks keys before first_key
            if (!scores.row(i - r0).segment(first_key, end - first_key).allFinite()) return true;
        }
    }
    return false;
}

// Where a forward pass left float32's range: weights too large make q . k overflow to infinity, and
// softmax then gives NaN, which no view can show and no explanation can justify. A NaN or an
// infinity reaches the head's output (weights v) and the next layer's input, so those, q, k and v
// are checked, and the scores where an overflow is possible (masked scores are -infinity by design).
// Rows a pass reused (Trace::reused_rows) passed this check in their own trace, so only the rows
// computed are scanned: scanning all of a 1,024-token GPT-2-small trace (50 ms) takes about as
// long as computing 8 new rows.
std::string non_finite_part(const Trace& trace) {
    const int first = trace.reused_rows;
    const auto finite = [first](const Matrix& m) { return m.bottomRows(m.rows() - first).allFinite(); };
    for (std::size_t l = 0; l < trace.layers.size(); ++l) {
        const LayerTrace& layer = trace.layers[l];
        const std::string at = "layer " + std::to_string(l);
        if (!finite(layer.x)) return at + "'s input";
        for (std::size_t h = 0; h < layer.heads.size(); ++h) {
            const HeadTrace& head = layer.heads[h];
            if (!finite(head.q) || !finite(head.k) || !finite(head.v) || !finite(head.out) ||
                unmasked_score_overflowed(trace, static_cast<int>(l), static_cast<int>(h), first))
                return at + ", head " + std::to_string(h);
        }
    }
    for (std::size_t l = 0; l < trace.cross_layers.size(); ++l)
        for (const HeadTrace& head : trace.cross_layers[l].heads)
            if (!head.q.allFinite() || !head.k.allFinite() || !head.v.allFinite() || !head.out.allFinite())
                return "cross-attention layer " + std::to_string(l);
    if (!trace.logits.allFinite()) return "the next-token logits";
    return {};
}

std::string overflow_message(const ModelInfo& info, const std::string& part) {
    return "model '" + info.name + "': the numbers overflowed at " + part +
           " (infinity or NaN): its weights are too large for 32-bit floats, so there is no trace to show";
}

// The tokens of `text` for a model, or why there are none to trace: empty, unreadable, longer
// than `max_len` (cut to it, with `note` saying so, when the request allows).
Result<std::vector<Token>> tokens_to_trace(const Tokenizer& tokenizer, const std::string& text, const std::string& model_name,
                                           int max_len, bool cut_long_text, std::string& note) {
    if (only_whitespace(text)) return Error{"the text is empty: type a sentence"};
    auto tokens = tokenizer.encode(text);
    if (!tokens.ok()) return tokens.error();
    const int n = static_cast<int>(tokens.value().size());
    if (n == 0) return Error{"the text has no tokens"};
    if (max_len > 0 && n > max_len) {
        if (!cut_long_text)
            return Error{"the text has " + std::to_string(n) + " tokens but model '" + model_name + "' takes at most " +
                         std::to_string(max_len) + " (max_len); shorten the text"};
        note = "the text has " + std::to_string(n) + " tokens; model '" + model_name + "' takes at most " +
               std::to_string(max_len) + " (max_len): the first " + std::to_string(max_len) + " are traced, the rest is not";
        tokens.value().resize(static_cast<std::size_t>(max_len));
    }
    return tokens;
}

// An encoder-decoder's trace: the encoder over `text` (the source), then the decoder over the
// requested target or the model's own greedy translation. Sentences are short, so the matrices
// of all three attentions are kept.
Result<std::shared_ptr<const Trace>> compute_encoder_decoder_trace(const Model& model, const EncoderDecoder& ed,
                                                                   const std::string& text, const TraceOptions& request) {
    const ModelInfo& info = model.info();
    std::string note;
    auto source = tokens_to_trace(model.tokenizer(), text, info.name, info.max_len, request.trace_start_of_long_text, note);
    if (!source.ok()) return Error{"the source: " + source.error().message};
    const int longest = std::max(static_cast<int>(source.value().size()), ed.max_target_len());
    const bool keep = 3.0 * attention_matrix_bytes(info, longest) <= request.keep_attention_bytes;
    if (auto refusal = trace_memory_refusal(info, longest, keep)) return Error{*refusal};

    ForwardOptions options;
    options.cancelled = request.cancelled;
    options.keep_attention = keep;
    auto encoded = ed.encode(source.value(), options);
    if (!encoded.ok()) return encoded.error();
    if (const std::string part = non_finite_part(encoded.value().trace); !part.empty())
        return Error{overflow_message(info, "the encoder's " + part)};

    std::string target_text;
    std::vector<Token> target;
    if (request.target) {
        auto forced = decoder_tokens_for(ed, *request.target);
        if (!forced.ok()) return forced.error();
        target_text = *request.target;
        target = std::move(forced).value();
    } else {
        auto translation = greedy_translation(ed, encoded.value(), request.max_new, request.cancelled);
        if (!translation.ok()) return translation.error();
        target_text = std::move(translation.value().text);
        target = std::move(translation.value().tokens);
    }
    auto decoded = ed.decode(encoded.value(), target, options);
    if (!decoded.ok()) return decoded.error();
    if (const std::string part = non_finite_part(decoded.value()); !part.empty())
        return Error{overflow_message(info, "the decoder's " + part)};

    auto encoder = std::make_shared<Trace>(std::move(encoded.value().trace));
    encoder->id = next_trace_id();
    encoder->model = ed.encoder_info();
    encoder->text = text;
    encoder->tokens = source.value();
    encoder->note = note;
    auto trace = std::make_shared<Trace>(std::move(decoded).value());
    trace->id = request.id != 0 ? request.id : next_trace_id();
    trace->model = info;
    trace->text = std::move(target_text);
    trace->tokens = std::move(target);
    trace->source_text = text;
    trace->source_tokens = std::move(source).value();
    trace->source = std::move(encoder);
    trace->note = std::move(note);
    return std::shared_ptr<const Trace>(std::move(trace));
}

// The forward pass compute_trace asked for: from `previous` when this model made it and it shares
// at least its first token with this text (decoders then compute only the rows after the shared
// ones; others compute everything), else over the whole text.
Result<Trace> forward_from_previous(const Model& model, const std::vector<Token>& tokens, const ForwardOptions& options,
                                    const std::shared_ptr<const Trace>& previous) {
    if (!previous || previous->made_by.get() != &model) return model.forward(tokens, options);
    int shared = 0;
    const int most = std::min(previous->n_tokens(), static_cast<int>(tokens.size()));
    while (shared < most && previous->tokens[static_cast<std::size_t>(shared)].id == tokens[static_cast<std::size_t>(shared)].id)
        ++shared;
    if (shared == 0) return model.forward(tokens, options);
    return model.forward_reusing_prefix(*previous, shared, tokens, options);
}

}  // namespace

double attention_matrix_bytes(const ModelInfo& m, int n) { return 4.0 * m.n_layers * m.n_heads * 2.0 * n * n; }

double trace_memory_bytes(const ModelInfo& m, int n, bool keep_attention) {
    const double per_head = 4.0 * n * m.d_head;  // q, k, v, out
    const double linear = 4.0 * (m.n_layers * (m.n_heads * per_head + 1.0 * n * m.d_model) + 1.0 * n * m.vocab_size);
    return linear + (keep_attention ? attention_matrix_bytes(m, n) : 0.0);
}

std::optional<std::string> trace_memory_refusal(const ModelInfo& info, int n, bool keep_attention) {
    const double bytes = trace_memory_bytes(info, n, keep_attention);
    if (bytes <= kMemoryBudgetBytes) return std::nullopt;
    return "the trace of " + std::to_string(n) + " tokens would need " + format_gib(bytes) + " of memory (over the " +
           format_gib(kMemoryBudgetBytes) + " budget" +
           (keep_attention ? "; it grows with the square of the length" : "") + "); shorten the text";
}

std::string format_gib(double bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1ull << 30));
    return buf;
}

Result<std::shared_ptr<const Trace>> compute_trace(const Model& model, const std::string& text, const TraceOptions& request) {
    const auto started = std::chrono::steady_clock::now();
    const ModelInfo& info = model.info();
    if (const EncoderDecoder* ed = model.encoder_decoder()) {
        auto trace = compute_encoder_decoder_trace(model, *ed, text, request);
        if (trace.ok())
            std::const_pointer_cast<Trace>(trace.value())->compute_ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        return trace;
    }
    std::string note;
    auto tokens = tokens_to_trace(model.tokenizer(), text, info.name, info.max_len, request.trace_start_of_long_text, note);
    if (!tokens.ok()) return tokens.error();
    const int traced = static_cast<int>(tokens.value().size());
    const bool keep = attention_matrix_bytes(info, traced) <= request.keep_attention_bytes;
    if (auto refusal = trace_memory_refusal(info, traced, keep)) return Error{*refusal};

    ForwardOptions options;
    options.cancelled = request.cancelled;
    options.keep_attention = keep;
    if (info.causal) options.logits = ForwardOptions::Logits::LastRow;  // what a decoder predicts
    Result<Trace> forward = forward_from_previous(model, tokens.value(), options, request.previous);
    if (!forward.ok()) return forward.error();

    if (const std::string part = non_finite_part(forward.value()); !part.empty()) return Error{overflow_message(info, part)};

    auto trace = std::make_shared<Trace>(std::move(forward).value());
    trace->id = request.id != 0 ? request.id : next_trace_id();
    trace->model = info;
    trace->text = text;
    trace->tokens = std::move(tokens).value();
    trace->note = std::move(note);
    trace->compute_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return std::shared_ptr<const Trace>(std::move(trace));
}

Result<std::shared_ptr<const Trace>> compute_trace(const Model& model, const std::string& text, std::uint64_t id,
                                                   std::function<bool()> cancelled) {
    TraceOptions options;
    options.id = id;
    options.cancelled = std::move(cancelled);
    return compute_trace(model, text, options);
}

Result<std::shared_ptr<const Trace>> compute_trace(std::shared_ptr<const Model> model, const std::string& text,
                                                   std::uint64_t id, std::function<bool()> cancelled) {
    TraceOptions options;
    options.id = id;
    options.cancelled = std::move(cancelled);
    return compute_trace(std::move(model), text, options);
}

Result<std::shared_ptr<const Trace>> compute_trace(std::shared_ptr<const Model> model, const std::string& text,
                                                   const TraceOptions& options) {
    auto computed = compute_trace(*model, text, options);
    if (!computed.ok()) return computed;
    // Built here and not yet shared, so it may still be completed before anyone sees it.
    auto trace = std::const_pointer_cast<Trace>(std::move(computed).value());
    trace->made_by = std::move(model);
    return std::shared_ptr<const Trace>(std::move(trace));
}

Matrix rows_for_logits(const Matrix& x, const ForwardOptions& options, Trace& trace, int first_row) {
    if (options.logits == ForwardOptions::Logits::LastRow) {
        trace.logits_first_token = first_row + static_cast<int>(x.rows()) - 1;
        return x.bottomRows(1);
    }
    trace.logits_first_token = first_row;
    return x;
}

}  // namespace attnscope
