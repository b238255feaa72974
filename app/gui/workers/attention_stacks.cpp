#include "workers/attention_stacks.h"

#include "attnscope/token_labels.h"

namespace attnscope::gui {

namespace {

constexpr const char* kButtons[] = {"Encoder", "Decoder", "Cross"};
constexpr const char* kTitles[] = {"encoder self-attention", "decoder masked self-attention", "cross-attention"};
static_assert(std::size(kButtons) == static_cast<std::size_t>(AttentionStack::Count), "a button per stack");
static_assert(std::size(kTitles) == static_cast<std::size_t>(AttentionStack::Count), "a title per stack");

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
    // explain_steps already labels the key tables' rows by the source's tokens and marks no query row in them.
    StepPage& keys = pages[static_cast<std::size_t>(ExplainStep::Keys)];
    keys.caption = "Every source token shows a key k, made from the encoder's output: a label saying what it has to offer.";
    StepPage& mask = pages[static_cast<std::size_t>(ExplainStep::Mask)];
    mask.title = "7. The mask: none in cross-attention";
    mask.caption = "The whole source sentence was read before the translation started, so every target token may look "
                   "at every source token.";
    StepPage& output = pages[static_cast<std::size_t>(ExplainStep::Output)];
    output.caption = replace_all(output.caption, "Each token hands over", "Each source token hands over");
    return pages;
}

}  // namespace attnscope::gui
