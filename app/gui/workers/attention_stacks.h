// The three kinds of attention of an encoder-decoder (T5, BART, Marian, the built-in translator)
// and what the views need to show any of them as they show self-attention:
//
//   encoder   the encoder's self-attention over the source (Trace::source): source x source
//   decoder   the decoder's masked self-attention over the target (the trace itself)
//   cross     the decoder's cross-attention (cross_attention_trace): rows the target, columns
//             the source, so its keys are another sequence than its queries
//
// A view reads one trace at a time (FrameContext::trace); for cross-attention that trace's keys
// are the source's tokens, which keys_of() finds. The worker makes each stack's trace, statistics
// and thumbnails once per trace (TraceBundle::stack), never while drawing.
#pragma once

#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/explain.h"
#include "attnscope/token_labels.h"
#include "attnscope/trace.h"
#include "shell/selection.h"

namespace attnscope::gui {

enum class AttentionStack { Encoder, Decoder, Cross, Count };

// "encoder", "decoder", "cross": the names of --attention and of a script's `attention` step.
inline constexpr const char* kAttentionStackNames[] = {"encoder", "decoder", "cross"};
static_assert(std::size(kAttentionStackNames) == static_cast<std::size_t>(AttentionStack::Count), "a name per stack");

inline const char* stack_name(AttentionStack s) { return kAttentionStackNames[static_cast<int>(s)]; }
std::optional<AttentionStack> stack_from_name(std::string_view name);

// What a class reads on the switch and in captions: "Encoder", "Decoder", "Cross".
const char* stack_button(AttentionStack s);
// "encoder self-attention", "decoder masked self-attention", "cross-attention"
const char* stack_title(AttentionStack s);

// A trace whose layers are cross-attention (cross_attention_trace): its keys are the source's.
bool shows_cross(const Trace& view);

// The trace whose tokens are the keys (columns) of `view`: the encoder's pass for cross-attention,
// else `view` itself. Its token_label(j) names key j.
const Trace& keys_of(const Trace& view);
inline int key_count(const Trace& view) { return keys_of(view).n_tokens(); }

// Cross-attention's row i is the decoder step whose input is target token i: that step writes
// token i + 1, and the last row writes the end ("</s>"). A class reads a cross row by what it
// writes (the step writing "banque" looks at "bank"), so the views label cross rows that way;
// the decoder's masked self-attention keeps its rows' input tokens, as masked attention is read.
inline constexpr const char* kEndLabel = "</s>";
std::string written_at(const Trace& cross, int i, ControlChars controls = ControlChars::Escaped);  // "banque"
// "la \u2192 banque" for a cross row (its input, then what it writes); else token_label(view, i).
std::string row_label(const Trace& view, int i, ControlChars controls = ControlChars::Escaped);

// Keeps the selection inside `view`: its layers and heads (encoder and decoder may differ), its
// queries, and its keys.
inline void clamp_to_view(Selection& s, const Trace& view) {
    s.clamp_to(static_cast<int>(view.layers.size()), view.model.n_heads, view.n_tokens(), key_count(view));
}

// The text the sentence field held when `trace` was made: an encoder-decoder's source, else its text.
const std::string& input_text(const Trace& trace);

// The ten pages for a stack that is not the decoder's own self-attention: explain_steps with the
// words made true for it (where k and v come from, no mask in cross-attention, why no W is shown).
// The key tables' rows are source tokens for `stack` cross, so the query's row is not marked there.
std::vector<StepPage> stack_steps(const HeadExplanation& e, AttentionStack stack);

}  // namespace attnscope::gui
