// Tokenizers as Hugging Face files define them: an interpreter for tokenizer.json (models BPE,
// WordPiece, WordLevel and Unigram, with their normalizers, pre-tokenizers, added tokens,
// post-processor and decoder), and the older layouts vocab.json + merges.txt (GPT-2), vocab.txt
// (BERT) and Marian's SentencePiece files (sentencepiece_tokenizer.h).
//
// What encode() gives, per token:
// - `start`/`end` are byte offsets into the text as passed in, through every normalization
//   (BERT's "café" token points at the typed "Café"). A piece that encodes a space points at
//   that space too: GPT-2's "Ġbank" and Llama's "▁bank" cover " bank". Characters the tokenizer
//   inserts itself (a prefix space, the first ▁) cover nothing. Tokens that split one character
//   into bytes (an emoji as byte tokens) each cover the whole character.
// - Tokens the post-processor adds ([CLS], [SEP], <s>) have start == end: 0 for those before the
//   text, text.size() for those after it.
// - `continues_word`: "##ing" in WordPiece; in BPE a token that is not the first of its
//   pre-tokenized word and does not start with ▁ or Ġ.
// Truncation and padding in tokenizer.json are ignored: the views always show the whole text.
// decode() skips special tokens ([CLS], <s>, <|endoftext|>) and runs the file's decoder.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "attnscope/result.h"
#include "attnscope/tokenizer.h"

namespace attnscope {

// The tokenizer of a model folder: tokenizer.json, else vocab.json + merges.txt (GPT-2 byte-level
// BPE), else source.spm + vocab.json (Marian's source side: sentencepiece_tokenizer.h), else
// vocab.txt (BERT WordPiece; lowercased unless tokenizer_config.json's do_lower_case is false).
// `model_dir` may also be a file inside the folder (its config.json, tokenizer.json), or a
// SentencePiece model (target.spm for Marian's target side; any other .spm/.model on its own).
// An error names the file and the problem, e.g.
// "…/tokenizer.json: pre_tokenizer.pretokenizers[1].type: unsupported pre-tokenizer 'Foo'".
Result<std::shared_ptr<const Tokenizer>> load_hf_tokenizer(const std::filesystem::path& model_dir);

// One tokenizer.json file.
Result<std::shared_ptr<const Tokenizer>> load_hf_tokenizer_file(const std::filesystem::path& tokenizer_json);

// tokenizer.json content; `name` starts every error message.
Result<std::shared_ptr<const Tokenizer>> load_hf_tokenizer_json(std::string_view json_text,
                                                                std::string_view name = "tokenizer.json");

}  // namespace attnscope
