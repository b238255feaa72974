#include "attnscope/bench.h"
#include "kernels/cpu_features.h"
#include "attnscope/forward.h"

#include "kernels/packed_matrix.h"
#include "kernels/parallel_product.h"

#include <malloc.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <vector>

namespace attnscope {

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// n token ids cycling through the vocabulary (never 0, often a special token).
std::vector<Token> bench_tokens(const ModelInfo& info, int n) {
    std::vector<Token> tokens(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) tokens[static_cast<std::size_t>(i)].id = 1 + i % std::max(1, info.vocab_size - 1);
    return tokens;
}

// The options compute_trace would use for n tokens; without logits when not `with_logits`.
ForwardOptions bench_options(const ModelInfo& info, bool with_logits, bool keep) {
    ForwardOptions options;
    if (info.causal) options.logits = ForwardOptions::Logits::LastRow;  // as compute_trace does
    if (!with_logits) options.logits = ForwardOptions::Logits::None;
    options.keep_attention = keep;
    return options;
}

double median_of(std::vector<double> times) {
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

}  // namespace

MatmulKernel matmul_kernel_of(const ModelInfo& model) {
    return model.architecture == Architecture::Attnscope ? MatmulKernel::EigenColumnSlices : MatmulKernel::PackedPanels;
}

std::string weight_kernel_description() {
    const std::string& note = kernel_path_note();
    return std::string(kernel_path_name(kernel_path())) + (note.empty() ? "" : " (" + note + ")");
}

const char* matmul_kernel_description(MatmulKernel kernel) {
    return kernel == MatmulKernel::PackedPanels ? "packed weight panels, as Hugging Face models run"
                                                : "Eigen GEMM in column slices, as own-format models run";
}

SgemmPeak measure_sgemm_peak(int size, int repeats, MatmulKernel kernel) {
    const Matrix a = Matrix::Random(size, size);
    const Matrix b = Matrix::Random(size, size);
    const PackedMatrix packed_b =
        kernel == MatmulKernel::PackedPanels ? PackedMatrix::from_in_out(b.data(), size, size) : PackedMatrix();
    const auto multiply = [&] { return kernel == MatmulKernel::PackedPanels ? packed_product(a, packed_b) : parallel_product(a, b); };
    Matrix c = multiply();  // warm-up: page in, spin up the OpenMP pool
    double best_ms = 1e300;
    for (int r = 0; r < repeats; ++r) {
        const auto t = Clock::now();
        c = multiply();
        best_ms = std::min(best_ms, ms_since(t));
    }
    const double flops = 2.0 * size * size * static_cast<double>(size);
    int threads = 1;
#pragma omp parallel
#pragma omp single
    threads = omp_get_num_threads();
    return {kernel, size, flops / (best_ms * 1e6), threads};
}

double forward_matmul_flops(const ModelInfo& m, int n, int logit_rows) {
    const double d = m.d_model, kv = static_cast<double>(m.n_kv_heads) * m.d_head, N = n;
    double per_layer = 2.0 * N * d * (d + 2 * kv + d);       // Q; K and V (grouped heads are narrower); O
    // q k^T and weights v, over the (query, key) pairs that are not masked: a decoder's query i
    // sees keys 0..i, and its forward pass skips the masked triangle.
    const double pairs = m.causal ? N * (N + 1) / 2 : N * N;
    per_layer += m.n_heads * 2.0 * (2.0 * pairs * m.d_head);
    const double ff_mats = m.architecture == Architecture::Llama ? 3.0 : 2.0;  // SwiGLU has a gate
    per_layer += ff_mats * 2.0 * N * d * m.d_ff;
    double total = m.n_layers * per_layer;
    total += 2.0 * logit_rows * d * m.vocab_size;
    return total;
}

Result<ForwardBench> bench_forward(const Model& model, int n, int min_runs, double min_seconds, bool with_logits,
                                   std::optional<bool> keep_attention) {
    const ModelInfo& info = model.info();
    const bool keep = keep_attention.value_or(attention_matrix_bytes(info, n) <= kKeepAttentionBytes);  // as compute_trace
    if (auto refusal = trace_memory_refusal(info, n, keep)) return Error{*refusal};  // as compute_trace refuses it
    const std::vector<Token> tokens = bench_tokens(info, n);
    const ForwardOptions options = bench_options(info, with_logits, keep);
    const auto first_started = Clock::now();
    if (auto warm = model.forward(tokens, options); !warm.ok()) return warm.error();
    const double first_ms = ms_since(first_started);
    std::vector<double> times;
    const auto started = Clock::now();
    while (static_cast<int>(times.size()) < min_runs || ms_since(started) < min_seconds * 1000.0) {
        const auto t = Clock::now();
        auto trace = model.forward(tokens, options);
        times.push_back(ms_since(t));
        if (!trace.ok()) return trace.error();
    }
    ForwardBench b;
    b.tokens = n;
    b.runs = static_cast<int>(times.size());
    b.median_ms = median_of(times);
    b.min_ms = *std::min_element(times.begin(), times.end());
    b.first_ms = first_ms;
    b.logit_rows = !with_logits ? 0 : info.causal ? 1 : n;
    b.gflops = forward_matmul_flops(info, n, b.logit_rows) / (b.median_ms * 1e6);
    return b;
}

Result<AppendBench> bench_append(const Model& model, int n, int k, int min_runs, double min_seconds, bool with_logits,
                                 std::optional<bool> keep_attention) {
    const ModelInfo& info = model.info();
    if (info.max_len > 0) n = std::min(n, info.max_len - k);  // the longest text it takes ends with the k typed
    if (n < 1 || k < 1)
        return Error{"appending " + std::to_string(k) + " tokens: the model takes at most " + std::to_string(info.max_len) +
                     " tokens, so no text is left to append them to"};
    const int total = n + k;
    const bool keep = keep_attention.value_or(attention_matrix_bytes(info, total) <= kKeepAttentionBytes);
    if (auto refusal = trace_memory_refusal(info, total, keep)) return Error{*refusal};
    const std::vector<Token> tokens = bench_tokens(info, total);
    const std::vector<Token> typed(tokens.begin(), tokens.begin() + n);
    // The trace shown before the k tokens were typed: the same options, so its rows can be reused.
    const ForwardOptions options = bench_options(info, with_logits, keep);
    auto prefix = model.forward(typed, options);
    if (!prefix.ok()) return prefix.error();

    AppendBench b;
    b.tokens = n;
    b.appended = k;
    std::vector<double> reuse_times, full_times;
    const auto started = Clock::now();
    while (static_cast<int>(reuse_times.size()) < min_runs || ms_since(started) < min_seconds * 1000.0) {
        auto t = Clock::now();
        auto reused = model.forward_reusing_prefix(prefix.value(), n, tokens, options);
        reuse_times.push_back(ms_since(t));
        if (!reused.ok()) return reused.error();
        b.reused_rows = reused.value().reused_rows;
        t = Clock::now();
        auto full = model.forward(tokens, options);
        full_times.push_back(ms_since(t));
        if (!full.ok()) return full.error();
    }
    b.runs = static_cast<int>(reuse_times.size());
    b.median_ms = median_of(reuse_times);
    b.full_median_ms = median_of(full_times);
    return b;
}

void tune_runtime_for_traces() {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest glibc accepts; bigger blocks are still mmapped
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    omp_set_dynamic(1);
}

double peak_resident_mib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // the value is in kB
    return -1.0;
}

}  // namespace attnscope
