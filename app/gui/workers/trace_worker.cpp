#include "workers/trace_worker.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "attnscope/forward.h"
#include "attnscope/token_labels.h"
#include "attnscope/top_k.h"

namespace attnscope::gui {

// Join at shutdown: the forward pass polls `stale` between heads, so the destructor waits at
// most one head.
TraceWorker::TraceWorker(std::function<void()> on_publish)
    : m_worker(&TraceWorker::compute, std::move(on_publish), OnShutdown::Join, next_trace_id) {}

// While the user types, each keystroke's text mostly extends the last one traced: hand that trace
// on, so a decoder reuses its rows. Only the same model object's: another model's rows, or a
// reloaded file's, are never spliced in (compute_trace checks this again).
std::uint64_t TraceWorker::request(ModelPtr model, std::string text, std::optional<std::string> target, bool value_weighted) {
    std::shared_ptr<const Trace> previous;
    if (const auto good = latest().good; good && good->trace->made_by == model) previous = good->trace;
    if (model && !model->encoder_decoder()) target.reset();
    return m_worker.request(TraceRequest{std::move(model), std::move(text), std::move(target), std::move(previous), value_weighted});
}

// The newest answer decides the error; a failed request keeps the last good bundle on screen.
TraceStatus TraceWorker::latest() const {
    const auto s = m_worker.latest();
    TraceStatus out;
    out.busy = s.busy();
    if (s.newest_ok) out.good = s.newest_ok->result.value();
    if (s.newest && !s.newest->result.ok()) {
        out.error = s.newest->result.error().message;
        out.error_id = s.newest->id;
    }
    return out;
}

// The five likeliest fillers of each [MASK], with the trace's own tokenizer (softmax over the
// whole vocabulary: milliseconds for BERT's 30,522, so here and not while drawing).
std::vector<TraceBundle::MaskGuess> TraceWorker::guess_masks(const Trace& trace) {
    std::vector<TraceBundle::MaskGuess> guesses;
    if (!trace.made_by) return guesses;
    for (int i : mask_token_positions(trace)) {
        if (!trace.has_logits_for(i)) continue;
        TraceBundle::MaskGuess g;
        g.token = i;
        for (const TokenProbability& t : top_k_softmax(trace.logits_of(i), 5))
            g.top.emplace_back(trace.made_by->tokenizer().decode({t.id}), t.probability);
        guesses.push_back(std::move(g));
    }
    return guesses;
}

// Each kind of attention of an encoder-decoder as a bundle the views read like any other: made
// here once per trace, so switching between them costs nothing while drawing.
Result<bool> TraceWorker::add_stacks(TraceBundle& bundle, const StaleCheck& stale) {
    if (!is_encoder_decoder(*bundle.trace)) return true;
    auto encoder = std::make_shared<TraceBundle>();
    encoder->trace = bundle.trace->source;
    auto encoder_stats = compute_head_stats(*encoder->trace, stale);
    if (!encoder_stats.ok()) return encoder_stats.error();
    encoder->stats = encoder_stats.value();
    encoder->thumbnails = std::make_shared<const ThumbnailAtlas>(build_thumbnail_atlas(*encoder->trace, *encoder->stats));
    auto cross = std::make_shared<TraceBundle>();
    cross->trace = cross_attention_trace(*bundle.trace);
    auto cross_stats = compute_head_stats(*cross->trace, stale);  // n x n_keys: rows the target, columns the source
    if (!cross_stats.ok()) return cross_stats.error();
    cross->stats = cross_stats.value();
    cross->thumbnails = std::make_shared<const ThumbnailAtlas>(build_thumbnail_atlas(*cross->trace, *cross->stats));
    bundle.encoder = std::move(encoder);
    bundle.cross = std::move(cross);
    return true;
}

namespace {

// The longest text whose n x n matrices this model's traces keep (compute_trace's rule): the
// value-weighted view reads every head's whole matrix.
int kept_attention_tokens(const ModelInfo& info) {
    int lo = 1, hi = std::max(1, info.max_len);
    if (attention_matrix_bytes(info, hi) <= kKeepAttentionBytes) return hi;
    while (hi - lo > 1) {  // attention_matrix_bytes(lo) fits, (hi) does not
        const int mid = lo + (hi - lo) / 2;
        (attention_matrix_bytes(info, mid) <= kKeepAttentionBytes ? lo : hi) = mid;
    }
    return lo;
}

}  // namespace

// Only for a trace that keeps its matrices: a long one would need each head computed whole, for
// a view that shows one picture (the attention fetcher's pooled weights stay for those).
bool TraceWorker::add_value_weighted(TraceBundle& bundle, const StaleCheck& stale) {
    bundle.value_weighted_asked = true;
    const Trace& trace = *bundle.trace;
    if (auto why = value_weighted_refusal(trace)) {
        bundle.value_weighted_refusal = "no value-weighted view: " + *why;
        return true;
    }
    if (!trace.keeps_attention()) {
        bundle.value_weighted_refusal = "value-weighted view for texts up to " + std::to_string(kept_attention_tokens(trace.model)) +
                                        " tokens (this one has " + std::to_string(trace.n_tokens()) + ")";
        return true;
    }
    auto vw = value_weighted_attention(trace, heads_w_o(trace), stale);
    if (!vw) return false;
    bundle.value_weighted = std::make_shared<const ValueWeightedAttention>(std::move(*vw));
    bundle.value_weighted_thumbnails = std::make_shared<const ThumbnailAtlas>(build_value_weighted_atlas(trace, *bundle.value_weighted));
    return true;
}

Result<TraceWorker::Bundle> TraceWorker::compute(const TraceRequest& job, std::uint64_t id, const StaleCheck& stale) {
    if (!job.model) return Error{"no model is loaded"};
    // Short texts keep every head's n x n matrices (kKeepAttentionBytes, 256 MiB), and the views
    // read them while drawing; a longer text keeps q, k, v and the summaries, and the views get the
    // parts on screen from the attention fetcher (attention_fetch.h).
    TraceOptions options;
    options.id = id;
    options.cancelled = stale;
    options.trace_start_of_long_text = true;  // a long paste shows its start, and says where it stops
    options.previous = job.previous;
    options.target = job.target;
    auto trace = compute_trace(job.model, job.text, options);
    if (!trace.ok()) return trace.error();
    const auto started = std::chrono::steady_clock::now();
    auto stats = compute_head_stats(*trace.value(), stale);
    if (!stats.ok()) return stats.error();
    if (stale()) return Error{"cancelled"};

    auto bundle = std::make_shared<TraceBundle>();
    bundle->trace = trace.value();
    bundle->stats = stats.value();
    bundle->thumbnails = std::make_shared<const ThumbnailAtlas>(build_thumbnail_atlas(*bundle->trace, *bundle->stats));
    bundle->mask_guesses = guess_masks(*bundle->trace);
    auto detectors = detect_heads(*bundle->trace, stale);
    if (!detectors.ok()) return detectors.error();
    bundle->detectors = std::make_shared<const std::vector<HeadDetectorScores>>(std::move(detectors).value());
    if (auto stacks = add_stacks(*bundle, stale); !stacks.ok()) return stacks.error();
    if (job.value_weighted && !add_value_weighted(*bundle, stale)) return Error{"cancelled"};
    bundle->derive_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return Bundle(std::move(bundle));
}

}  // namespace attnscope::gui
