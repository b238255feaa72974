// attnscope-cli info [--model PATH] [--list] [--json]
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnscope/builtin_models.h"
#include "attnscope/json_model.h"
#include "attnscope/text.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct InfoOptions {
    std::string model = kDefaultModel;
    bool list = false;
    bool json = false;
};

nlohmann::json info_json(const Model& model) {
    const ModelInfo& m = model.info();
    nlohmann::json j = {{"name", m.name}, {"description", m.description}, {"source", m.source},
            {"architecture", architecture_name(m.architecture)}, {"n_layers", m.n_layers}, {"n_heads", m.n_heads},
            {"n_kv_heads", m.n_kv_heads}, {"d_model", m.d_model}, {"d_head", m.d_head}, {"d_ff", m.d_ff},
            {"vocab_size", m.vocab_size}, {"max_len", m.max_len}, {"causal", m.causal},
            {"parameters", m.n_parameters}, {"positional", m.positional}, {"norm", m.norm},
            {"activation", m.activation}, {"dtype", m.dtype}, {"tokenizer", model.tokenizer().kind()},
            {"kind", model_kind(m)}};
    if (!m.family.empty()) j["family"] = m.family;
    if (!m.attention.empty()) j["attention"] = m.attention;
    if (!m.weight_types.empty()) {
        j["weight_types"] = m.weight_types;
        j["file_bytes"] = m.file_bytes;
    }
    if (const EncoderDecoder* ed = model.encoder_decoder()) {  // n_layers and n_heads are the decoder's
        j["n_encoder_layers"] = m.n_encoder_layers;
        j["n_encoder_heads"] = ed->encoder_info().n_heads;
        j["target_tokenizer"] = ed->target_tokenizer().kind();
        j["decoder_start_token_id"] = ed->decoder_start_id();
        j["end_token_id"] = ed->end_id();
    }
    return j;
}

// What kind of attention the model has, in a line.
std::string kind_line(const Model& model) {
    const ModelInfo& m = model.info();
    if (m.encoder_decoder)
        return "encoder-decoder (the encoder reads the source both ways; the decoder writes the target, masked, "
               "and its cross-attention reads the encoder's output)";
    return m.causal ? "decoder (causal mask: a token sees only itself and earlier tokens)"
                    : "encoder (bidirectional: every token sees every token)";
}

void print_info(const Model& model) {
    const ModelInfo& m = model.info();
    std::printf("%s\n", escape_for_terminal(m.name).c_str());
    if (!m.description.empty()) std::printf("  %s\n", escape_for_terminal(m.description).c_str());
    std::printf("  source        %s\n", escape_for_terminal(m.source).c_str());
    const std::string family = m.family.empty() ? "" : " (" + m.family + ")";   // "llama (qwen3)": the kind, then the family
    std::printf("  architecture  %s%s, %s\n", architecture_name(m.architecture), escape_for_terminal(family).c_str(), kind_line(model).c_str());
    const EncoderDecoder* ed = model.encoder_decoder();
    if (ed)
        std::printf("  layers        encoder %d (%d heads each), decoder %d (self-attention and cross-attention)\n",
                    m.n_encoder_layers, ed->encoder_info().n_heads, m.n_layers);
    else
        std::printf("  layers        %d\n", m.n_layers);
    std::printf("  heads         %d per layer%s", m.n_heads, ed ? " in the decoder" : "");
    if (m.n_kv_heads != m.n_heads) std::printf(" (%d key/value heads, shared in groups)", m.n_kv_heads);
    std::printf("\n  d_model       %d (d_head %d)\n", m.d_model, m.d_head);
    std::printf("  d_ff          %d\n", m.d_ff);
    std::printf("  positions     %s, up to %d tokens\n", m.positional.c_str(), m.max_len);
    std::printf("  norm          %s\n", m.norm.c_str());
    std::printf("  activation    %s\n", m.activation.c_str());
    if (!m.attention.empty()) std::printf("  attention     %s\n", m.attention.c_str());
    std::printf("  parameters    %lld (%s)\n", m.n_parameters, m.dtype.c_str());
    if (!m.weight_types.empty())
        std::printf("  weights       %s, %s\n", escape_for_terminal(m.weight_types).c_str(), human_bytes(m.file_bytes).c_str());
    std::printf("  tokenizer     %s, %d entries\n", model.tokenizer().kind().c_str(), model.tokenizer().vocab_size());
    if (ed)
        std::printf("  target        %s, %d entries; start token %d, end token %d\n", ed->target_tokenizer().kind().c_str(),
                    ed->target_tokenizer().vocab_size(), ed->decoder_start_id(), ed->end_id());
}

void list_builtins(bool json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& b : builtin_models()) {
        auto model = load_json_model_text(b.json, "builtin:" + b.name);
        if (!model.ok()) throw CliError{kFailure, model.error().message};  // a build defect, not user input
        all.push_back(info_json(*model.value()));
        if (!json) std::printf("builtin:%-16s %s\n", b.name.c_str(), model.value()->info().description.c_str());
    }
    if (json) std::cout << all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace

void add_info_command(CLI::App& app) {
    auto opts = std::make_shared<InfoOptions>();
    CLI::App* sub = app.add_subcommand("info", "Describe a model: architecture, sizes, parameters, tokenizer");
    sub->add_option("--model", opts->model, "builtin:NAME, a .json model, a .safetensors file or a model folder");
    sub->add_flag("--list", opts->list, "List the built-in models");
    sub->add_flag("--json", opts->json, "Print JSON instead of text");
    on_run(sub, [opts] {
        if (opts->list) return list_builtins(opts->json);
        const ModelPtr model = load_model_or_fail(opts->model);
        if (opts->json) std::cout << info_json(*model).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        else print_info(*model);
    });
}

}  // namespace attnscope::cli
