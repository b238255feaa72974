// Tokenizer: text -> tokens that remember which bytes of the text they came from, so every view
// can label a token with what the user typed.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/result.h"

namespace attnscope {

struct Token {
    int id = 0;
    std::string piece;         // the vocabulary entry, as the model file spells it ("Ġbank", "##ing")
    std::size_t start = 0;     // byte offsets into the input text: [start, end)
    std::size_t end = 0;       // start == end for tokens the tokenizer added ([CLS], <s>)
    bool unknown = false;      // the text was not in the vocabulary and became the unk token
    bool special = false;      // added by the tokenizer or a control token ([CLS], [SEP], BOS)
    bool continues_word = false;  // a word piece glued to the previous token ("##ing")
};

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // Fails only for text the tokenizer cannot read at all (invalid UTF-8); the message names
    // the byte offset. Unknown words are not errors: they become unk tokens.
    virtual Result<std::vector<Token>> encode(std::string_view text) const = 0;

    // Text for a sequence of ids, as the model would print it (for predictions and generation).
    virtual std::string decode(const std::vector<int>& ids) const = 0;

    virtual std::string kind() const = 0;  // "word", "bpe (byte-level)", "wordpiece", ...
    virtual int vocab_size() const = 0;
    virtual std::string piece(int id) const = 0;  // "" for an id outside the vocabulary
    virtual std::optional<int> find(std::string_view piece) const = 0;
};

// The tokenizer alone of what holds one, weights or not: a tokenizer.json, a SentencePiece .spm or
// .model file, a GGUF file (its tokenizer.* metadata; by its name or its "GGUF" magic), or a model
// folder (tokenizer.json, vocab.json + merges.txt, vocab.txt, Marian's source.spm + vocab.json).
// For `attnscope-cli tokenize --model` on tokenizer-only files; errors start with the file, as
// load_model's do.
Result<std::shared_ptr<const Tokenizer>> load_tokenizer_files(const std::filesystem::path& path);

// Whether `path` is a GGUF file that opens and holds no tensors: a vocabulary-only file such as
// llama.cpp's ggml-vocab-*.gguf, which load_tokenizer_files reads and load_model does not. A
// broken GGUF file is not (load_model explains what is wrong with it).
bool is_vocabulary_only_gguf(const std::filesystem::path& path);

}  // namespace attnscope
