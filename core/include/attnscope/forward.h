// Text in, Trace out: tokenize, check, run the model, time it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "attnscope/model.h"

namespace attnscope {

// What one process may allocate for a trace or a benchmark model before it is refused with a
// message: past this the machine would swap or the kernel would kill the process.
inline constexpr double kMemoryBudgetBytes = 6.0 * (1ull << 30);

// A trace keeps its heads' n x n scores and weights when they take at most this much in all (a
// sentence; GPT-2-small at 512 tokens); a longer text keeps q and k, and its matrices are
// computed when read (Trace::head_scores), within the attention cache's budget.
inline constexpr double kKeepAttentionBytes = 256.0 * (1ull << 20);

// The bytes of every head's n x n scores and weights.
double attention_matrix_bytes(const ModelInfo& info, int n);

// The bytes a trace of `n` tokens keeps: per head q, k, v and the output (and, with
// `keep_attention`, its n x n scores and weights); per layer the input; and the logits.
double trace_memory_bytes(const ModelInfo& info, int n, bool keep_attention);

// Why a trace of `n` tokens cannot be made within kMemoryBudgetBytes ("the trace of 8192 tokens
// would need 34.0 GiB of memory ..."), or nothing when it fits. Every producer of traces asks
// this before allocating: compute_trace and the benchmarks.
std::optional<std::string> trace_memory_refusal(const ModelInfo& info, int n, bool keep_attention);

// What compute_trace is asked for beyond the text.
struct TraceOptions {
    std::uint64_t id = 0;                           // 0: a fresh one from next_trace_id()
    std::function<bool()> cancelled;                // polled between heads
    double keep_attention_bytes = kKeepAttentionBytes;  // keep the n x n matrices up to this size
    // A text longer than the model's context (max_len): trace its first max_len tokens and say so
    // in Trace::note (the app), instead of refusing it (the CLI).
    bool trace_start_of_long_text = false;
    // A trace of this model whose tokens this text may extend; decoders then compute only from
    // the first token that differs (Model::forward_reusing_prefix), and the trace is the same as
    // without it. Used only when it was made by this very model object (Trace::made_by), so a
    // trace of another model, or of one since reloaded, is never spliced in.
    std::shared_ptr<const Trace> previous;
    // An encoder-decoder reads `text` as the source; the decoder is forced on `target` when set,
    // else it traces the model's greedy translation of at most `max_new` tokens.
    std::optional<std::string> target;
    int max_new = 64;
};

// "34.0 GiB"
std::string format_gib(double bytes);

// Errors name the problem: empty text, invalid UTF-8 (with the byte offset), more tokens than
// the model's max_len, cancelled. `id`: 0 draws a fresh one from next_trace_id(); a producer that
// told its caller the id before computing (the GUI's trace worker) passes the id it drew.
Result<std::shared_ptr<const Trace>> compute_trace(const Model& model, const std::string& text, const TraceOptions& options);
Result<std::shared_ptr<const Trace>> compute_trace(const Model& model, const std::string& text,
                                                   std::uint64_t id = 0,
                                                   std::function<bool()> cancelled = {});

// The same, and the trace keeps `model` as Trace::made_by (the GUI's producers use this one).
Result<std::shared_ptr<const Trace>> compute_trace(std::shared_ptr<const Model> model, const std::string& text,
                                                   const TraceOptions& options);
Result<std::shared_ptr<const Trace>> compute_trace(std::shared_ptr<const Model> model, const std::string& text,
                                                   std::uint64_t id = 0,
                                                   std::function<bool()> cancelled = {});

// [SECTION] Encoder-decoders (translate.cpp)

// The decoder's input for a target text: the start token (it covers no text), then the target
// tokenizer's tokens without the end token it may append. Errors: text it cannot read, too long.
Result<std::vector<Token>> decoder_tokens_for(const EncoderDecoder& model, const std::string& target);

struct Translation {
    std::string text;           // the generated tokens decoded
    std::vector<Token> tokens;  // the start token, then the generated ones (byte offsets into text)
    bool finished = false;      // the model chose its end token (else max_new or its length ran out)
};

// The likeliest token at each step, until the end token (not included), max_new tokens, or the
// decoder's length. One decoder pass per token over the encoder's output, computed once.
Result<Translation> greedy_translation(const EncoderDecoder& model, const EncoderDecoder::Encoded& source, int max_new,
                                       const std::function<bool()>& cancelled = {});

// What Model::forward means for an encoder-decoder: encode `source`, translate greedily, and trace
// the decoder over the translation (text, tokens, source, source_tokens set).
Result<Trace> forward_translation(const EncoderDecoder& model, const std::vector<Token>& source, const ForwardOptions& options,
                                  int max_new = 64);

}  // namespace attnscope
