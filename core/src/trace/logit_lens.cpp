#include "attnscope/logit_lens.h"

namespace attnscope {

Result<LogitLens> logit_lens(const Model& model, const std::vector<Token>& tokens, int k, const std::function<bool()>& cancelled) {
    const ModelInfo& info = model.info();
    if (!info.causal || info.encoder_decoder || !model.lens_logits(Matrix::Zero(0, info.d_model)))
        return Error{"the logit lens reads next-token predictions: model '" + info.name + "' has no next-token head"};
    ForwardOptions options;
    options.cancelled = cancelled;
    options.logits = ForwardOptions::Logits::None;
    options.keep_attention = false;
    options.keep_residual = true;
    auto trace = model.forward(tokens, options);
    if (!trace.ok()) return trace.error();
    LogitLens lens;
    lens.n_layers = static_cast<int>(trace.value().residual.size());
    lens.n_tokens = static_cast<int>(tokens.size());
    for (const Matrix& stream : trace.value().residual) {   // one layer at a time: n x vocab each
        if (cancelled && cancelled()) return Error{"cancelled"};
        const Matrix logits = *model.lens_logits(stream);
        auto& layer = lens.top.emplace_back();
        for (Index i = 0; i < logits.rows(); ++i) layer.push_back(top_k_softmax(logits.row(i), k));
    }
    return lens;
}

}  // namespace attnscope
