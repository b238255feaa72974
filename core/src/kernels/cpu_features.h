// Which vector instructions the kernels use, chosen at run time so one binary runs on every
// x86-64 (the library itself is built for a baseline, x86-64-v3: AVX2 and FMA).
//
// The best path the CPU supports is taken, unless ATTNSCOPE_KERNELS names another one
// ("avx512", "avx2" or "generic"): a path the CPU lacks is not taken (the next best is, and
// kernel_path_note() says why), so the variable can force the slower paths for comparison.
#pragma once

#include <string>
#include <vector>

namespace attnscope {

enum class KernelPath { Generic, Avx2, Avx512 };

const char* kernel_path_name(KernelPath path);   // "generic", "avx2", "avx512"
bool cpu_supports(KernelPath path);
std::vector<KernelPath> supported_kernel_paths();   // every path this CPU runs, slowest first

// The path in use (decided once, from the CPU and ATTNSCOPE_KERNELS).
KernelPath kernel_path();
// "" or why the path asked for was not taken.
const std::string& kernel_path_note();

// For tests and benchmarks: use `path` from now on (it must be supported).
void set_kernel_path(KernelPath path);

}  // namespace attnscope
