// Measurements for `attnscope-cli bench`: the forward pass against this machine's own
// single-precision matrix-multiply rate, measured in the same run with the same kernel the
// model's forward pass uses, so the ratio means something on a noisy shared machine.
#pragma once

#include <optional>
#include <string>

#include "attnscope/model.h"

namespace attnscope {

// The two matrix-product kernels of the forward passes.
enum class MatmulKernel {
    EigenColumnSlices,  // parallel_product: the own format, whose weights the trainer changes
    PackedPanels,       // packed_product: Hugging Face checkpoints, weights packed once on first use
};
MatmulKernel matmul_kernel_of(const ModelInfo& model);
const char* matmul_kernel_description(MatmulKernel kernel);
// The instruction set the weight kernels run with ("avx512", "avx2", "generic": chosen at run
// time, ATTNSCOPE_KERNELS forces one), with the reason when a forced one was not taken.
std::string weight_kernel_description();

struct SgemmPeak {
    MatmulKernel kernel = MatmulKernel::EigenColumnSlices;
    int size = 0;          // n of the n x n x n product
    double gflops = 0.0;   // best of the repetitions
    int threads = 0;       // OpenMP threads the product ran on (fewer than the cores when the machine is busy)
};

// Times C = A B for n x n float matrices with the kernel (for PackedPanels B is packed once,
// before the clock starts, as a model's weights are).
SgemmPeak measure_sgemm_peak(int size, int repeats, MatmulKernel kernel = MatmulKernel::EigenColumnSlices);

// Floating-point operations of the matrix products of one forward pass over n tokens:
// Q, K, V, O projections, q k^T and weights v per head (unmasked pairs only: n(n+1)/2 in a
// decoder), the MLP and the LM head for
// `logit_rows` tokens (compute_trace asks for the last token only in decoders).
double forward_matmul_flops(const ModelInfo& model, int n, int logit_rows);

struct ForwardBench {
    int tokens = 0;
    int runs = 0;
    double median_ms = 0.0;
    double min_ms = 0.0;
    double first_ms = 0.0;  // the untimed warm-up: includes what a model does once (packing its weights)
    int logit_rows = 0;
    double gflops = 0.0;  // forward_matmul_flops / median time
};

// Runs the forward pass on n tokens (ids cycling through the vocabulary) with the options
// compute_trace uses, at least `min_runs` times and for at least `min_seconds`, after one warm-up.
// Without `with_logits` the LM head is skipped: the attention trace alone (for GPT-2 the head
// is a third of the weights a forward pass reads).
// `keep_attention`: keep every head's n x n matrices as the app does (true), or as compute_trace
// decides by their size (nullopt).
Result<ForwardBench> bench_forward(const Model& model, int n, int min_runs, double min_seconds, bool with_logits = true,
                                   std::optional<bool> keep_attention = std::nullopt);

struct AppendBench {
    int tokens = 0;         // N: the text already traced (held to max_len - K)
    int appended = 0;       // K: the tokens typed after it
    int reused_rows = 0;    // rows the reuse path took as they were (N for a decoder, 0 for an encoder)
    int runs = 0;
    double median_ms = 0.0;       // the trace of N + K tokens from the trace of N (forward_reusing_prefix)
    double full_median_ms = 0.0;  // the same trace from nothing (forward)
    double percent_of_full() const { return full_median_ms > 0.0 ? 100.0 * median_ms / full_median_ms : 0.0; }
};

// Prefix reuse while typing: traces n tokens once (untimed), then times tracing them with k more
// appended, from that trace, against tracing all n + k from nothing, alternately (so a change in
// the machine's load touches both alike), at least `min_runs` times each and for at least
// `min_seconds`. Tokens and options as bench_forward's. A model that takes at most max_len tokens
// starts from max_len - k (GPT-2: 8 appended to 1,016 makes its longest text, 1,024).
Result<AppendBench> bench_append(const Model& model, int n, int k, int min_runs, double min_seconds, bool with_logits = true,
                                 std::optional<bool> keep_attention = std::nullopt);

// Prepares the process for computing many traces; call once at start-up (the CLI, the GUI).
// - The C allocator keeps freed blocks of up to 32 MiB for reuse instead of returning them to the
//   kernel: each trace allocates two n x n matrices per head, and without this every new trace
//   pays a page fault per 4 KiB (a third of the forward time at 1,024 tokens).
// - OpenMP picks its team size from the load average (omp_set_dynamic): a forward pass is many
//   short parallel regions, and each waits for its slowest thread, so on a busy machine (the
//   GUI's renderer, other processes) a team as large as the core count made a 7 ms forward take
//   180 ms. With the machine idle, both cores are used.
void tune_runtime_for_traces();

// Peak resident set size of this process so far, in MiB (VmHWM), or -1 where unknown.
double peak_resident_mib();

}  // namespace attnscope
