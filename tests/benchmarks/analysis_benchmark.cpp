// Issue 18's targets, on a GPT-2-small-shaped checkpoint (random weights, 768 wide, 12 x 12 heads:
// tests/models/hf_reference/make_reference.py --gpt2-small DIR), named by ATTNSCOPE_GPT2_SMALL:
// - the head detectors on a 512-token trace, beyond the trace itself (BM_HeadDetectors vs
//   BM_Trace512, the same run);
// - ablating each of the 144 heads for one next-token prediction on 64 tokens (BM_AblateEachHead).
//   ATTNSCOPE_GPT2_SMALL=/tmp/gpt2s build/bin/attnscope_benchmarks --benchmark_filter='Trace512|HeadDetectors|Ablate'
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "attnscope/ablation.h"
#include "attnscope/forward.h"
#include "attnscope/head_detectors.h"

namespace attnscope {
namespace {

ModelPtr gpt2_small() {
    static ModelPtr model = [] {
        const char* dir = std::getenv("ATTNSCOPE_GPT2_SMALL");
        if (!dir) return ModelPtr{};
        auto loaded = load_model(dir);
        return loaded.ok() ? loaded.value() : ModelPtr{};
    }();
    return model;
}

// n tokens of repeated words (so the duplicate and induction patterns have cells to read).
std::vector<Token> tokens_of(const Model& model, int n) {
    std::string text;
    const char* words[] = {"the", "bank", "river", "money", "a", "of", "to", "and", "we", "sat"};
    for (int i = 0; i < 4 * n; ++i) text += std::string(words[(i * 7 + i / 3) % 10]) + " ";
    auto tokens = model.tokenizer().encode(text).value();
    tokens.resize(static_cast<std::size_t>(n));
    return tokens;
}

Trace traced(const Model& model, int n) {
    const auto tokens = tokens_of(model, n);
    ForwardOptions o;
    o.logits = ForwardOptions::Logits::LastRow;
    o.keep_attention = false;   // as compute_trace decides at 512 tokens of GPT-2-small (302 MB > 256 MiB)
    Trace t = model.forward(tokens, o).value();
    t.tokens = tokens;
    return t;
}

void BM_Trace512(benchmark::State& state) {
    const ModelPtr model = gpt2_small();
    if (!model) return state.SkipWithError("set ATTNSCOPE_GPT2_SMALL to a GPT-2-small-shaped folder");
    for (auto _ : state) benchmark::DoNotOptimize(traced(*model, 512).layers.size());
}
BENCHMARK(BM_Trace512)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(4);

void BM_HeadDetectors(benchmark::State& state) {
    const ModelPtr model = gpt2_small();
    if (!model) return state.SkipWithError("set ATTNSCOPE_GPT2_SMALL to a GPT-2-small-shaped folder");
    const Trace trace = traced(*model, 512);
    for (auto _ : state) benchmark::DoNotOptimize(detect_heads(trace).value().size());
}
BENCHMARK(BM_HeadDetectors)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_AblateEachHead(benchmark::State& state) {
    const ModelPtr model = gpt2_small();
    if (!model) return state.SkipWithError("set ATTNSCOPE_GPT2_SMALL to a GPT-2-small-shaped folder");
    const auto tokens = tokens_of(*model, 64);
    for (auto _ : state) benchmark::DoNotOptimize(ablate_each_head(*model, tokens, tokens[3].id).value().size());
}
BENCHMARK(BM_AblateEachHead)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace attnscope
