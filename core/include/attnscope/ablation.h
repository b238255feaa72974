// Head ablation: which heads matter for one prediction. Each head's output is removed before W_O
// (ForwardOptions::ablation) and the probability of a chosen next token is read again: the heads
// whose removal moves it most are the ones this prediction relies on. Off the draw path; core only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "attnscope/model.h"
#include "attnscope/result.h"

namespace attnscope {

struct HeadEffect {
    int layer = 0, head = 0;
    double p_before = 0, p_after = 0;   // the target's probability as the next token, then with the head ablated
};

// The next token `target` as the model would see it after `text`: the first token that encoding
// text + " " + target adds beyond the text's own (so GPT-2's " money", with its space), or the
// target's first token when that does not hold. Errors name the word.
Result<Token> next_token_for(const Model& model, const std::string& text, const std::string& target);

// Every head ablated alone (kind: zero or mean), for the next token after `tokens`: decoders only.
// One forward pass per head, starting at the head's layer from the plain pass's residual stream
// (ForwardOptions::resume): a removed head changes nothing before its layer, and every later layer
// and row after it. Errors: an encoder or encoder-decoder, "cancelled".
Result<std::vector<HeadEffect>> ablate_each_head(const Model& model, const std::vector<Token>& tokens, int target_id,
                                                 ForwardOptions::Ablation::Kind kind = ForwardOptions::Ablation::Kind::Zero,
                                                 const std::function<bool()>& cancelled = {});

}  // namespace attnscope
