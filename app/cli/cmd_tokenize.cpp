// attnscope-cli tokenize [--model PATH] --text TEXT [--json]
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnscope/text.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct TokenizeOptions {
    std::string model = kDefaultModel;
    std::string text;
    bool json = false;
};

void run_tokenize(const TokenizeOptions& o) {
    const ModelPtr model = load_model_or_fail(o.model);
    auto tokens = model->tokenizer().encode(o.text);
    if (!tokens.ok()) throw CliError{kBadInput, "--text: " + tokens.error().message};
    if (o.json) {
        nlohmann::json out = nlohmann::json::array();
        for (std::size_t i = 0; i < tokens.value().size(); ++i) {
            const Token& t = tokens.value()[i];
            out.push_back({{"index", i}, {"id", t.id}, {"piece", t.piece}, {"text", o.text.substr(t.start, t.end - t.start)},
                           {"start", t.start}, {"end", t.end}, {"unknown", t.unknown}, {"special", t.special}});
        }
        std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return;
    }
    std::printf("%5s %8s  %-20s %-20s %s\n", "index", "id", "piece", "text", "bytes");
    for (std::size_t i = 0; i < tokens.value().size(); ++i) {
        const Token& t = tokens.value()[i];
        const std::string text = "'" + escape_for_terminal(o.text.substr(t.start, t.end - t.start)) + "'";
        std::printf("%5zu %8d  %-20s %-20s %zu..%zu%s%s\n", i, t.id, escape_for_terminal(t.piece).c_str(), text.c_str(), t.start, t.end,
                    t.unknown ? "  (not in the vocabulary)" : "", t.special ? "  (special)" : "");
    }
    std::printf("%zu tokens\n", tokens.value().size());
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
    auto opts = std::make_shared<TokenizeOptions>();
    CLI::App* sub = app.add_subcommand("tokenize", "Split a text into the model's tokens");
    sub->add_option("--model", opts->model, "builtin:NAME, a .json model, a .safetensors file or a model folder");
    sub->add_option("--text", opts->text, "The text")->required();
    sub->add_flag("--json", opts->json, "Print JSON instead of a table");
    on_run(sub, [opts] { run_tokenize(*opts); });
}

}  // namespace attnscope::cli
