// attnscope-cli bench [--model PATH | --d-model D --layers L --heads H [--d-ff F]] [--tokens N,...] [--append K]
// Times the forward pass (with the full trace) and reports it against the machine's own sgemm
// rate, measured in the same run with the same kernel (Eigen on all cores). --append K also times
// typing K tokens after each text of N: the trace from the previous one (prefix reuse) against a
// full trace.
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnscope/bench.h"
#include "attnscope/forward.h"
#include "attnscope/random_model.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct BenchOptions {
    std::string model = kDefaultModel;
    std::vector<int> tokens = {128};
    int d_model = 0;  // > 0: a random own-format model of this shape instead of --model
    int layers = 4;
    int heads = 8;
    int d_ff = -1;    // -1: 4 * d_model
    int runs = 10;
    double seconds = 1.0;
    int sgemm_size = 2048;
    int threads = 0;  // 0: every core
    int append = 0;   // > 0: also time appending this many tokens to each traced text
    bool no_logits = false;
    bool keep_attention = false;
    bool json = false;
};

ModelPtr bench_model(const BenchOptions& o, int longest) {
    if (o.d_model <= 0) return load_model_or_fail(o.model);
    if (o.heads <= 0 || o.layers <= 0 || o.d_model % o.heads != 0)
        throw CliError{kUsage, "--d-model must be a positive multiple of --heads, and --layers positive"};
    TransformerConfig c;
    c.d_model = o.d_model;
    c.n_heads = o.heads;
    c.n_layers = o.layers;
    c.d_ff = o.d_ff < 0 ? 4 * o.d_model : o.d_ff;
    c.max_len = longest;
    c.causal = true;
    c.positional = Positional::Learned;
    const double weight_bytes = 4.0 * (1.0 * c.n_layers * (4.0 * c.d_model * c.d_model + 2.0 * c.d_model * c.d_ff) +
                                       (1000.0 + c.max_len) * c.d_model);
    if (weight_bytes > kMemoryBudgetBytes)
        throw CliError{kBadInput, "--d-model, --layers, --d-ff, --tokens: the random model's weights would need " +
                                      format_gib(weight_bytes) + " of memory (over the " + format_gib(kMemoryBudgetBytes) + " budget)"};
    return make_random_transformer(c, 1000, 1, "random d_model " + std::to_string(c.d_model) + ", " +
                                                   std::to_string(c.n_layers) + " layers x " + std::to_string(c.n_heads) + " heads");
}

// Typing --append tokens after a traced text of n (fewer when n + K is more than the model
// takes): prints "append K to N: X ms = Y% of a full trace" and adds the numbers to the JSON
// entry of n.
void bench_typing(const Model& model, int n, const BenchOptions& o, std::optional<bool> keep, nlohmann::json& entry) {
    auto b = bench_append(model, n, o.append, o.runs, o.seconds, !o.no_logits, keep);
    if (!b.ok()) throw CliError{kBadInput, "--append: " + b.error().message};
    const AppendBench& a = b.value();
    entry["append"] = {{"tokens", a.appended}, {"to_tokens", a.tokens}, {"median_ms", a.median_ms}, {"full_median_ms", a.full_median_ms},
                       {"percent_of_full", a.percent_of_full()}, {"reused_rows", a.reused_rows}, {"runs", a.runs}};
    if (!o.json)
        std::printf("append %d to %d: %.3f ms = %.1f%% of a full trace (%.3f ms for %d tokens; %d rows reused; median of %d)\n",
                    a.appended, a.tokens, a.median_ms, a.percent_of_full(), a.full_median_ms, a.tokens + a.appended,
                    a.reused_rows, a.runs);
}

void run_bench(const BenchOptions& o) {
    // A fixed team, not one sized by the load average (tune_runtime_for_traces): the benchmark's
    // own load would otherwise talk it down to one thread. Peak and forward use the same team.
    omp_set_dynamic(0);
    omp_set_num_threads(o.threads > 0 ? o.threads : omp_get_num_procs());
    int longest = 1;
    for (int n : o.tokens) {
        if (n < 1) throw CliError{kUsage, "--tokens: expected positive counts"};
        longest = std::max(longest, n + o.append);  // the random model must take the appended tokens too
    }
    const auto load_started = std::chrono::steady_clock::now();
    const ModelPtr model = bench_model(o, longest);
    const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - load_started).count();
    const ModelInfo& m = model->info();
    const auto keep = [&](int) {  // the app's way (--keep-attention), or the trace command's
        return o.keep_attention ? std::optional<bool>(true) : std::nullopt;
    };
    for (int n : o.tokens) {  // before the minutes of measuring, not after
        const int longest_trace = n + o.append;
        const bool kept = keep(n).value_or(attention_matrix_bytes(m, longest_trace) <= kKeepAttentionBytes);
        if (auto refusal = trace_memory_refusal(m, longest_trace, kept)) throw CliError{kBadInput, "--tokens: " + *refusal};
    }
    const SgemmPeak peak = measure_sgemm_peak(o.sgemm_size, 5, matmul_kernel_of(m));

    nlohmann::json out = {{"model", m.name}, {"load_ms", load_ms}, {"threads", omp_get_max_threads()},
                          {"weights", m.weight_types.empty() ? m.dtype : m.weight_types}, {"weight_kernels", weight_kernel_description()},
                          {"sgemm", {{"kernel", matmul_kernel_description(peak.kernel)}, {"size", peak.size}, {"gflops", peak.gflops}, {"threads", peak.threads}}}, {"runs", nlohmann::json::array()}};
    if (!o.json) {
        std::printf("model: %s (%s, %d layers x %d heads, d_model %d, d_ff %d, vocab %d), loaded in %.1f ms\n",
                    m.name.c_str(), architecture_name(m.architecture), m.n_layers, m.n_heads, m.d_model, m.d_ff,
                    m.vocab_size, load_ms);
        std::printf("weights: %s; weight kernels: %s\n", (m.weight_types.empty() ? m.dtype : m.weight_types).c_str(),
                    weight_kernel_description().c_str());
        std::printf("sgemm peak: %.1f GFLOP/s (%s, %dx%dx%d, %d of %d threads, best of 5)\n", peak.gflops,
                    matmul_kernel_description(peak.kernel), peak.size, peak.size, peak.size, peak.threads,
                    omp_get_num_procs());
        std::printf("%7s %12s %10s %10s %9s %8s\n", "tokens", "ms/forward", "min ms", "GFLOP", "GFLOP/s", "% peak");
    }
    for (int n : o.tokens) {
        auto b = bench_forward(*model, n, o.runs, o.seconds, !o.no_logits, keep(n));
        if (!b.ok()) throw CliError{kBadInput, b.error().message};
        const ForwardBench& r = b.value();
        const double gflop = forward_matmul_flops(m, n, r.logit_rows) / 1e9;
        const double percent = 100.0 * r.gflops / peak.gflops;
        out["runs"].push_back({{"tokens", n}, {"median_ms", r.median_ms}, {"min_ms", r.min_ms}, {"first_ms", r.first_ms}, {"runs", r.runs},
                               {"gflop", gflop}, {"gflops", r.gflops}, {"percent_of_peak", percent}});
        if (!o.json)
            std::printf("%7d %12.3f %10.3f %10.3f %9.1f %7.1f%%   (median of %d; the first run %.0f ms)\n", n, r.median_ms,
                        r.min_ms, gflop, r.gflops, percent, r.runs, r.first_ms);
        if (o.append > 0) bench_typing(*model, n, o, keep(n + o.append), out["runs"].back());
    }
    out["peak_resident_mib"] = peak_resident_mib();
    if (o.json) std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else std::printf("peak resident memory: %.0f MiB\n", peak_resident_mib());
}

}  // namespace

void add_bench_command(CLI::App& app) {
    auto opts = std::make_shared<BenchOptions>();
    CLI::App* sub = app.add_subcommand("bench", "Time the forward pass against this machine's sgemm peak");
    sub->add_option("--model", opts->model, "builtin:NAME, a .json model, a .safetensors file or a model folder");
    add_memory_budget_option(sub);
    sub->add_option("--tokens", opts->tokens, "Token counts, e.g. 128,1024")->delimiter(',')->check(CLI::Range(1, 1 << 22));
    sub->add_option("--d-model", opts->d_model, "Bench a random model of this width instead of --model")->check(CLI::Range(1, 65536));
    sub->add_option("--layers", opts->layers, "Layers of the random model (default 4)")->check(CLI::Range(1, 1024));
    sub->add_option("--heads", opts->heads, "Heads of the random model (default 8)")->check(CLI::Range(1, 1024));
    sub->add_option("--d-ff", opts->d_ff, "MLP width of the random model (default 4 x d-model)")->check(CLI::Range(1, 1 << 18));
    sub->add_option("--runs", opts->runs, "At least this many timed runs (default 10)")->check(CLI::Range(1, 1000000));
    sub->add_option("--seconds", opts->seconds, "And at least this long (default 1)")->check(CLI::Range(0.0, 3600.0));
    sub->add_option("--sgemm-size", opts->sgemm_size, "n of the n x n x n sgemm that measures the peak (default 2048)")->check(CLI::Range(64, 8192));
    sub->add_option("--threads", opts->threads, "OpenMP threads (default: every core)")->check(CLI::Range(0, 1024));
    sub->add_option("--append", opts->append,
                    "Also time appending this many tokens to each traced text, reusing its trace, against a full trace")
        ->check(CLI::Range(1, 1 << 20));
    sub->add_flag("--no-logits", opts->no_logits, "Skip the LM head: time the attention trace alone");
    sub->add_flag("--keep-attention", opts->keep_attention,
                  "Keep every head's n x n scores and weights, as the app does (default: as trace does, only when small)");
    sub->add_flag("--json", opts->json, "Print JSON");
    on_run(sub, [opts] { run_bench(*opts); });
}

}  // namespace attnscope::cli
