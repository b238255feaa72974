// What a model is, for display and for the trace header.
#pragma once

#include <string>

namespace attnscope {

enum class Architecture { Attnscope, Gpt2, Bert, Llama, Count };

const char* architecture_name(Architecture a);  // "attnscope", "gpt2", "bert", "llama"

struct ModelInfo {
    std::string name;
    std::string description;
    std::string source;  // the path or builtin:NAME it was loaded from
    Architecture architecture = Architecture::Attnscope;
    int n_layers = 0;
    int n_heads = 0;
    int n_kv_heads = 0;  // == n_heads unless keys and values are shared by groups of heads
    int d_model = 0;
    int d_head = 0;
    int d_ff = 0;
    int vocab_size = 0;
    int max_len = 0;     // longest input in tokens
    bool causal = false;
    long long n_parameters = 0;
    std::string positional;  // "learned", "sinusoidal", "rope", "none"
    std::string norm;        // "layernorm", "rmsnorm", "none"; "(post)" appended for post-norm
    std::string activation;
    std::string dtype = "f32";  // how the weights are stored in the file
};

}  // namespace attnscope
