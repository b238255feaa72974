#include "kernels/cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace attnscope {

namespace {

std::string g_note;

KernelPath decide() {
    KernelPath best = cpu_supports(KernelPath::Avx512) ? KernelPath::Avx512
                      : cpu_supports(KernelPath::Avx2) ? KernelPath::Avx2
                                                       : KernelPath::Generic;
    const char* asked = std::getenv("ATTNSCOPE_KERNELS");
    if (!asked || !*asked) return best;
    for (KernelPath p : {KernelPath::Generic, KernelPath::Avx2, KernelPath::Avx512}) {
        if (std::strcmp(asked, kernel_path_name(p)) != 0) continue;
        if (cpu_supports(p)) return p;
        g_note = std::string("ATTNSCOPE_KERNELS=") + asked + ": this CPU lacks it; using " + kernel_path_name(best);
        return best;
    }
    g_note = std::string("ATTNSCOPE_KERNELS=") + asked + ": expected avx512, avx2 or generic; using " + kernel_path_name(best);
    return best;
}

std::atomic<int>& current() {
    static std::atomic<int> path{static_cast<int>(decide())};
    return path;
}

}  // namespace

const char* kernel_path_name(KernelPath path) {
    switch (path) {
        case KernelPath::Avx512: return "avx512";
        case KernelPath::Avx2: return "avx2";
        default: return "generic";
    }
}

bool cpu_supports(KernelPath path) {
    switch (path) {
        // The AVX-512 kernels use the foundation's loads, FMAs and masks and BW/VL's 16-bit widening.
        case KernelPath::Avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
        case KernelPath::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case KernelPath::Generic: return true;
    }
    return false;
}

std::vector<KernelPath> supported_kernel_paths() {
    std::vector<KernelPath> out;
    for (KernelPath p : {KernelPath::Generic, KernelPath::Avx2, KernelPath::Avx512})
        if (cpu_supports(p)) out.push_back(p);
    return out;
}

KernelPath kernel_path() { return static_cast<KernelPath>(current().load(std::memory_order_relaxed)); }

const std::string& kernel_path_note() {
    (void)current();
    return g_note;
}

void set_kernel_path(KernelPath path) {
    if (!cpu_supports(path)) throw std::invalid_argument(std::string("this CPU cannot run the ") + kernel_path_name(path) + " kernels");
    current().store(static_cast<int>(path), std::memory_order_relaxed);
}

}  // namespace attnscope
