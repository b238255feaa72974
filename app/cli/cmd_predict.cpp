// attnscope-cli predict [--model PATH] --text TEXT [--top K] [--generate N] [--json]
// Decoders: the next token after the text, and greedy continuation. Encoders: what belongs at
// each [MASK] (or <mask>) in the text. Encoder-decoders: the greedy translation of the text, and
// what the decoder considered at each of its steps.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnscope/token_labels.h"
#include "attnscope/top_k.h"
#include "attnscope/text.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct PredictOptions {
    std::string model = kDefaultModel;
    std::string text;
    int top = 5;
    int generate = 0;
    bool json = false;
};

using Candidate = TokenProbability;

// The k most probable tokens after token i, softmax taken over the whole vocabulary.
std::vector<Candidate> top_k(const Trace& trace, int i, int k) { return top_k_softmax(trace.logits_of(i), k); }

// `tokenizer`: the one whose ids the logits are (an encoder-decoder's target tokenizer).
void print_candidates(const Tokenizer& tokenizer, const std::vector<Candidate>& cands, nlohmann::json* json_out) {
    for (std::size_t r = 0; r < cands.size(); ++r) {
        const std::string piece = tokenizer.piece(cands[r].id);
        const std::string text = tokenizer.decode({cands[r].id});
        if (json_out) json_out->push_back({{"id", cands[r].id}, {"piece", piece}, {"text", text}, {"probability", cands[r].probability}});
        else  // the piece shows what decoding hides: "▁g" is the start of a word, "g" is not
            std::printf("  %2zu. %-16s %8.3g%%  (piece %s, id %d)\n", r + 1, ("'" + escape_for_terminal(text) + "'").c_str(),
                        100.0 * static_cast<double>(cands[r].probability), escape_for_terminal(piece).c_str(), cands[r].id);
    }
}

// Greedy decoding: append the most probable token and run the model again, n times.
std::string generate(const Model& model, std::vector<Token> tokens, int n) {
    std::vector<int> generated;
    for (int step = 0; step < n; ++step) {
        ForwardOptions options;
        options.logits = ForwardOptions::Logits::LastRow;
        auto trace = model.forward(tokens, options);
        if (!trace.ok()) {
            if (step == 0) throw CliError{kBadInput, trace.error().message};
            break;  // reached max_len: stop with what we have
        }
        const Matrix& logits = trace.value().logits;
        Index best = 0;
        logits.row(logits.rows() - 1).maxCoeff(&best);
        generated.push_back(static_cast<int>(best));
        Token next;
        next.id = static_cast<int>(best);
        next.piece = model.tokenizer().piece(next.id);
        tokens.push_back(next);
    }
    return model.tokenizer().decode(generated);
}

// The translation, then at each step of the decoder the tokens it weighed (the first is the one it chose).
void print_translation(const EncoderDecoder& ed, const Trace& trace, const PredictOptions& o) {
    nlohmann::json out = {{"text", o.text}, {"translation", trace.text}, {"predictions", nlohmann::json::array()}};
    if (!o.json) std::printf("translation of \"%s\":\n  %s\n", escape_for_terminal(o.text).c_str(), escape_for_terminal(trace.text).c_str());
    for (int i = 0; i < trace.n_tokens(); ++i) {
        if (!trace.has_logits_for(i)) continue;
        if (!o.json) std::printf("after '%s':\n", escape_for_terminal(token_label(trace, i)).c_str());
        nlohmann::json list = nlohmann::json::array();
        print_candidates(ed.target_tokenizer(), top_k(trace, i, o.top), o.json ? &list : nullptr);
        if (o.json) out["predictions"].push_back({{"position", i}, {"candidates", list}});
    }
    if (o.json) std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void run_predict(const PredictOptions& o) {
    if (o.top < 1) throw CliError{kUsage, "--top: expected at least 1"};
    const ModelPtr model = load_model_or_fail(o.model);
    const auto trace = trace_or_fail(*model, o.text);
    if (const EncoderDecoder* ed = model->encoder_decoder()) {
        if (o.generate > 0) throw CliError{kUsage, "--generate: an encoder-decoder translates; its translation is printed without it"};
        return print_translation(*ed, *trace, o);
    }
    if (trace->logits.size() == 0)
        throw CliError{kBadInput, model->info().source + ": the model has no language-model head, so it predicts nothing"};
    nlohmann::json out = {{"text", o.text}, {"predictions", nlohmann::json::array()}};
    nlohmann::json* json_out = o.json ? &out["predictions"] : nullptr;

    if (trace->model.causal) {
        if (!o.json) std::printf("next token after \"%s\":\n", escape_for_terminal(o.text).c_str());
        nlohmann::json list = nlohmann::json::array();
        print_candidates(model->tokenizer(), top_k(*trace, trace->n_tokens() - 1, o.top), o.json ? &list : nullptr);
        if (o.json) json_out->push_back({{"position", trace->n_tokens() - 1}, {"candidates", list}});
    } else {
        const auto masks = mask_token_positions(*trace);
        if (masks.empty()) throw CliError{kBadInput, "--text: an encoder predicts masked words; put [MASK] in the text"};
        for (int i : masks) {
            if (!o.json) std::printf("token %d ([MASK]):\n", i);
            nlohmann::json list = nlohmann::json::array();
            print_candidates(model->tokenizer(), top_k(*trace, i, o.top), o.json ? &list : nullptr);
            if (o.json) json_out->push_back({{"position", i}, {"candidates", list}});
        }
    }
    if (o.generate > 0) {
        if (!trace->model.causal) throw CliError{kUsage, "--generate: only decoders (causal models) continue a text"};
        const std::string continuation = generate(*model, trace->tokens, o.generate);
        if (o.json) out["generated"] = continuation;
        else std::printf("greedy continuation (%d tokens): %s\n", o.generate, escape_for_terminal(continuation).c_str());
    }
    if (o.json) std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace

void add_predict_command(CLI::App& app) {
    auto opts = std::make_shared<PredictOptions>();
    CLI::App* sub = app.add_subcommand("predict", "Next-token (decoders), masked-token (encoders) predictions, or the translation (encoder-decoders)");
    sub->add_option("--model", opts->model, "builtin:NAME, a .json model, a .safetensors file or a model folder");
    sub->add_option("--text", opts->text, "The text")->required();
    sub->add_option("--top", opts->top, "How many candidates (default 5)");
    sub->add_option("--generate", opts->generate, "Continue the text greedily by N tokens");
    sub->add_flag("--json", opts->json, "Print JSON");
    on_run(sub, [opts] { run_predict(*opts); });
}

}  // namespace attnscope::cli
