// attnscope-cli heads [--model PATH] (--text TEXT | --probe induction|previous|duplicate) [--sort METRIC] [--json]
// "What kind of head is each one?": TransformerLens' previous-token, duplicate-token and induction
// scores, the attention-sink strength (first: alpha_0) and self, entropy and distance, for every
// head; on a text, or on the induction probe (random ordinary tokens repeated twice).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnscope/head_detectors.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct HeadsOptions {
    std::string model = kDefaultModel;
    std::string text;
    std::string probe;   // induction, previous or duplicate: the probe, ranked by that score
    std::string sort;    // a detector name; default: the probe's, or layer order for a text
    bool json = false;
};

HeadDetector detector_named(const std::string& name) {
    for (int d = 0; d < static_cast<int>(HeadDetector::Count); ++d)
        if (name == head_detector_name(static_cast<HeadDetector>(d))) return static_cast<HeadDetector>(d);
    throw CliError{kUsage, "--sort: expected previous, duplicate, induction, first, self, entropy or distance, got '" + name + "'"};
}

std::vector<HeadDetectorScores> scores_or_fail(const Model& model, const HeadsOptions& o, int& half) {
    if (!o.probe.empty()) {
        auto probe = make_induction_probe(model);
        if (!probe.ok()) throw CliError{kBadInput, probe.error().message};
        half = probe.value().half;
        auto scores = probe_heads(model, probe.value());
        if (!scores.ok()) throw CliError{kBadInput, scores.error().message};
        return scores.value();
    }
    const auto trace = trace_or_fail(model, o.text);
    auto scores = detect_heads(*trace);
    if (!scores.ok()) throw CliError{kFailure, scores.error().message};
    return scores.value();
}

nlohmann::json head_json(const HeadDetectorScores& s) {
    return {{"layer", s.layer}, {"head", s.head}, {"previous", s.previous}, {"duplicate", s.duplicate},
            {"induction", s.induction}, {"first", s.first}, {"sink", s.sink()}, {"self", s.self},
            {"entropy", s.entropy}, {"distance", s.distance}};
}

void run_heads(const HeadsOptions& o) {
    if (o.text.empty() == o.probe.empty()) throw CliError{kUsage, "heads: give --text TEXT or --probe induction|previous|duplicate"};
    const ModelPtr model = load_model_or_fail(o.model);
    int half = 0;
    std::vector<HeadDetectorScores> scores = scores_or_fail(*model, o, half);
    const std::string sort = !o.sort.empty() ? o.sort : o.probe;
    if (!sort.empty()) {
        const HeadDetector by = detector_named(sort);
        const bool lower_first = by == HeadDetector::Entropy;   // a focused head has low entropy
        std::stable_sort(scores.begin(), scores.end(), [&](const auto& a, const auto& b) {
            const double x = head_detector_value(a, by), y = head_detector_value(b, by);
            return lower_first ? x < y : x > y;
        });
    }
    if (o.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const HeadDetectorScores& s : scores) out.push_back(head_json(s));
        std::cout << out.dump(1) << "\n";
        return;
    }
    if (!o.probe.empty())
        std::printf("induction probe: 10 sequences of %d random tokens, each repeated; induction = mean weight from a "
                    "repeated token to the token after its first occurrence\n", half);
    std::printf("%5s %4s %8s %9s %9s %7s %6s %7s %8s  %s\n", "layer", "head", "previous", "duplicate", "induction", "first",
                "self", "entropy", "distance", "");
    for (const HeadDetectorScores& s : scores)
        std::printf("%5d %4d %8.3f %9.3f %9.3f %7.3f %6.3f %7.2f %8.2f  %s\n", s.layer, s.head, s.previous, s.duplicate,
                    s.induction, s.first, s.self, s.entropy, s.distance, s.sink() ? "sink" : "");
}

}  // namespace

void add_heads_command(CLI::App& app) {
    auto opts = std::make_shared<HeadsOptions>();
    CLI::App* sub = app.add_subcommand("heads", "What kind of head each one is: previous-token, duplicate, induction, sink, ...");
    sub->add_option("--model", opts->model, "builtin:NAME, a .json model, a .safetensors file, a model folder or a .gguf file");
    add_memory_budget_option(sub);
    sub->add_option("--text", opts->text, "The text to score the heads on");
    sub->add_option("--probe", opts->probe, "Score them on the induction probe (random tokens repeated), ranked by this score")
        ->check(CLI::IsMember({"induction", "previous", "duplicate"}));
    sub->add_option("--sort", opts->sort, "Rank by previous, duplicate, induction, first, self, entropy or distance");
    sub->add_flag("--json", opts->json, "Print a JSON array, one object per head");
    on_run(sub, [opts] { run_heads(*opts); });
}

}  // namespace attnscope::cli
