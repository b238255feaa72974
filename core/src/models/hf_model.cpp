// load_hf_model: config.json -> architecture builder, with the weights memory-mapped and the
// tokenizer read from the same folder. Also the config.json readers the builders share.
#include "models/hf_model.h"

#include <fstream>
#include <iterator>
#include <sstream>

#include "tokenize/hf_tokenizer.h"
#include "formats/safetensors.h"
#include "models/hf_architectures.h"
#include "models/hf_encoder_decoder.h"
#include "models/prefix_reuse.h"
#include "util/file_read.h"
#include "attnscope/text.h"

namespace attnscope {

// [SECTION] config.json readers

namespace {
const nlohmann::json& config_value(const nlohmann::json& config, const char* key) {
    if (!config.contains(key)) throw LoadError(std::string("config.json: ") + key + ": missing");
    return config[key];
}
JsonPath config_path(const char* key) { return JsonPath().key("config.json: " + std::string(key)); }
}  // namespace

int config_size(const nlohmann::json& config, const char* key, int max, std::optional<int> fallback) {
    if (fallback && (!config.contains(key) || config[key].is_null())) return *fallback;
    return read_int(config_value(config, key), config_path(key), 1, max);
}

float config_float(const nlohmann::json& config, const char* key, std::optional<float> fallback) {
    if (fallback && (!config.contains(key) || config[key].is_null())) return *fallback;
    return read_finite_float(config_value(config, key), config_path(key));
}

float config_positive_float(const nlohmann::json& config, const char* key, std::optional<float> fallback) {
    const float value = config_float(config, key, fallback);
    if (!(value > 0.0f)) config_path(key).fail("expected a number above 0, got " + std::to_string(value));
    return value;
}

void require_divisor(int divisor, const char* divisor_key, int value, const char* value_key) {
    if (value % divisor != 0)
        throw LoadError(std::string("config.json: ") + divisor_key + ": expected a divisor of " + value_key + " " +
                        std::to_string(value) + ", got " + std::to_string(divisor));
}

bool config_bool(const nlohmann::json& config, const char* key, bool fallback) {
    if (!config.contains(key) || config[key].is_null()) return fallback;
    return read_bool(config[key], config_path(key));
}

std::string config_string(const nlohmann::json& config, const char* key, const std::string& fallback) {
    if (!config.contains(key) || config[key].is_null()) return fallback;
    return read_string(config[key], config_path(key));
}

Activation activation_from_config(const std::string& name, const char* key) {
    if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::GeluTanh;
    if (name == "gelu") return Activation::Gelu;
    if (name == "relu") return Activation::Relu;
    throw LoadError(std::string("config.json: ") + key + ": expected gelu, gelu_new or relu, got \"" + name + "\"");
}

// [SECTION] HfModelBase

void HfModelBase::describe(const Shape& s) {
    m_info.architecture = s.architecture;
    m_info.n_layers = s.n_layers;
    m_info.n_heads = s.n_heads;
    m_info.n_kv_heads = s.n_kv_heads;
    m_info.d_model = s.d_model;
    m_info.d_head = s.d_head;
    m_info.d_ff = s.d_ff;
    m_info.vocab_size = s.vocab_size;
    m_info.max_len = s.max_len;
    m_info.causal = s.causal;
    m_info.positional = s.positional;
    m_info.norm = s.norm;
    m_info.activation = s.activation;
}

Result<Trace> HfDecoderBase::forward(const std::vector<Token>& tokens, const ForwardOptions& options) const {
    return forward_rows(nullptr, 0, tokens, options);
}

Result<Trace> HfDecoderBase::forward_reusing_prefix(const Trace& prefix, int reuse, const std::vector<Token>& tokens,
                                                    const ForwardOptions& options) const {
    return forward_reusing_rows(prefix, reuse, tokens, m_info, options,
                                [&](const Trace* from, int p) { return forward_rows(from, p, tokens, options); });
}

Result<std::vector<int>> HfModelBase::checked_ids(const std::vector<Token>& tokens) const {
    const int n = static_cast<int>(tokens.size());
    if (n == 0 || n > m_info.max_len)
        return Error{"the text has " + std::to_string(n) + " tokens; the model takes 1 to " + std::to_string(m_info.max_len)};
    std::vector<int> ids;
    ids.reserve(tokens.size());
    for (const Token& t : tokens) {
        if (t.id < 0 || t.id >= m_info.vocab_size)
            return Error{"token id " + std::to_string(t.id) + " is outside the vocabulary (size " +
                         std::to_string(m_info.vocab_size) + ")"};
        ids.push_back(t.id);
    }
    return ids;
}

// [SECTION] Loading

namespace {

using Builder = ModelPtr (*)(HfContext&);

struct ArchitectureEntry {
    const char* model_type;
    Builder build;
};

constexpr ArchitectureEntry kArchitectures[] = {
    {"gpt2", build_gpt2_model},   {"bert", build_bert_model},     {"distilbert", build_bert_model}, {"roberta", build_bert_model}, {"xlm-roberta", build_bert_model},
    {"llama", build_llama_model}, {"mistral", build_llama_model}, {"qwen2", build_llama_model},
    {"qwen3", build_llama_model}, {"olmo2", build_llama_model}, {"phi3", build_llama_model},
    {"gemma", build_llama_model}, {"gemma2", build_llama_model}, {"gemma3_text", build_llama_model},
    {"gemma3", build_llama_model},   // an image-text checkpoint: read as its text model (gemma3_text_config)
    {"gpt_neox", build_gpt_neox_model}, {"opt", build_opt_model},
    {"t5", build_t5_model},       {"bart", build_bart_model},     {"marian", build_bart_model},
};

std::filesystem::path model_folder(const std::filesystem::path& path) {
    return std::filesystem::is_directory(path) ? path : path.parent_path();
}

nlohmann::json read_config(const std::filesystem::path& file) {
    std::error_code ec;
    if (std::filesystem::symlink_status(file, ec).type() == std::filesystem::file_type::not_found)
        throw LoadError(file.string() + ": missing (a Hugging Face model folder needs its config.json)");
    std::string text;
    try {
        text = read_text_file(file, std::uint64_t{16} << 20, "a config.json");
    } catch (const LoadError& e) {
        throw LoadError(file.string() + ": " + e.what());
    }
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw LoadError(file.string() + ": not valid JSON: " + valid_utf8(cut_for_message(e.what())));
    }
    if (!config.is_object()) throw LoadError(file.string() + ": expected a JSON object at the top level, got " + describe_type(config));
    return config;
}

// Gemma 3's image-text checkpoints (Gemma3ForConditionalGeneration, model_type "gemma3": the 4B,
// 12B and 27B) nest the text model's config in text_config, written without the values equal to
// Gemma3TextConfig's defaults. The text model is what AttnScope runs: its config is the defaults
// with text_config over them, read as gemma3_text; the vision tower's tensors stay unread.
nlohmann::json gemma3_text_config(const nlohmann::json& config) {
    if (!config.contains("text_config") || !config["text_config"].is_object())
        throw LoadError("config.json: text_config: expected an object (a gemma3 config holds its text model's config there), got " +
                        (config.contains("text_config") ? describe_type(config["text_config"]) : std::string("nothing")));
    nlohmann::json text = {{"vocab_size", 262208}, {"hidden_size", 2304}, {"intermediate_size", 9216}, {"num_hidden_layers", 26},
                           {"num_attention_heads", 8}, {"num_key_value_heads", 4}, {"head_dim", 256},
                           {"hidden_activation", "gelu_pytorch_tanh"}, {"max_position_embeddings", 131072},
                           {"rms_norm_eps", 1e-6}, {"rope_theta", 1000000.0}, {"query_pre_attn_scalar", 256},
                           {"sliding_window", 4096}, {"final_logit_softcapping", nullptr}, {"attn_logit_softcapping", nullptr},
                           {"rope_scaling", nullptr}, {"rope_local_base_freq", 10000.0}, {"sliding_window_pattern", 6},
                           {"tie_word_embeddings", config.contains("tie_word_embeddings") ? config["tie_word_embeddings"] : nlohmann::json(true)}};
    for (const auto& [key, value] : config["text_config"].items()) text[key] = value;
    text["model_type"] = "gemma3_text";
    return text;
}

Builder builder_for(const nlohmann::json& config, const std::filesystem::path& file) {
    const std::string type = config_string(config, "model_type", "");
    std::string known;
    for (const auto& a : kArchitectures) {
        if (type == a.model_type) return a.build;
        known += (known.empty() ? "" : ", ") + std::string(a.model_type);
    }
    throw LoadError(file.string() + ": model_type: expected one of " + known + ", got \"" + type + "\"");
}

ModelPtr load_or_throw(const std::filesystem::path& path) {
    const std::filesystem::path folder = model_folder(path);
    const std::filesystem::path config_file = folder / "config.json";
    HfContext context;
    context.config = read_config(config_file);
    Builder build = nullptr;
    bool image_text_gemma3 = false;
    try {
        image_text_gemma3 = config_string(context.config, "model_type", "") == "gemma3";
        if (image_text_gemma3) context.config = gemma3_text_config(context.config);
        build = builder_for(context.config, config_file);
    } catch (const LoadError& e) {  // "config.json: model_type: ..." from the readers: add the folder
        const std::string what = e.what();
        throw LoadError(what.rfind("config.json", 0) == 0 ? (folder / what).string() : what);
    }

    // A .safetensors file named on its own is the checkpoint; otherwise the folder's.
    const bool single_file = path.extension() == ".safetensors";
    auto checkpoint = SafetensorsCheckpoint::open(single_file ? path : folder);
    if (!checkpoint.ok()) throw LoadError(checkpoint.error().message);
    context.weights = std::make_shared<HfWeights>(make_safetensors_source(std::move(checkpoint).value()));
    auto tokenizer = load_hf_tokenizer(folder);
    if (!tokenizer.ok()) throw LoadError(tokenizer.error().message);
    context.tokenizer = tokenizer.value();

    context.info.name = folder.filename().string();
    if (context.info.name.empty() || context.info.name == ".") context.info.name = std::filesystem::absolute(folder).filename().string();
    context.info.source = path.string();
    context.info.dtype = context.weights->float_dtypes();
    context.info.n_parameters = context.weights->float_parameter_count();
    context.info.weight_types = describe_weight_types(context.weights->source().type_summary());
    context.info.file_bytes = context.weights->source().file_bytes();
    context.info.description = "Hugging Face " + config_string(context.config, "model_type", "") + " checkpoint";
    if (image_text_gemma3) context.info.description = "Hugging Face gemma3 image-text checkpoint: its text model (the vision tower is not read)";
    try {
        return build(context);
    } catch (const LoadError& e) {  // the builders name the tensor or config key; add the file
        const std::string what = e.what();
        if (what.rfind("config.json", 0) == 0) throw LoadError((folder / what).string());
        throw LoadError(context.weights->source().path().string() + ": " + what);
    }
}

}  // namespace

Result<ModelPtr> load_hf_model(const std::filesystem::path& path) {
    try {
        return load_or_throw(path);
    } catch (const LoadError& e) {
        return Error{e.what()};
    } catch (const std::bad_alloc&) {
        return Error{path.string() + ": out of memory while loading the model"};
    }
}

}  // namespace attnscope
