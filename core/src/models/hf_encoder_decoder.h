// What the Hugging Face encoder-decoders (T5, BART, Marian) share: the Model side that traces a
// greedy translation, the EncoderDecoder side's start and end tokens, and the activations their
// feed-forward layers use, which the own format's Activation does not name (swish).
#pragma once

#include "attnscope/forward.h"
#include "models/hf_architectures.h"

namespace attnscope {

// A feed-forward activation by its config.json name: gelu (erf), gelu_new (tanh), relu, swish/silu.
enum class FeedForwardActivation { Gelu, GeluTanh, Relu, Silu };
FeedForwardActivation feed_forward_activation(const std::string& name, const char* key);
const char* feed_forward_activation_name(FeedForwardActivation a);
void apply_feed_forward_activation(Matrix& x, FeedForwardActivation a);

// One projection of a torch.nn.Linear (out x in), with its bias when the family has one.
struct HfLinear {
    const HfTensor* w = nullptr;
    const HfTensor* b = nullptr;
    Matrix operator()(const Matrix& x) const { return linear_out_in(x, *w, b); }
};

class HfEncoderDecoderBase : public HfModelBase, public EncoderDecoder {
public:
    explicit HfEncoderDecoderBase(const HfContext& c) : HfModelBase(c), m_target_tokenizer(c.tokenizer) {}

    // The source, translated greedily, traced (Model::forward of an encoder-decoder).
    Result<Trace> forward(const std::vector<Token>& tokens, const ForwardOptions& options) const override {
        return forward_translation(*this, tokens, options);
    }
    const EncoderDecoder* encoder_decoder() const override { return this; }
    const Tokenizer& target_tokenizer() const override { return *m_target_tokenizer; }
    int decoder_start_id() const override { return m_start_id; }
    int end_id() const override { return m_end_id; }
    int max_target_len() const override { return m_info.max_len; }

protected:
    // decoder_start_token_id and eos_token_id from config.json, each checked against the vocabulary.
    void read_special_ids(const nlohmann::json& config, int vocab);
    // The info of an encoder-decoder: the decoder's shape in n_layers/n_heads/d_head, plus the encoder's layer count.
    void describe_encoder_decoder(const Shape& decoder, int encoder_layers);

    std::shared_ptr<const Tokenizer> m_target_tokenizer;
    int m_start_id = 0, m_end_id = 0;
};

ModelPtr build_bart_model(HfContext& context);  // bart and marian
ModelPtr build_t5_model(HfContext& context);

// T5's bucket of a key - query distance (hf_t5.cpp), exposed for its hand-worked tests.
int t5_relative_bucket(int relative, bool bidirectional, int num_buckets, int max_distance);

}  // namespace attnscope
