// attnscope-cli probe [--model PATH] --text TEXT --from WORD --to WORD [--json]
// "Which heads make *bank* look at *money*?": the weight from one token (the query) to another
// (the key) in every layer and head, best head first.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnscope/head_stats.h"
#include "attnscope/token_labels.h"
#include "attnscope/text.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct ProbeOptions {
    std::string model = kDefaultModel;
    std::string text;
    std::string from;
    std::string to;
    bool json = false;
};

struct HeadWeight {
    int layer, head;
    float weight;
};

void run_probe(const ProbeOptions& o) {
    const ModelPtr model = load_model_or_fail(o.model);
    const auto trace = trace_or_fail(*model, o.text);
    const int i = find_token(*trace, o.from, /*last=*/true);   // the query: its last occurrence
    const int j = find_token(*trace, o.to, /*last=*/false);    // the key: its first occurrence
    const std::vector<float> weights = key_weights(*trace, i, j);
    std::vector<HeadWeight> rows;
    for (int flat : rank_heads(weights, Better::Higher))
        rows.push_back({flat / trace->model.n_heads, flat % trace->model.n_heads, weights[static_cast<std::size_t>(flat)]});

    if (o.json) {
        nlohmann::json out = {{"from", {{"index", i}, {"text", token_label(*trace, i)}}},
                              {"to", {{"index", j}, {"text", token_label(*trace, j)}}},
                              {"uniform", 1.0 / (trace->model.causal ? i + 1 : trace->n_tokens())},
                              {"heads", nlohmann::json::array()}};
        for (const auto& r : rows) out["heads"].push_back({{"layer", r.layer}, {"head", r.head}, {"weight", r.weight}});
        std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return;
    }
    std::printf("weight from '%s' (token %d, the query) to '%s' (token %d, the key), best head first\n",
                escape_for_terminal(token_label(*trace, i)).c_str(), i, escape_for_terminal(token_label(*trace, j)).c_str(), j);
    if (trace->model.causal && j > i)
        std::printf("note: '%s' comes after '%s' and this model is causal, so every weight is 0 (masked)\n",
                    escape_for_terminal(token_label(*trace, j)).c_str(), escape_for_terminal(token_label(*trace, i)).c_str());
    std::printf("(uniform attention would give %.3f)\n", 1.0 / (trace->model.causal ? i + 1 : trace->n_tokens()));
    std::printf("%5s %4s %7s\n", "layer", "head", "weight");
    for (const auto& r : rows) {
        const int bar = static_cast<int>(r.weight * 40.0f + 0.5f);
        std::printf("%5d %4d %7.3f  %s\n", r.layer, r.head, static_cast<double>(r.weight), std::string(static_cast<std::size_t>(bar), '#').c_str());
    }
}

}  // namespace

void add_probe_command(CLI::App& app) {
    auto opts = std::make_shared<ProbeOptions>();
    CLI::App* sub = app.add_subcommand("probe", "Weight from one token to another in every head, best head first");
    sub->add_option("--model", opts->model, "builtin:NAME, a .json model, a .safetensors file or a model folder");
    add_memory_budget_option(sub);
    sub->add_option("--text", opts->text, "The text")->required();
    sub->add_option("--from", opts->from, "The query word (its last occurrence)")->required();
    sub->add_option("--to", opts->to, "The key word (its first occurrence)")->required();
    sub->add_flag("--json", opts->json, "Print JSON instead of a table");
    on_run(sub, [opts] { run_probe(*opts); });
}

}  // namespace attnscope::cli
