// attnscope-cli ablate [--model PATH] --text TEXT --target TOKEN [--mean] [--json]
// "Which heads matter for this prediction?": each head's output removed before W_O in turn, and
// the probability of TOKEN as the next token after TEXT read again.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnscope/ablation.h"
#include "attnscope/text.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct AblateOptions {
    std::string model = kDefaultModel;
    std::string text;
    std::string target;
    bool mean = false;
    bool json = false;
};

void run_ablate(const AblateOptions& o) {
    const ModelPtr model = load_model_or_fail(o.model);
    const auto trace = trace_or_fail(*model, o.text);   // checks the text as every command does
    const auto target = next_token_for(*model, o.text, o.target);
    if (!target.ok()) throw CliError{kBadInput, target.error().message};
    const auto kind = o.mean ? ForwardOptions::Ablation::Kind::Mean : ForwardOptions::Ablation::Kind::Zero;
    const auto effects = ablate_each_head(*model, trace->tokens, target.value().id, kind);
    if (!effects.ok()) throw CliError{kBadInput, effects.error().message};
    if (o.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const HeadEffect& e : effects.value())
            out.push_back({{"layer", e.layer}, {"head", e.head}, {"p_before", e.p_before}, {"p_after", e.p_after}});
        std::cout << out.dump(1) << "\n";
        return;
    }
    std::vector<HeadEffect> ranked = effects.value();
    std::stable_sort(ranked.begin(), ranked.end(), [](const HeadEffect& a, const HeadEffect& b) {
        return std::abs(a.p_after - a.p_before) > std::abs(b.p_after - b.p_before);
    });
    std::printf("next token '%s' (id %d) after the text: p = %.4f; each head %s, the biggest change first\n",
                escape_for_terminal(target.value().piece).c_str(), target.value().id, ranked.empty() ? 0.0 : ranked[0].p_before,
                o.mean ? "mean-ablated" : "zero-ablated");
    std::printf("%5s %4s %8s %8s %9s\n", "layer", "head", "p_after", "change", "");
    for (const HeadEffect& e : ranked) {
        const double change = e.p_after - e.p_before;
        const int bar = std::min(40, static_cast<int>(std::abs(change) / std::max(1e-12, e.p_before) * 40.0 + 0.5));
        std::printf("%5d %4d %8.4f %+8.4f  %s\n", e.layer, e.head, e.p_after, change,
                    std::string(static_cast<std::size_t>(bar), change < 0 ? '-' : '+').c_str());
    }
}

}  // namespace

void add_ablate_command(CLI::App& app) {
    auto opts = std::make_shared<AblateOptions>();
    CLI::App* sub = app.add_subcommand("ablate", "Which heads matter for one prediction: each head removed, the next token's probability again");
    sub->add_option("--model", opts->model, "builtin:NAME, a .json model, a .safetensors file, a model folder or a .gguf file");
    add_memory_budget_option(sub);
    sub->add_option("--text", opts->text, "The text")->required();
    sub->add_option("--target", opts->target, "The next token whose probability is read (a word)")->required();
    sub->add_flag("--mean", opts->mean, "Replace each head's output by its mean over the tokens instead of zeros");
    sub->add_flag("--json", opts->json, "Print a JSON array, one object per head (layer, head, p_before, p_after)");
    on_run(sub, [opts] { run_ablate(*opts); });
}

}  // namespace attnscope::cli
