// What a model is, for display and for the trace header.
#pragma once

#include <cstdint>
#include <string>

namespace attnscope {

enum class Architecture { Attnscope, Gpt2, Bert, Llama, T5, Bart, Marian, GptNeox, Opt, Count };

const char* architecture_name(Architecture a);  // "attnscope", "gpt2", "bert", "llama", "t5", "bart", "marian", "gpt_neox", "opt"

struct ModelInfo;
// The trace JSON's "kind": "decoder", "encoder" or "encoder-decoder".
const char* model_kind(const ModelInfo& info);

struct ModelInfo {
    std::string name;
    std::string description;
    std::string source;  // the path or builtin:NAME it was loaded from
    Architecture architecture = Architecture::Attnscope;
    // The Hugging Face family (config.json's model_type: "qwen3", "gemma") where it is more than
    // the architecture says; "" otherwise.
    std::string family;
    int n_layers = 0;
    int n_heads = 0;
    int n_kv_heads = 0;  // == n_heads unless keys and values are shared by groups of heads
    int d_model = 0;
    int d_head = 0;
    int d_ff = 0;
    int vocab_size = 0;
    int max_len = 0;     // longest input in tokens
    bool causal = false;  // the decoder's, for an encoder-decoder
    // An encoder-decoder (T5, BART, Marian): n_layers, n_heads and d_head are the decoder's, and
    // each decoder layer also has cross-attention; the encoder has n_encoder_layers.
    bool encoder_decoder = false;
    int n_encoder_layers = 0;
    long long n_parameters = 0;
    std::string positional;  // "learned", "sinusoidal", "rope", "none"
    std::string norm;        // "layernorm", "rmsnorm", "none"; "(post)" appended for post-norm
    std::string activation;
    // How the scores are shaped beyond the scale and the causal mask, where the model does it:
    // "sliding window of 4096 on layers 0, 2, 4, …; scores soft-capped at 50; logits soft-capped
    // at 30" (Gemma 2). "" otherwise.
    std::string attention;
    std::string dtype = "f32";  // how the weights are stored in the file
    // Files of weights (safetensors, GGUF): their types and shares, e.g. "Q4_K_M mix: Q4_K 70%,
    // Q6_K 25%, F32 5%" or "BF16", and the size of the file(s). Empty and 0 for built-in models.
    std::string weight_types;
    std::uint64_t file_bytes = 0;
};

}  // namespace attnscope
