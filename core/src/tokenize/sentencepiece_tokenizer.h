// Tokenizers read from SentencePiece model files (.spm, .model) with Debian's libsentencepiece:
// Marian's folder layout (source.spm, target.spm and the ids of vocab.json), and a lone
// SentencePiece model.
//
// What encode() gives, per token, as the Hugging Face tokenizers do (hf_tokenizer.h):
// - `start`/`end` are byte offsets into the text as passed in, through SentencePiece's own
//   normalization; "▁bank" covers " bank", and the ▁ SentencePiece puts before the first word
//   covers nothing.
// - `unknown`: Marian: the piece is not in vocab.json (it becomes <unk>, as in transformers);
//   a lone model: SentencePiece's unk piece.
// - Marian appends `</s>` (special, start == end == text.size()); a lone model adds nothing.
// decode() skips special tokens and joins the pieces as SentencePiece decodes them.
#pragma once

#include <filesystem>
#include <memory>

#include "attnscope/result.h"
#include "attnscope/tokenizer.h"

namespace attnscope {

// Which of a Marian folder's two SentencePiece models encodes: the source text (the encoder's
// input) or the target text (the decoder's).
enum class MarianSide { Source, Target };

// A Marian folder (transformers' MarianTokenizer): `side`'s .spm splits the text into pieces,
// each piece's id is its entry in vocab.json (else the id of <unk>), and </s> is appended.
// tokenizer_config.json may rename eos_token, unk_token and pad_token. A text that starts with a
// language code such as ">>fra<<" keeps it as one token, as multilingual Marian models expect.
// Errors name the file and the problem: "…/source.spm: not a SentencePiece model (…)".
Result<std::shared_ptr<const Tokenizer>> load_marian_tokenizer(const std::filesystem::path& dir, MarianSide side);

// Whether `dir` has a Marian tokenizer's files (source.spm and vocab.json).
bool is_marian_folder(const std::filesystem::path& dir);

// A lone SentencePiece model file (tokenizer.model, spiece.model, *.spm): its own pieces and ids,
// with nothing added around the text.
Result<std::shared_ptr<const Tokenizer>> load_sentencepiece_tokenizer(const std::filesystem::path& model_file);

}  // namespace attnscope
