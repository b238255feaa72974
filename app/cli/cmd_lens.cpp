// attnscope-cli lens [--model PATH] --text TEXT [--top K] [--json]
// The logit lens: for every layer and position, the most probable next tokens read from the
// residual stream after that layer (with the final norm and the LM head).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnscope/logit_lens.h"
#include "attnscope/text.h"
#include "attnscope/token_labels.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct LensOptions {
    std::string model = kDefaultModel;
    std::string text;
    int top = 3;
    bool json = false;
};

void run_lens(const LensOptions& o) {
    if (o.top < 1 || o.top > 100) throw CliError{kUsage, "--top: expected 1..100, got " + std::to_string(o.top)};
    const ModelPtr model = load_model_or_fail(o.model);
    const auto trace = trace_or_fail(*model, o.text);
    const auto lens = logit_lens(*model, trace->tokens, o.top);
    if (!lens.ok()) throw CliError{kBadInput, lens.error().message};
    const Tokenizer& tok = model->tokenizer();
    const auto piece = [&](int id) { return tok.decode({id}); };
    if (o.json) {
        nlohmann::json out = {{"tokens", nlohmann::json::array()}, {"layers", nlohmann::json::array()}};
        for (int i = 0; i < trace->n_tokens(); ++i) out["tokens"].push_back({{"index", i}, {"id", trace->tokens[static_cast<std::size_t>(i)].id},
                                                                               {"text", token_label(*trace, i)}});
        for (int l = 0; l < lens.value().n_layers; ++l) {
            nlohmann::json positions = nlohmann::json::array();
            for (int i = 0; i < lens.value().n_tokens; ++i) {
                nlohmann::json top = nlohmann::json::array();
                for (const TokenProbability& t : lens.value().top[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)])
                    top.push_back({{"id", t.id}, {"token", piece(t.id)}, {"p", t.probability}});
                positions.push_back({{"index", i}, {"top", top}});
            }
            out["layers"].push_back({{"layer", l}, {"positions", positions}});
        }
        std::cout << out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return;
    }
    std::printf("the likeliest next token after each token, read after each layer (p in brackets)\n");
    for (int i = 0; i < lens.value().n_tokens; ++i) {
        std::printf("%3d %-14s", i, escape_for_terminal(token_label(*trace, i)).c_str());
        for (int l = 0; l < lens.value().n_layers; ++l) {
            const TokenProbability& best = lens.value().top[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)][0];
            std::printf("  L%d %s (%.2f)", l, escape_for_terminal(piece(best.id)).c_str(), static_cast<double>(best.probability));
        }
        std::printf("\n");
    }
}

}  // namespace

void add_lens_command(CLI::App& app) {
    auto opts = std::make_shared<LensOptions>();
    CLI::App* sub = app.add_subcommand("lens", "The logit lens: the next token each layer would predict, at every position");
    sub->add_option("--model", opts->model, "builtin:NAME, a .json model, a .safetensors file, a model folder or a .gguf file");
    add_memory_budget_option(sub);
    sub->add_option("--text", opts->text, "The text")->required();
    sub->add_option("--top", opts->top, "How many tokens per cell (default 3)");
    sub->add_flag("--json", opts->json, "Print JSON: every layer's and position's top tokens with their probabilities");
    on_run(sub, [opts] { run_lens(*opts); });
}

}  // namespace attnscope::cli
