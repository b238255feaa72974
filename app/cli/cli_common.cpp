#include "cli_common.h"

#include <algorithm>

#include "attnscope/attention_cache.h"
#include "attnscope/token_labels.h"

namespace attnscope::cli {

ModelPtr load_model_or_fail(const std::string& spec) {
    auto model = load_model(spec);
    if (!model.ok()) throw CliError{kBadInput, model.error().message};
    return model.value();
}

namespace {

void check_target(const Model& model, const TraceOptions& request) {
    if (request.target && !model.encoder_decoder())
        throw CliError{kUsage, "--target: model '" + model.info().name + "' is not an encoder-decoder; only a translator's decoder reads a target"};
}

std::shared_ptr<const Trace> trace_or_message(Result<std::shared_ptr<const Trace>> trace) {
    if (!trace.ok()) {
        // The target's own problems name --target; everything else is about the text.
        const std::string& message = trace.error().message;
        throw CliError{kBadInput, (message.rfind("the target", 0) == 0 ? "--target: " : "--text: ") + message};
    }
    return trace.value();
}

}  // namespace

std::shared_ptr<const Trace> trace_or_fail(const Model& model, const std::string& text, const TraceOptions& request) {
    check_target(model, request);
    return trace_or_message(compute_trace(model, text, request));
}

std::shared_ptr<const Trace> trace_or_fail(const ModelPtr& model, const std::string& text, const TraceOptions& request) {
    check_target(*model, request);
    return trace_or_message(compute_trace(model, text, request));
}

std::shared_ptr<const Trace> trace_or_fail(const Model& model, const std::string& text) {
    return trace_or_fail(model, text, TraceOptions{});
}

void add_memory_budget_option(CLI::App* sub) {
    sub->add_option_function<std::string>(
        "--memory-budget",
        [](const std::string& text) {
            auto bytes = parse_memory_budget(text);
            if (!bytes.ok()) throw CLI::ValidationError("--memory-budget", bytes.error().message);
            set_attention_memory_budget(bytes.value());
        },
        "Memory for heads' attention matrices computed after the forward pass (long texts), e.g. 512M, 2G (default 1G)");
}

void check_layer(const Trace& trace, int layer) {
    const int n = static_cast<int>(trace.layers.size());
    if (layer < 0 || layer >= n)
        throw CliError{kUsage, "--layer " + std::to_string(layer) + ": the model has " + std::to_string(n) +
                                   " layers (0.." + std::to_string(n - 1) + ")"};
}

void check_head(const Trace& trace, int head) {
    const int n = trace.model.n_heads;
    if (head < 0 || head >= n)
        throw CliError{kUsage, "--head " + std::to_string(head) + ": the model has " + std::to_string(n) +
                                   " heads per layer (0.." + std::to_string(n - 1) + ")"};
}

int find_token(const Trace& trace, const std::string& word, bool last) {
    if (const auto found = find_word_token(trace, word, last ? Occurrence::Last : Occurrence::First)) return *found;
    std::string list;
    for (int i = 0; i < trace.n_tokens(); ++i) list += (i ? " | " : "") + token_label(trace, i);
    throw CliError{kBadInput, "no token '" + word + "' in the text (tokens: " + list + ")"};
}

void on_run(CLI::App* sub, std::function<void()> run) { sub->final_callback(std::move(run)); }

}  // namespace attnscope::cli
