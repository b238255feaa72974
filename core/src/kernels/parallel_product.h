// parallel_product: a matrix product split across the cores by output columns.
//
// Why not Eigen's own multi-threaded GEMM: its threads hand packed blocks to each other and
// spin-wait for them, so when one core is busy elsewhere (the GUI's render thread, a second test
// process) the product stalls: GPT-2-small at 64 tokens took 1,700 ms instead of 140. Here each
// thread computes whole column slices with a single-threaded product and never waits for another
// until the end; slices are handed out dynamically, so a busy core simply takes fewer.
#pragma once

#include <omp.h>

#include <algorithm>

#include "attnscope/matrix.h"

namespace attnscope {

// a: n x k, b: k x m (any Eigen expression: a matrix, a Map, a transposed Map) -> n x m.
template <class Rhs>
Matrix parallel_product(const Matrix& a, const Rhs& b) {
    Matrix out(a.rows(), b.cols());
    const Index cols = b.cols();
    const double flops = 2.0 * static_cast<double>(a.rows()) * static_cast<double>(a.cols()) * static_cast<double>(cols);
    const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (threads == 1 || flops < 4e6 || cols < 128) {  // too small to be worth a parallel region
        out.noalias() = a * b;
        return out;
    }
    // About four slices per thread, each a multiple of 64 columns.
    const Index slice = std::max<Index>(64, ((cols + 4 * threads - 1) / (4 * threads) + 63) / 64 * 64);
    const int n_slices = static_cast<int>((cols + slice - 1) / slice);
#pragma omp parallel for schedule(dynamic, 1)
    for (int s = 0; s < n_slices; ++s) {
        const Index c0 = static_cast<Index>(s) * slice, width = std::min(slice, cols - c0);
        out.middleCols(c0, width).noalias() = a * b.middleCols(c0, width);
    }
    return out;
}

}  // namespace attnscope
