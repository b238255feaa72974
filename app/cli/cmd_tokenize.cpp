// attnscope-cli tokenize [--model PATH] --text TEXT [--no-special] [--json]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnscope/text.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct TokenizeOptions {
    std::string model = kDefaultModel;
    std::string text;
    bool no_special = false;
    bool json = false;
};

// Whether `spec` names a tokenizer without weights: a tokenizer.json or SentencePiece file, a GGUF
// file without tensors (llama.cpp's vocabulary-only files), or a folder with no weight files (t5's
// tokenizer folder, a Marian folder's source.spm + vocab.json). A folder with weights, even pickled
// ones, and a GGUF file with tensors or one that does not open go to load_model, which explains its
// own refusals.
bool is_tokenizer_only(const std::string& spec) {
    namespace fs = std::filesystem;
    if (spec.rfind("builtin:", 0) == 0) return false;
    const fs::path path(spec);
    std::error_code ec;
    if (fs::is_regular_file(path, ec))
        return path.filename() == "tokenizer.json" || path.extension() == ".spm" || path.extension() == ".model" ||
               is_vocabulary_only_gguf(path);
    if (!fs::is_directory(path, ec)) return false;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
        const std::string ext = entry.path().extension().string();
        if (ext == ".safetensors" || ext == ".bin" || ext == ".pt" || ext == ".pth" || ext == ".gguf") return false;
    }
    return true;
}

// --no-special: the tokens the tokenizer put around the text (BOS, CLS, SEP, EOS: special and
// covering no text) go; special tokens the text itself spells ("<|endoftext|>") stay.
void drop_added_tokens(std::vector<Token>& tokens) {
    tokens.erase(std::remove_if(tokens.begin(), tokens.end(), [](const Token& t) { return t.special && t.start == t.end; }),
                 tokens.end());
}

void run_tokenize(const TokenizeOptions& o) {
    // The model, or for a tokenizer-only spec just its tokenizer; `model` keeps the tokenizer alive.
    ModelPtr model;
    std::shared_ptr<const Tokenizer> tokenizer_only;
    if (is_tokenizer_only(o.model)) {
        auto loaded = load_tokenizer_files(o.model);
        if (!loaded.ok()) throw CliError{kBadInput, loaded.error().message};
        tokenizer_only = loaded.value();
    } else {
        model = load_model_or_fail(o.model);
    }
    const Tokenizer& tokenizer = tokenizer_only ? *tokenizer_only : model->tokenizer();
    auto tokens = tokenizer.encode(o.text);
    if (!tokens.ok()) throw CliError{kBadInput, "--text: " + tokens.error().message};
    if (o.no_special) drop_added_tokens(tokens.value());
    if (o.json) {
        nlohmann::json out = nlohmann::json::array();
        for (std::size_t i = 0; i < tokens.value().size(); ++i) {
            const Token& t = tokens.value()[i];
            out.push_back({{"index", i}, {"id", t.id}, {"piece", t.piece}, {"text", o.text.substr(t.start, t.end - t.start)},
                           {"start", t.start}, {"end", t.end}, {"unknown", t.unknown}, {"special", t.special}});
        }
        std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return;
    }
    std::printf("%5s %8s  %-20s %-20s %s\n", "index", "id", "piece", "text", "bytes");
    for (std::size_t i = 0; i < tokens.value().size(); ++i) {
        const Token& t = tokens.value()[i];
        const std::string text = "'" + escape_for_terminal(o.text.substr(t.start, t.end - t.start)) + "'";
        std::printf("%5zu %8d  %-20s %-20s %zu..%zu%s%s\n", i, t.id, escape_for_terminal(t.piece).c_str(), text.c_str(), t.start, t.end,
                    t.unknown ? "  (not in the vocabulary)" : "", t.special ? "  (special)" : "");
    }
    std::printf("%zu tokens\n", tokens.value().size());
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
    auto opts = std::make_shared<TokenizeOptions>();
    CLI::App* sub = app.add_subcommand("tokenize", "Split a text into the model's tokens");
    sub->add_option("--model", opts->model,
                    "builtin:NAME, a .json model, a .safetensors file, a model folder, or a tokenizer alone "
                    "(tokenizer.json, a .spm/.model file, a .gguf file without tensors, a folder without weights)");
    sub->add_option("--text", opts->text, "The text")->required();
    sub->add_flag("--no-special", opts->no_special, "Leave out the tokens the tokenizer adds (BOS, CLS, SEP, EOS)");
    sub->add_flag("--json", opts->json, "Print JSON instead of a table");
    on_run(sub, [opts] { run_tokenize(*opts); });
}

}  // namespace attnscope::cli
