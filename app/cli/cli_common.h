// Shared pieces of attnscope-cli: exit codes, errors that carry them, model and text loading.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "attnscope/forward.h"
#include "attnscope/model.h"

namespace attnscope::cli {

enum ExitCode : int { kOk = 0, kFailure = 1, kUsage = 2, kBadInput = 3 };

// Thrown by commands and caught once in main(), which prints the message and exits with code.
struct CliError {
    int code;
    std::string message;
};

// Loads the model or throws CliError{kBadInput, "<file>: <problem>"}.
ModelPtr load_model_or_fail(const std::string& spec);

// Tokenizes and runs the model or throws CliError{kBadInput, ...}.
std::shared_ptr<const Trace> trace_or_fail(const Model& model, const std::string& text);
// The same with a request: an encoder-decoder's --target (exit 2 for a model that has no decoder
// to force) and --max-new.
std::shared_ptr<const Trace> trace_or_fail(const Model& model, const std::string& text, const TraceOptions& request);
// The same, and the trace keeps the model (Trace::made_by), which value-weighted exports read.
std::shared_ptr<const Trace> trace_or_fail(const ModelPtr& model, const std::string& text, const TraceOptions& request);

// Checks --layer/--head against the model; throws CliError{kUsage, ...} when out of range.
void check_layer(const Trace& trace, int layer);
void check_head(const Trace& trace, int head);

// Finds the token whose text (case-insensitively) is `word`; the last one when `last` is set.
// Throws CliError{kBadInput, ...} listing the tokens when there is none.
int find_token(const Trace& trace, const std::string& word, bool last);

// --memory-budget SIZE ("512M", "2G"): the attention cache's budget (attention_cache.h).
void add_memory_budget_option(CLI::App* sub);

// A subcommand registers its options and the function that runs it.
void add_info_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_trace_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_probe_command(CLI::App& app);
void add_heads_command(CLI::App& app);
void add_ablate_command(CLI::App& app);
void add_lens_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_train_command(CLI::App& app);

// Sets `run` as the callback of `sub`; main() calls the chosen one after parsing.
void on_run(CLI::App* sub, std::function<void()> run);

}  // namespace attnscope::cli
