// Model: the one interface the CLI and the GUI use, whatever file the weights came from.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attnscope/model_info.h"
#include "attnscope/result.h"
#include "attnscope/tokenizer.h"
#include "attnscope/trace.h"

namespace attnscope {

struct ForwardOptions {
    // Polled between heads; when it returns true the pass stops and returns an Error
    // "cancelled", so a keystroke in the GUI drops work nobody wants any more.
    std::function<bool()> cancelled;
    // The LM head is the largest product of many models (GPT-2: 5 of 16 GFLOP at 64 tokens), and
    // a decoder's next-token prediction needs only the last row.
    enum class Logits { All, LastRow, None };
    Logits logits = Logits::All;
    // Keep every head's n x n scores and weights in the trace (HeadTrace::scores, ::weights). Off,
    // they are not stored: Trace::head_scores / head_weights compute them when asked, from the
    // kept q and k, with the same kernel. compute_trace decides by their size.
    bool keep_attention = true;
    // Head ablation: these heads' outputs are removed before W_O, zeroed or replaced by their
    // mean over the tokens, so the model runs without what they write (the trace still shows
    // their attention). Empty: none. A pass with ablated heads never reuses a prefix.
    struct Ablation {
        enum class Kind { Zero, Mean };
        Kind kind = Kind::Zero;
        std::vector<std::pair<int, int>> heads;   // (layer, head)
    };
    Ablation ablation{};
    // Keep the residual stream after every layer (Trace::residual) for the logit lens. A pass that
    // keeps it never reuses a prefix.
    bool keep_residual = false;
    // Start the pass at `layer`, from the residual stream that a pass of the same tokens kept
    // after layer - 1 (keep_residual): the layers before it are not computed, and their
    // LayerTraces stay empty. Removing a head of layer l changes nothing before l, so
    // ablate_each_head starts each pass there. Ignored (every layer computed, the same result)
    // by a family that does not read it, and when it does not fit (resume_layer below).
    struct Resume {
        const std::vector<Matrix>* residual = nullptr;
        int layer = 0;
    };
    Resume resume{};
};

// The first layer a pass of rows p.. (m of them) computes: options.resume.layer when the pass
// can start there (no prefix, no residual to keep, a kept residual of m rows after the layer
// before), else 0. Each family's forward starts its stream at resumed_stream() then.
int resume_layer(const ForwardOptions& options, int p, Index m, int n_layers);
inline const Matrix& resumed_stream(const ForwardOptions& options, int first_layer) {
    return (*options.resume.residual)[static_cast<std::size_t>(first_layer - 1)];
}

// Applies options.ablation to one layer's heads' outputs side by side (rows x n_heads * d_head),
// before W_O. Decoders and encoders alike; encoder-decoders ignore it.
void ablate_head_outputs(Matrix& heads_out, int layer, int d_head, const ForwardOptions& options);

// One head's slice of a layer's projections: Q_h = x w_q + b_q, and so on. w_*: d_model x d_head
// (columns [h*d_head, (h+1)*d_head) of the layer's W); b_*: d_head.
struct HeadProjection {
    Matrix w_q, w_k, w_v;     // d_model x d_head each
    RowVector b_q, b_k, b_v;  // d_head each (zeros where the model has no bias)
    bool rotary = false;      // q and k are then rotated by position (RoPE): the trace holds the rotated ones
    int rotary_dims = 0;      // RoPE turns only each head's first rotary_dims numbers (GPT-NeoX, Phi-3); 0: all
    // How q and k are normalized before RoPE, for the steps view ("each head's q and k
    // RMS-normalized (q_norm, k_norm)": Qwen3, OLMo-2); "" when they are not.
    std::string qk_norm{};
    // The rows of the layer's output projection W_O that read this head's output (d_head x
    // d_model): the head adds out_h W_O^h to the residual stream (value-weighted attention reads
    // it). Empty where a model does not give it.
    Matrix w_o{};
};

// The rows of the final hidden state x that the LM head must see, and records in the trace which
// token the first of them is. x: the rows of tokens first_row.. (a pass that reuses a prefix
// computes only the tokens after it) x d.
Matrix rows_for_logits(const Matrix& x, const ForwardOptions& options, Trace& trace, int first_row = 0);

class EncoderDecoder;

class Model {
public:
    virtual ~Model() = default;
    virtual const ModelInfo& info() const = 0;
    virtual const Tokenizer& tokenizer() const = 0;

    // Fills layers, scale and logits of a Trace for these tokens. Errors: too many tokens for
    // the model, an id outside the vocabulary, cancelled. Safe to call from several threads.
    virtual Result<Trace> forward(const std::vector<Token>& tokens, const ForwardOptions& options) const = 0;

    // The same trace as forward(tokens, options), computed from an earlier trace of this model
    // (prefix reuse while the user types). `prefix` was made by this model; `reuse` (1 ..
    // prefix.n_tokens()) counts the leading tokens it shares with `tokens`. A causal model takes
    // the first `reuse` rows of every layer as they are (a query never sees a later key, so they
    // cannot change) and computes only the rows after them, against the kept keys and values; it
    // reuses fewer rows when the prefix cannot give them: tokens that differ (when the prefix names
    // its tokens), scores and weights kept otherwise than `options` asks, logits of every token
    // asked for and not in the prefix; and always computes the last row, whose logits a decoder
    // shows. Encoders, whose every row sees every token, compute everything: the default.
    virtual Result<Trace> forward_reusing_prefix(const Trace& /*prefix*/, int /*reuse*/, const std::vector<Token>& tokens,
                                                 const ForwardOptions& options) const {
        return forward(tokens, options);
    }

    // W_Q, W_K, W_V of one head, for the step-by-step view; nullopt when the model does not expose them.
    virtual std::optional<HeadProjection> head_projection(int /*layer*/, int /*head*/) const { return std::nullopt; }

    // The logit lens: next-token logits read from residual-stream rows (rows x d_model) as the
    // model reads its last layer's, the final norm applied to each row with the row's own
    // statistics, then the LM head. Nothing for models without a next-token head (encoders,
    // encoder-decoders).
    virtual std::optional<Matrix> lens_logits(const Matrix& /*residual_rows*/) const { return std::nullopt; }

    // The encoder-decoder side of the model (T5, BART, Marian, the built-in translator), or null.
    // Such a model's forward() reads `tokens` as the source and traces its greedy translation.
    virtual const EncoderDecoder* encoder_decoder() const { return nullptr; }
};

// An encoder-decoder: the encoder reads the source, the decoder writes the target a token at a
// time, and each decoder layer's cross-attention reads the encoder's output. Model::tokenizer()
// is the source's tokenizer.
class EncoderDecoder {
public:
    virtual ~EncoderDecoder() = default;

    // The encoder's pass: its trace (self-attention over the source, no logits) and its output
    // rows (n_source x d_model), which every cross-attention layer reads. Errors as forward().
    struct Encoded {
        Trace trace;
        Matrix memory;
    };
    virtual Result<Encoded> encode(const std::vector<Token>& source, const ForwardOptions& options) const = 0;

    // The decoder's pass over `target` (its first token is the start token): the trace's layers
    // (masked self-attention), cross_layers (target x source) and logits (row i predicts token i + 1).
    virtual Result<Trace> decode(const Encoded& source, const std::vector<Token>& target,
                                 const ForwardOptions& options) const = 0;

    // The decoder side of the decoder's own text, and the tokens that begin and end a translation.
    virtual const Tokenizer& target_tokenizer() const = 0;
    virtual int decoder_start_id() const = 0;
    virtual int end_id() const = 0;
    // The decoder's longest input, in tokens.
    virtual int max_target_len() const = 0;
    // The encoder's shape (Model::info() describes the decoder's): the trace of `source` carries it.
    virtual const ModelInfo& encoder_info() const = 0;

    // W_Q, W_K, W_V of an encoder head, and of a decoder layer's cross-attention head (whose W_Q
    // reads the decoder's LayerTrace::x and whose W_K and W_V read the encoder's output,
    // LayerTrace::key_x), for the step-by-step view. Model::head_projection gives the decoder's
    // self-attention. nullopt when the model does not expose them.
    virtual std::optional<HeadProjection> encoder_head_projection(int /*layer*/, int /*head*/) const { return std::nullopt; }
    virtual std::optional<HeadProjection> cross_head_projection(int /*layer*/, int /*head*/) const { return std::nullopt; }
};

using ModelPtr = std::shared_ptr<const Model>;

// Loads what `spec` names: builtin:NAME, a .json model, a .safetensors file or a Hugging Face
// model directory (or its config.json). The message of an error starts with the file name.
Result<ModelPtr> load_model(const std::string& spec);

// The built-in model that opens when nothing is named.
inline constexpr const char* kDefaultModel = "builtin:bank-decoder";

}  // namespace attnscope
