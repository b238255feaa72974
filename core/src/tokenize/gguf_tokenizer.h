// The tokenizer a GGUF file describes in its tokenizer.* metadata, read as llama.cpp reads it
// (src/llama-vocab.cpp) and built from the Hugging Face interpreter's parts, so tokens carry the
// same offsets, flags and decoding as a tokenizer.json's (hf_tokenizer.h):
// - `llama` (SentencePiece): tokens, scores and types; pieces merge highest score first (leftmost
//   among equal scores), characters no piece covers become their <0xXX> byte pieces; spaces are
//   ▁ and, with tokenizer.ggml.add_space_prefix (default true), each stretch of text between
//   special tokens starts with one. BOS unless add_bos_token is false, EOS when add_eos_token.
// - `gpt2` (byte-level BPE): tokens and merges ("left right", rank = position), after the regex
//   pre-tokenizer that tokenizer.ggml.pre names (llama.cpp's regexes; "default" when absent).
//   BOS only for the Llama-3 family or when add_bos_token says so.
// - `bert` (WordPiece as llama.cpp's WPM): lowercase and strip accents unless
//   tokenizer.ggml.normalizer.* says otherwise, split at spaces and punctuation, each word a ▁
//   in front (the converter stores "##ing" as "ing" and "the" as "▁the") and taken longest
//   piece first; CLS (cls_token_id, else bos_token_id) before and SEP (seperator_token_id) after.
// Control (type 3), user-defined (4) and unknown-type (2) tokens written in the text become
// single tokens, as llama.cpp's parse_special does; controls and unknowns are `special`.
// Added tokens (BOS, CLS, SEP, EOS) have start == end.
#pragma once

#include <filesystem>
#include <memory>

#include "attnscope/result.h"
#include "attnscope/tokenizer.h"
#include "formats/gguf.h"

namespace attnscope {

// The tokenizer a GGUF file's tokenizer.* metadata describes. Errors start with the file's path
// and name the key and the problem, e.g. "…/x.gguf: tokenizer.ggml.pre: unknown pre-tokenizer
// 'foo' (known: default, ...)". The file may hold tensors or none (a vocabulary-only file).
Result<std::shared_ptr<const Tokenizer>> load_gguf_tokenizer(const GgufFile& file);

// The same for a file on disk: GgufFile::open's refusals, or load_gguf_tokenizer's.
Result<std::shared_ptr<const Tokenizer>> load_gguf_tokenizer_file(const std::filesystem::path& path);

// A GGUF file by its name (.gguf, any case) or its first four bytes ("GGUF").
bool looks_like_gguf(const std::filesystem::path& path);

}  // namespace attnscope
