#!/usr/bin/env python3
"""The Marian reference for the C++ tests: ids for sentences as transformers' MarianTokenizer gives
them, written from its description, not from the C++ code.

    marian_reference.py FOLDER SIDE SENTENCES_JSON   (SIDE: source | target)

MarianTokenizer (transformers/models/marian/tokenization_marian.py): special tokens typed in the
text (</s>, <unk>, <pad>) are themselves; in each stretch between them a leading language code
">>xx<<" is one token, every code is deleted, and the side's SentencePiece model splits the rest
into pieces (sp.encode(text, out_type=str)); each piece is looked up in vocab.json, a piece it
lacks becoming the id of <unk>; </s> is appended. Prints a JSON array, one list of ids per
sentence.

Uses Debian's python3-sentencepiece (the Python binding of the library the C++ code links), so
the segmentation is the library's; what this checks independently is everything around it.
"""
import json
import re
import sys

import sentencepiece

SPECIALS = ("</s>", "<unk>", "<pad>")
LANGUAGE_CODE = re.compile(">>.+<<")


def encode(sp, vocab, text):
    ids = []
    # PreTrainedTokenizer.tokenize: split at the special tokens' texts, keeping them ...
    parts = re.split("(" + "|".join(re.escape(s) for s in SPECIALS) + ")", text)
    for part in parts:
        if part in SPECIALS:
            ids.append(vocab.get(part, vocab["<unk>"]))
        elif part:
            ids.extend(marian_tokenize(sp, vocab, part))
    return ids + [vocab["</s>"]]


def marian_tokenize(sp, vocab, text):
    """... and MarianTokenizer._tokenize on each stretch between them: a leading language code is
    a token, every code is deleted from the text, the rest is SentencePiece's pieces."""
    match = LANGUAGE_CODE.match(text)
    code = [match.group(0)] if match else []
    pieces = sp.encode(LANGUAGE_CODE.sub("", text), out_type=str)
    return [vocab.get(p, vocab["<unk>"]) for p in code + pieces]


def main():
    folder, side, sentences_file = sys.argv[1:4]
    sp = sentencepiece.SentencePieceProcessor(model_file=f"{folder}/{side}.spm")
    with open(f"{folder}/vocab.json", encoding="utf-8") as f:
        vocab = json.load(f)
    with open(sentences_file, encoding="utf-8") as f:
        sentences = json.load(f)
    json.dump([encode(sp, vocab, s) for s in sentences], sys.stdout)


if __name__ == "__main__":
    main()
