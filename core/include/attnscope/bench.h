// Measurements for `attnscope-cli bench`: the forward pass against this machine's own
// single-precision matrix-multiply rate, measured in the same run with the same kernel (Eigen),
// so the ratio means something on a noisy shared machine.
#pragma once

#include <string>

#include "attnscope/model.h"

namespace attnscope {

struct SgemmPeak {
    int size = 0;          // n of the n x n x n product
    double gflops = 0.0;   // best of the repetitions
    int threads = 0;
};

// Times C = A B for n x n float matrices with Eigen on all cores (OpenMP).
SgemmPeak measure_sgemm_peak(int size, int repeats);

// Floating-point operations of the matrix products of one forward pass over n tokens:
// Q, K, V, O projections, q k^T and weights v per head, the MLP and (if asked) the LM head.
double forward_matmul_flops(const ModelInfo& model, int n, bool with_logits);

struct ForwardBench {
    int tokens = 0;
    int runs = 0;
    double median_ms = 0.0;
    double min_ms = 0.0;
    double gflops = 0.0;  // forward_matmul_flops / median time
};

// Runs the forward pass on n tokens (ids cycling through the vocabulary) at least `min_runs`
// times and for at least `min_seconds`, after one warm-up run.
Result<ForwardBench> bench_forward(const Model& model, int n, int min_runs, double min_seconds);

// Asks the C allocator to keep freed blocks of up to 32 MiB for reuse instead of returning them
// to the kernel: each trace allocates two n x n matrices per head, and without this every new
// trace pays a page fault per 4 KiB (a third of the forward time at 1,024 tokens). Call once
// at start-up in programs that compute many traces (the CLI, the GUI).
void keep_freed_memory_for_reuse();

// Peak resident set size of this process so far, in MiB (VmHWM), or -1 where unknown.
double peak_resident_mib();

}  // namespace attnscope
