// Fuzz target: text as an own-format JSON model (attnscope/json_model.h). A model that loads is
// run: a few fixed sentences, one made of its own vocabulary (so the weights of known tokens are
// used), one longer than its max_len, and the start of the input itself. Each trace must pass
// fuzz::check_trace (shapes, no NaN, weights rows summing to 1); each refusal must be a message.
#include <cstdint>
#include <string>

#include "attnscope/forward.h"
#include "attnscope/json_model.h"
#include "fuzz_support.h"

namespace {

using namespace attnscope;

void trace_and_check(const Model& model, const std::string& text) {
    const auto trace = compute_trace(model, text);
    if (!trace.ok()) {
        fuzz::check_error(trace.error(), "compute_trace(\"" + fuzz::printable(text) + "\")", text);
        return;
    }
    const Trace& t = *trace.value();
    if (const EncoderDecoder* ed = model.encoder_decoder()) {  // the text is the source; the trace, its translation
        fuzz::check_tokens(model.tokenizer(), text, t.source_tokens);
        fuzz::check_tokens(ed->target_tokenizer(), t.text, t.tokens);
        fuzz::check_trace(t);
        fuzz::check_trace(*t.source);
        fuzz::check_trace(*cross_attention_trace(t));
        return;
    }
    fuzz::check_tokens(model.tokenizer(), text, t.tokens);
    fuzz::check_trace(t);
}

// The first vocabulary entries joined by spaces: a sentence whose words the model knows.
std::string sentence_from_vocab(const Tokenizer& tokenizer, int n_words) {
    std::string text;
    for (int id = 0; id < tokenizer.vocab_size() && id < n_words; ++id) text += tokenizer.piece(id) + " ";
    return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::setup_once();
    const std::string_view text = fuzz::as_text(data, size);
    const Result<ModelPtr> loaded = load_json_model_text(text, "fuzz.json");
    if (!loaded.ok()) {
        fuzz::check_error(loaded.error(), "load_json_model_text", text);
        return 0;
    }
    const Model& model = *loaded.value();
    const ModelInfo& info = model.info();
    fuzz::check(info.n_layers > 0 && info.n_heads > 0 && info.d_model > 0 && info.d_model % info.n_heads == 0,
                "a model with impossible sizes loaded");

    for (const char* sentence : {"a b c", "i took the money to the bank", "<unk> [MASK] didn\xe2\x80\x99t, 3.", "   "})
        trace_and_check(model, sentence);
    trace_and_check(model, sentence_from_vocab(model.tokenizer(), 8));
    // One word more than max_len allows: refused with a message, never read past the position table.
    if (info.max_len < 200) {
        std::string too_long;
        for (int i = 0; i <= info.max_len; ++i) too_long += "a ";
        trace_and_check(model, too_long);
    }
    trace_and_check(model, std::string(text.substr(0, 64)));
    return 0;
}
