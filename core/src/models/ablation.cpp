#include "attnscope/ablation.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

void ablate_head_outputs(Matrix& heads_out, int layer, int d_head, const ForwardOptions& options) {
    for (const auto& [l, h] : options.ablation.heads) {
        if (l != layer || h < 0 || static_cast<Index>(h + 1) * d_head > heads_out.cols()) continue;
        auto columns = heads_out.middleCols(static_cast<Index>(h) * d_head, d_head);
        if (options.ablation.kind == ForwardOptions::Ablation::Kind::Zero) {
            columns.setZero();
        } else {
            const RowVector mean = columns.colwise().mean();
            columns.rowwise() = mean;
        }
    }
}

int resume_layer(const ForwardOptions& options, int p, Index m, int n_layers) {
    const auto& r = options.resume;
    if (!r.residual || r.layer <= 0 || r.layer >= n_layers || p != 0 || options.keep_residual) return 0;
    if (r.residual->size() < static_cast<std::size_t>(r.layer)) return 0;
    return (*r.residual)[static_cast<std::size_t>(r.layer - 1)].rows() == m ? r.layer : 0;
}

namespace {

// softmax(logits)[id], computed stably.
double probability_of(const Eigen::Ref<const RowVector>& logits, int id) {
    const double top = logits.maxCoeff();
    double sum = 0;
    for (Index c = 0; c < logits.size(); ++c) sum += std::exp(static_cast<double>(logits(c)) - top);
    return std::exp(static_cast<double>(logits(id)) - top) / sum;
}

// The next token's probability from a pass's last row.
Result<double> last_row_probability(const Model& model, const Result<Trace>& trace, int last, int target_id) {
    if (!trace.ok()) return trace.error();
    const Trace& t = trace.value();
    if (!t.has_logits_for(last)) return Error{"model '" + model.info().name + "' gives no next-token logits"};
    return probability_of(t.logits_of(last), target_id);
}

}  // namespace

Result<Token> next_token_for(const Model& model, const std::string& text, const std::string& target) {
    const Tokenizer& tok = model.tokenizer();
    const auto alone = tok.encode(text);
    const auto joined = tok.encode(text + " " + target);
    if (!alone.ok()) return alone.error();
    if (!joined.ok()) return joined.error();
    const auto& a = alone.value();
    const auto& j = joined.value();
    // The text's tokens without the end tokens a tokenizer appends ([SEP], </s>): they are not in
    // the middle of the joined text.
    std::size_t shared = a.size();
    while (shared > 0 && a[shared - 1].special && a[shared - 1].start == a[shared - 1].end) --shared;
    const bool prefix_kept = j.size() > shared && std::equal(a.begin(), a.begin() + static_cast<long>(shared), j.begin(),
                                                             [](const Token& x, const Token& y) { return x.id == y.id; });
    if (prefix_kept && !j[shared].special) return j[shared];
    const auto own = tok.encode(target);
    if (!own.ok()) return own.error();
    for (const Token& t : own.value())
        if (!t.special) return t;
    return Error{"the target '" + target + "' gives no token"};
}

Result<std::vector<HeadEffect>> ablate_each_head(const Model& model, const std::vector<Token>& tokens, int target_id,
                                                 ForwardOptions::Ablation::Kind kind, const std::function<bool()>& cancelled) {
    const ModelInfo& info = model.info();
    if (!info.causal || info.encoder_decoder)
        return Error{"ablation reads the next token's probability: model '" + info.name + "' is not a decoder"};
    if (target_id < 0 || target_id >= info.vocab_size) return Error{"the target token id " + std::to_string(target_id) + " is outside the vocabulary"};
    ForwardOptions options;
    options.cancelled = cancelled;
    options.logits = ForwardOptions::Logits::LastRow;
    options.keep_attention = false;   // only the logits are read
    const int last = static_cast<int>(tokens.size()) - 1;
    // The plain pass keeps its residual stream: a pass without a head of layer l starts from the
    // stream before l, which the removal cannot change.
    options.keep_residual = true;
    const Result<Trace> plain = model.forward(tokens, options);
    const auto before = last_row_probability(model, plain, last, target_id);
    if (!before.ok()) return before.error();
    options.keep_residual = false;
    std::vector<HeadEffect> out;
    options.ablation.kind = kind;
    for (int l = 0; l < info.n_layers; ++l)
        for (int h = 0; h < info.n_heads; ++h) {
            options.ablation.heads = {{l, h}};
            options.resume = {&plain.value().residual, l};
            const auto after = last_row_probability(model, model.forward(tokens, options), last, target_id);
            if (!after.ok()) return after.error();
            out.push_back({l, h, before.value(), after.value()});
        }
    return out;
}

}  // namespace attnscope
