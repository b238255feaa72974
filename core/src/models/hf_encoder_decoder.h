// What the Hugging Face encoder-decoders (T5, BART, Marian) share: the Model side that traces a
// greedy translation, the EncoderDecoder side's start and end tokens and encoder shape, each
// head's W for the steps view, and the activations their feed-forward layers use, which the own
// format's Activation does not name (swish).
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
    const ModelInfo& encoder_info() const override { return m_encoder_info; }

    // One head's W_Q, W_K, W_V (and biases) for the steps view: the decoder's masked self-attention,
    // the encoder's self-attention and the decoder's cross-attention, each read through qkv().
    std::optional<HeadProjection> head_projection(int layer, int head) const final {
        return projection(AttentionKind::DecoderSelf, layer, head);
    }
    std::optional<HeadProjection> encoder_head_projection(int layer, int head) const final {
        return projection(AttentionKind::EncoderSelf, layer, head);
    }
    std::optional<HeadProjection> cross_head_projection(int layer, int head) const final {
        return projection(AttentionKind::Cross, layer, head);
    }

protected:
    enum class AttentionKind { EncoderSelf, DecoderSelf, Cross };

    // The q, k and v projections of one attention of a layer, and how its rows split into heads:
    // head h is rows [h * d_head, (h + 1) * d_head) of each W (out x in). A null q.w: no such attention.
    struct QkvWeights {
        HfLinear q, k, v;
        int heads = 0;
        int d_head = 0;
    };
    // The family's weights of that attention in layer `layer`; nullopt when the stack has no such layer.
    virtual std::optional<QkvWeights> qkv(AttentionKind kind, int layer) const = 0;

    // The block of layer `layer` of a stack, or null past its end.
    template <class Block>
    static const Block* block_at(const std::vector<Block>& blocks, int layer) {
        return layer >= 0 && layer < static_cast<int>(blocks.size()) ? &blocks[static_cast<std::size_t>(layer)] : nullptr;
    }

    // decoder_start_token_id and eos_token_id from config.json, each checked against the vocabulary.
    void read_special_ids(const nlohmann::json& config, int vocab);
    // What the encoder's shape changes from the decoder's (Shape, in model_info.h's terms).
    struct EncoderShape {
        int n_layers, n_heads, d_head, d_ff;
    };
    // The info of an encoder-decoder: m_info the decoder's shape plus the encoder's layer count,
    // m_encoder_info the encoder's (never causal).
    void describe_encoder_decoder(const Shape& decoder, const EncoderShape& encoder);

    std::shared_ptr<const Tokenizer> m_target_tokenizer;
    int m_start_id = 0, m_end_id = 0;
    ModelInfo m_encoder_info;

private:
    std::optional<HeadProjection> projection(AttentionKind kind, int layer, int head) const;
};

ModelPtr build_bart_model(HfContext& context);  // bart and marian
ModelPtr build_t5_model(HfContext& context);

// T5's bucket of a key - query distance (hf_t5.cpp), exposed for its hand-worked tests.
int t5_relative_bucket(int relative, bool bidirectional, int num_buckets, int max_distance);

}  // namespace attnscope
