// Encoder-decoder traces: the decoder's tokens for a target text, greedy translation, and the
// forward pass that traces a model's own translation.
#include <algorithm>

#include "attnscope/forward.h"

namespace attnscope {

namespace {

Token start_token(const EncoderDecoder& model) {
    Token t;
    t.id = model.decoder_start_id();
    t.piece = model.target_tokenizer().piece(t.id);
    t.special = true;  // it covers no text: start == end == 0
    return t;
}

// The index of the largest logit (the first of equals, so ties break the same way every time).
int likeliest(const Eigen::Ref<const RowVector>& logits) {
    Index best = 0;
    logits.maxCoeff(&best);
    return static_cast<int>(best);
}

// Byte offsets of each generated token in the decoded text: token i covers what decoding ids
// 0..i added to decoding 0..i-1. A decoder that rewrites earlier text (rare) leaves the token
// covering nothing at the end of what came before.
std::vector<Token> tokens_with_offsets(const Tokenizer& tokenizer, const std::vector<int>& ids, std::string& text) {
    std::vector<Token> tokens;
    std::vector<int> prefix;
    std::string before;
    for (int id : ids) {
        prefix.push_back(id);
        const std::string now = tokenizer.decode(prefix);
        Token t;
        t.id = id;
        t.piece = tokenizer.piece(id);
        const bool extends = now.size() >= before.size() && now.compare(0, before.size(), before) == 0;
        t.start = std::min(before.size(), now.size());
        t.end = extends ? now.size() : t.start;
        if (extends) before = now;
        tokens.push_back(t);
    }
    text = before;
    return tokens;
}

}  // namespace

Result<std::vector<Token>> decoder_tokens_for(const EncoderDecoder& model, const std::string& target) {
    auto encoded = model.target_tokenizer().encode(target);
    if (!encoded.ok()) return Error{"the target: " + encoded.error().message};
    std::vector<Token> tokens = std::move(encoded).value();
    // The tokenizer may append the end token (T5, Marian): the decoder reads up to the last word,
    // and its last row is the prediction of the end.
    if (!tokens.empty() && tokens.back().id == model.end_id() && tokens.back().special) tokens.pop_back();
    tokens.insert(tokens.begin(), start_token(model));
    if (static_cast<int>(tokens.size()) > model.max_target_len())
        return Error{"the target has " + std::to_string(tokens.size()) + " tokens with the start token; the decoder takes at most " +
                     std::to_string(model.max_target_len())};
    return tokens;
}

Result<Translation> greedy_translation(const EncoderDecoder& model, const EncoderDecoder::Encoded& source, int max_new,
                                       const std::function<bool()>& cancelled) {
    std::vector<Token> tokens{start_token(model)};
    std::vector<int> generated;
    ForwardOptions options;
    options.cancelled = cancelled;
    options.logits = ForwardOptions::Logits::LastRow;
    options.keep_attention = false;  // only the next token is wanted
    Translation out;
    while (static_cast<int>(generated.size()) < max_new && static_cast<int>(tokens.size()) < model.max_target_len()) {
        auto step = model.decode(source, tokens, options);
        if (!step.ok()) return step.error();
        const int next = likeliest(step.value().logits.row(step.value().logits.rows() - 1));
        if (next == model.end_id()) {
            out.finished = true;
            break;
        }
        generated.push_back(next);
        Token t;
        t.id = next;
        tokens.push_back(t);
    }
    std::vector<Token> pieces = tokens_with_offsets(model.target_tokenizer(), generated, out.text);
    out.tokens = {start_token(model)};
    out.tokens.insert(out.tokens.end(), pieces.begin(), pieces.end());
    return out;
}

Result<Trace> forward_translation(const EncoderDecoder& model, const std::vector<Token>& source, const ForwardOptions& options,
                                  int max_new) {
    auto encoded = model.encode(source, options);
    if (!encoded.ok()) return encoded.error();
    auto translation = greedy_translation(model, encoded.value(), max_new, options.cancelled);
    if (!translation.ok()) return translation.error();
    auto trace = model.decode(encoded.value(), translation.value().tokens, options);
    if (!trace.ok()) return trace.error();
    Trace& t = trace.value();
    t.text = translation.value().text;
    t.tokens = translation.value().tokens;
    t.source_tokens = source;
    auto encoder = std::make_shared<Trace>(std::move(encoded.value().trace));
    encoder->tokens = source;
    encoder->model = model.encoder_info();
    t.source = std::move(encoder);
    return trace;
}

}  // namespace attnscope
