// The matrix-product kernels and the attention of one head, timed by Google Benchmark, with the
// machine's own sgemm peak measured in the same run (BM_SgemmPeak), so every rate below can be
// read as a share of what this machine can do.
//
// The projections use GPT-2-small's shapes (d_model 768, d_ff 3072) with twelve distinct copies of
// every weight, as twelve layers have: 340 MB that do not fit in any cache, so the products stream
// their weights from memory as a real forward pass does.
//
//   build/bin/attnscope_benchmarks --benchmark_filter='SgemmPeak|Projections'
#include <benchmark/benchmark.h>
#include <omp.h>

#include <vector>

#include "kernels/attention.h"
#include "attnscope/bench.h"
#include "kernels/packed_matrix.h"
#include "kernels/parallel_product.h"
#include "attnscope/model.h"
#include "attnscope/random_model.h"

namespace attnscope {
namespace {

constexpr int kLayers = 12;
constexpr Index kModel = 768, kHidden = 3072;

void set_flops(benchmark::State& state, double flops_per_iteration) {
    state.counters["FLOP/s"] = benchmark::Counter(flops_per_iteration, benchmark::Counter::kIsIterationInvariantRate,
                                                  benchmark::Counter::kIs1000);
}

// [SECTION] Peak

void BM_SgemmPeak(benchmark::State& state) {
    const Index n = state.range(0);
    const Matrix a = Matrix::Random(n, n), b = Matrix::Random(n, n);
    const PackedMatrix packed = PackedMatrix::from_in_out(b.data(), n, n);
    for (auto _ : state) benchmark::DoNotOptimize(packed_product(a, packed).data());
    set_flops(state, 2.0 * n * n * n);
}
BENCHMARK(BM_SgemmPeak)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

// [SECTION] GPT-2-small's projections, weights streamed from memory

struct LayerShapes {
    Index depth, cols;
};
constexpr LayerShapes kShapes[] = {{kModel, 3 * kModel}, {kModel, kModel}, {kModel, kHidden}, {kHidden, kModel}};

// Twelve layers of the four weight matrices, row-major in x out, and packed.
struct Gpt2Weights {
    std::vector<Matrix> plain;
    std::vector<PackedMatrix> packed;
    static const Gpt2Weights& get() {
        static const Gpt2Weights w = [] {
            Gpt2Weights out;
            for (int l = 0; l < kLayers; ++l)
                for (const LayerShapes& s : kShapes) {
                    out.plain.push_back(Matrix::Random(s.depth, s.cols));
                    out.packed.push_back(PackedMatrix::from_in_out(out.plain.back().data(), s.depth, s.cols));
                }
            return out;
        }();
        return w;
    }
};

double projection_flops(Index tokens) {
    double per_layer = 0;
    for (const LayerShapes& s : kShapes) per_layer += 2.0 * tokens * s.depth * s.cols;
    return kLayers * per_layer;
}

void BM_Gpt2Projections_Packed(benchmark::State& state) {
    const Gpt2Weights& w = Gpt2Weights::get();
    const Matrix x = Matrix::Random(state.range(0), kModel), h = Matrix::Random(state.range(0), kHidden);
    for (auto _ : state)
        for (std::size_t i = 0; i < w.packed.size(); ++i)
            benchmark::DoNotOptimize(packed_product(i % 4 == 3 ? h : x, w.packed[i]).data());
    set_flops(state, projection_flops(state.range(0)));
}
BENCHMARK(BM_Gpt2Projections_Packed)->Arg(1)->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Gpt2Projections_EigenSlices(benchmark::State& state) {
    const Gpt2Weights& w = Gpt2Weights::get();
    const Matrix x = Matrix::Random(state.range(0), kModel), h = Matrix::Random(state.range(0), kHidden);
    for (auto _ : state)
        for (std::size_t i = 0; i < w.plain.size(); ++i)
            benchmark::DoNotOptimize(parallel_product(i % 4 == 3 ? h : x, w.plain[i]).data());
    set_flops(state, projection_flops(state.range(0)));
}
BENCHMARK(BM_Gpt2Projections_EigenSlices)->Arg(1)->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

// [SECTION] Attention of one head (the trace keeps its scores and weights: 2 n^2 floats)

void BM_AttentionHead(benchmark::State& state) {
    const Index n = state.range(0), d_head = 64;
    const bool causal = state.range(1) != 0;
    const Matrix q = Matrix::Random(n, d_head), k = Matrix::Random(n, d_head), v = Matrix::Random(n, d_head);
    for (auto _ : state) benchmark::DoNotOptimize(attention_head_forward(q, k, v, 0.125f, causal).weights.data());
    const double pairs = causal ? n * (n + 1) / 2.0 : static_cast<double>(n) * n;
    set_flops(state, 2.0 * 2.0 * pairs * d_head);  // q k^T and weights v over the unmasked pairs
}
BENCHMARK(BM_AttentionHead)->ArgsProduct({{128, 512, 1024}, {0, 1}})->ArgNames({"n", "causal"})->Unit(benchmark::kMicrosecond);

// [SECTION] A whole own-format forward pass with its trace

void BM_OwnFormatForward(benchmark::State& state) {
    TransformerConfig config;
    config.d_model = 256;
    config.n_heads = 8;
    config.n_layers = 4;
    config.d_ff = 1024;
    config.max_len = 1024;
    static const auto model = make_random_transformer(config, 1000, 1);
    std::vector<Token> tokens(static_cast<std::size_t>(state.range(0)));
    for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i].id = 1 + static_cast<int>(i % 999);
    ForwardOptions options;
    options.logits = ForwardOptions::Logits::LastRow;
    for (auto _ : state) benchmark::DoNotOptimize(model->forward(tokens, options));
}
BENCHMARK(BM_OwnFormatForward)->Arg(128)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

// [SECTION] The built-in bank models on a classroom sentence

// A student's sentence through a built-in model, on one thread: the target is well under a
// millisecond (the median; it was a timed test before, and tests do not time things).
void BM_BankModelSentence(benchmark::State& state) {
    const char* spec = state.range(0) == 0 ? "builtin:bank-decoder" : "builtin:bank-encoder";
    state.SetLabel(spec);
    const auto model = load_model(spec);
    if (!model.ok()) {
        state.SkipWithError(model.error().message.c_str());
        return;
    }
    const auto tokens = model.value()->tokenizer().encode("yesterday my friend carried her salary to the bank").value();
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    for (auto _ : state) benchmark::DoNotOptimize(model.value()->forward(tokens, ForwardOptions{}));
    omp_set_num_threads(threads);
}
BENCHMARK(BM_BankModelSentence)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace attnscope

// As the CLI and the app run: the allocator keeps freed trace matrices for reuse; but a fixed
// OpenMP team on every core (as `attnscope-cli bench`), not one sized by the load average.
int main(int argc, char** argv) {
    attnscope::tune_runtime_for_traces();
    omp_set_dynamic(0);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
