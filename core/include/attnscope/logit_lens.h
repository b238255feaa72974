// The logit lens: what the model would predict next if it stopped after each layer. Every layer's
// residual stream is read with the model's own final norm (each row normalised by its own
// statistics) and LM head (Model::lens_logits); the last layer's lens is the model's prediction.
// Off the draw path (the CLI, the GUI's worker); core only.
#pragma once

#include <functional>
#include <vector>

#include "attnscope/model.h"
#include "attnscope/result.h"
#include "attnscope/top_k.h"

namespace attnscope {

struct LogitLens {
    int n_layers = 0, n_tokens = 0;
    // top[l][i]: the k most probable next tokens after token i, read after layer l, best first.
    std::vector<std::vector<std::vector<TokenProbability>>> top;
};

// Errors: a model without a next-token head ("the logit lens needs a decoder"), the forward pass's.
Result<LogitLens> logit_lens(const Model& model, const std::vector<Token>& tokens, int k = 3,
                             const std::function<bool()>& cancelled = {});

}  // namespace attnscope
