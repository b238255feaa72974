// One binary, every x86-64 (issue 16): the weight kernels are chosen at run time and
// ATTNSCOPE_KERNELS forces one. The real CLI, run once per path this CPU supports on a BF16 file
// (16-bit panels) and a Q4_K one (rows dequantized in the kernel) from the GGUF reference, must say
// which path it took and give the same attention (within float32 rounding of a different
// summation order).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "kernels/cpu_features.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
const fs::path kReferenceDir = ATTNSCOPE_GGUF_REFERENCE_DIR;
const fs::path kCli = fs::path(ATTNSCOPE_BIN_DIR) / "attnscope-cli";

// stdout of `ATTNSCOPE_KERNELS=path attnscope-cli args` (args are plain words, no quoting needed).
std::string run_cli(const char* path, const std::string& args) {
    const std::string command = std::string("ATTNSCOPE_KERNELS=") + path + " '" + kCli.string() + "' " + args + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return "";
    std::string out;
    char buf[65536];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    EXPECT_EQ(::pclose(pipe), 0) << command << "\n" << out.substr(0, 2000);
    return out;
}

double largest_difference(const nlohmann::json& a, const nlohmann::json& b) {
    double worst = 0;
    for (std::size_t l = 0; l < a["layers"].size(); ++l)
        for (std::size_t h = 0; h < a["layers"][l]["heads"].size(); ++h) {
            const auto &x = a["layers"][l]["heads"][h]["weights"], &y = b["layers"][l]["heads"][h]["weights"];
            for (std::size_t i = 0; i < x.size(); ++i)
                for (std::size_t j = 0; j < x[i].size(); ++j) worst = std::max(worst, std::abs(x[i][j].get<double>() - y[i][j].get<double>()));
        }
    return worst;
}

TEST(KernelPaths, EveryPathThisCpuRunsIsTakenWhenForcedAndAgrees) {
    for (const char* file : {"llama_bf16", "llama_q4_k"}) {
        const fs::path model = kReferenceDir / file / "model.gguf";
        if (!fs::exists(model)) GTEST_SKIP() << "no reference at " << model << " (ctest makes it)";
        nlohmann::json first;
        for (KernelPath path : supported_kernel_paths()) {
            const char* name = kernel_path_name(path);
            // The smallest sgemm peak and no minimum time: only the path bench reports matters here
            // (at the default 2048^3 peak the sanitizer build spent 7 minutes in this test).
            const auto bench = nlohmann::json::parse(run_cli(name, "bench --model '" + model.string() + "' --tokens 8 --runs 1 --seconds 0 --sgemm-size 64 --json"));
            EXPECT_EQ(bench["weight_kernels"], name) << file;
            const auto trace = nlohmann::json::parse(run_cli(name, "trace --model '" + model.string() + "' --text 'the money in the bank' --fields weights"));
            ASSERT_FALSE(trace["layers"].empty());
            if (first.is_null()) {
                first = trace;
                continue;
            }
            EXPECT_LE(largest_difference(first, trace), 1e-5) << file << ": " << name << " against " << kernel_path_name(supported_kernel_paths().front());
        }
    }
}

TEST(KernelPaths, APathThisCpuLacksOrAnUnknownNameFallsBackAndSaysSo) {
    const fs::path model = kReferenceDir / "llama_q8_0" / "model.gguf";
    if (!fs::exists(model)) GTEST_SKIP() << "no reference at " << model;
    const auto bench = nlohmann::json::parse(run_cli("sse9", "bench --model '" + model.string() + "' --tokens 4 --runs 1 --json"));
    EXPECT_THAT(bench["weight_kernels"].get<std::string>(), ::testing::HasSubstr("ATTNSCOPE_KERNELS=sse9: expected avx512, avx2 or generic"));
}

}  // namespace
}  // namespace attnscope
