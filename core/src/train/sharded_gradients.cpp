// Data-parallel gradients: a batch cut into a fixed number of shards, one thread each. Only the
// number of shards decides how the sums are grouped, so the result is the same on one core or
// many, and a training run stays reproducible bit for bit.
#include <thread>

#include "attnscope/transformer_backward.h"

namespace attnscope {
namespace {

// `into` += `add`, parameter by parameter (both of one shape).
void add_parameters(Parameters<float>& into, Parameters<float>& add) {
    std::vector<MatrixOf<float>*> added;
    for_each_parameter(add, [&](const std::string&, ParameterKind, MatrixOf<float>& m) { added.push_back(&m); });
    std::size_t i = 0;
    for_each_parameter(into, [&](const std::string&, ParameterKind, MatrixOf<float>& m) { m += *added[i++]; });
}

}  // namespace

float sharded_loss_and_gradients(const TrainableShape& shape, const Parameters<float>& p, const std::vector<Example>& batch,
                                 int shards, Parameters<float>& grads, const AttentionSupervisions& supervisions,
                                 float* attention_loss) {
    const std::size_t n = std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(std::max(shards, 1)), batch.size()));
    if (n == 1) return batch_loss_and_gradients(shape, p, batch, grads, supervisions, attention_loss);
    const BatchCounts whole = count_batch(batch, supervisions);
    std::vector<std::vector<Example>> parts(n);
    for (std::size_t s = 0; s < n; ++s)  // consecutive, sizes differing by at most one
        parts[s].assign(batch.begin() + static_cast<std::ptrdiff_t>(s * batch.size() / n),
                        batch.begin() + static_cast<std::ptrdiff_t>((s + 1) * batch.size() / n));
    std::vector<Parameters<float>> part_grads(n);
    std::vector<float> losses(n, 0.0f), attention_losses(n, 0.0f);
    auto run = [&](std::size_t s) {
        losses[s] = shard_loss_and_gradients(shape, p, parts[s], whole, part_grads[s], supervisions, &attention_losses[s]);
    };
    std::vector<std::thread> threads;
    for (std::size_t s = 1; s < n; ++s) threads.emplace_back(run, s);
    run(0);
    for (std::thread& t : threads) t.join();
    grads = std::move(part_grads[0]);
    float loss = losses[0], attention = attention_losses[0];
    for (std::size_t s = 1; s < n; ++s) {  // in shard order, whichever thread finished first
        add_parameters(grads, part_grads[s]);
        loss += losses[s];
        attention += attention_losses[s];
    }
    if (attention_loss) *attention_loss = attention;
    return loss;
}

}  // namespace attnscope
