// TraceWorker: turns the newest (model, text) request into a Trace, its head statistics and the
// overview's thumbnail atlas, on its own thread (a BackgroundWorker). The newest request wins: an
// older one still computing is cancelled through compute_trace's `cancelled` callback, and its
// answer is never published. Panels read immutable snapshots, so nothing is locked while drawing.
// The app has two: the sentence's and the compare view's second sentence's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attnscope/head_detectors.h"
#include "attnscope/head_stats.h"
#include "attnscope/model.h"
#include "workers/attention_stacks.h"
#include "workers/background_worker.h"
#include "workers/thumbnails.h"

namespace attnscope::gui {

// Everything the views draw for one sentence; immutable once published.
struct TraceBundle {
    std::shared_ptr<const Trace> trace;
    std::shared_ptr<const HeadStats> stats;
    std::shared_ptr<const ThumbnailAtlas> thumbnails;
    // Every head's detector scores (previous, duplicate, induction, sink, ...) for the Heads view;
    // the sentence's bundle only (null in an encoder-decoder's encoder and cross stacks).
    std::shared_ptr<const std::vector<HeadDetectorScores>> detectors;
    // Value-weighted attention (Kobayashi et al. 2020; the heatmap's and overview's switch): every
    // head's row shares and each layer's sum, with their own thumbnails. Computed only when asked
    // (TraceRequest::value_weighted) for a trace that keeps its n x n matrices; otherwise null, and
    // `value_weighted_refusal` says why when it was asked ("value-weighted view for texts up to
    // 482 tokens ...", or the model gives no W_O).
    std::shared_ptr<const ValueWeightedAttention> value_weighted;
    std::shared_ptr<const ThumbnailAtlas> value_weighted_thumbnails;
    bool value_weighted_asked = false;
    std::string value_weighted_refusal;
    double derive_ms = 0.0;  // time for stats and thumbnails, after the forward pass
    // An encoder's guesses for each [MASK] of the text: "[MASK] (token 6): water 40% · reeds 20% ..."
    struct MaskGuess {
        int token = 0;
        std::vector<std::pair<std::string, float>> top;  // the word as decoded, its probability
    };
    std::vector<MaskGuess> mask_guesses;
    // An encoder-decoder's encoder self-attention (trace->source) and cross-attention
    // (cross_attention_trace), each with its own statistics and thumbnails; this bundle is the
    // decoder's masked self-attention. Null for every other model.
    std::shared_ptr<const TraceBundle> encoder, cross;

    std::uint64_t id() const { return trace->id; }
    bool encoder_decoder() const { return encoder && cross; }
    // What the views show for the chosen kind of attention: this bundle, or its encoder's or
    // cross-attention's (only an encoder-decoder has those).
    const TraceBundle& stack(AttentionStack s) const {
        if (s == AttentionStack::Encoder && encoder) return *encoder;
        if (s == AttentionStack::Cross && cross) return *cross;
        return *this;
    }
};

struct TraceRequest {
    ModelPtr model;
    std::string text;
    // An encoder-decoder's target as the user wrote it: the decoder is forced on it
    // (TraceOptions::target). None: the model's own greedy translation.
    std::optional<std::string> target;
    // The last good trace when `model` made it: a decoder then computes only the rows after the
    // tokens it shares with `text` (TraceOptions::previous). Null otherwise.
    std::shared_ptr<const Trace> previous;
    // Weigh the heads by their values too (TraceBundle::value_weighted): the views show it.
    bool value_weighted = false;
};

struct TraceStatus {
    std::shared_ptr<const TraceBundle> good;  // the newest successful bundle; null before the first
    std::string error;                        // why the newest request failed; "" if it did not
    std::uint64_t error_id = 0;               // the request that failed
    bool busy = false;                        // a request is waiting or being computed
};

class TraceWorker {
public:
    // `on_publish` runs on the worker thread after each published result (e.g. to wake the UI).
    explicit TraceWorker(std::function<void()> on_publish = {});

    // UI thread; returns at once with the request's id, which is also the id its Trace will
    // have (next_trace_id(): unique across every producer). Replaces any request not yet started.
    // `target`: an encoder-decoder's forced target (ignored by other models).
    // `value_weighted`: the views show value-weighted attention; the bundle then carries it.
    std::uint64_t request(ModelPtr model, std::string text, std::optional<std::string> target = std::nullopt,
                          bool value_weighted = false);

    // UI thread, once per frame: the local shared_ptr keeps the bundle alive for the frame.
    TraceStatus latest() const;

    std::uint64_t newest_id() const { return m_worker.newest_id(); }

private:
    using Bundle = std::shared_ptr<const TraceBundle>;

    // Forward pass, statistics, thumbnails; `stale` is polled between heads and layers.
    static Result<Bundle> compute(const TraceRequest& job, std::uint64_t id, const StaleCheck& stale);
    static std::vector<TraceBundle::MaskGuess> guess_masks(const Trace& trace);
    // The encoder's and the cross-attention's bundles of an encoder-decoder trace.
    static Result<bool> add_stacks(TraceBundle& bundle, const StaleCheck& stale);
    // The value-weighted view, or why there is none; false when cancelled.
    static bool add_value_weighted(TraceBundle& bundle, const StaleCheck& stale);

    BackgroundWorker<TraceRequest, Bundle> m_worker;
};

}  // namespace attnscope::gui
