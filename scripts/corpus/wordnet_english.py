"""English sentences from WordNet 3.0 (Debian package wordnet-base, /usr/share/wordnet), for the
built-in models' vocabulary of ordinary English. Two kinds of line, both real English written by
WordNet's lexicographers:

  - the example sentences of the glosses ("he sat on the bank of the river and watched the currents"),
  - one definition sentence per word sense: "a bank is sloping land beside a body of water ."
    ("to rob is to take something away by force .", "something sunny is bright with sunlight ."),
    which ties a word to the words that explain it.

WordNet 3.0 Copyright 2006 by Princeton University; the WordNet 3.0 licence permits use, copying,
modification and distribution with the copyright notice (see /usr/share/doc/wordnet-base/copyright).
Deterministic: the data files are read in order and nothing is random."""

import functools
import re
from pathlib import Path

WORDNET = Path("/usr/share/wordnet")
POS_FILES = ["noun", "verb", "adj", "adv"]
MAX_TOKENS = 40  # the built-in models' sentences stay well under their max_len

# The own format's word tokenizer, approximately: words are runs of letters, digits and
# apostrophes; every other non-space character is one token.
TOKEN = re.compile(r"[A-Za-z0-9']+|[^\sA-Za-z0-9']")


def count_tokens(text):
    return len(TOKEN.findall(text))


def clean(text):
    """One line of plain ASCII English, or None: parentheses dropped, spaces collapsed."""
    text = re.sub(r"\([^()]*\)", " ", text)
    text = re.sub(r"\s+", " ", text).strip().strip(";,:").strip()
    if not text or not text.isascii() or any(c in text for c in "()[]{}<>|\\`_\t"):
        return None
    return text


def synsets(pos):
    """(lemmas, gloss) of every synset in data.POS, in file order."""
    for line in (WORDNET / f"data.{pos}").read_text(encoding="latin-1").splitlines():
        if line.startswith("  ") or " | " not in line:
            continue  # the licence header
        fields, gloss = line.split(" | ", 1)
        parts = fields.split()
        count = int(parts[3], 16)
        lemmas = [parts[4 + 2 * i] for i in range(count)]
        if pos == "adj":
            lemmas = [re.sub(r"\([a-z]+\)$", "", lemma) for lemma in lemmas]  # "big(a)" -> "big"
        yield [lemma.replace("_", " ") for lemma in lemmas], gloss.strip()


def examples_and_definition(pos, lemmas, gloss):
    examples = [clean(q) for q in re.findall(r'"([^"]+)"', gloss)]
    definition = clean(re.sub(r'"[^"]*"', " ", gloss).split(";")[0])
    lines = []
    for example in examples:
        if example and 3 <= count_tokens(example) <= MAX_TOKENS and "..." not in example and "--" not in example:
            lines.append(example if example[-1] in ".!?" else example + " .")
    word = lemmas[0]
    if definition and word.islower() and not any(ch.isdigit() for ch in word):
        sentence = {"noun": f"{'an' if word[0] in 'aeiou' else 'a'} {word} is {definition} .",
                    "verb": f"to {word} is to {definition} .",
                    "adj": f"something {word} is {definition} ."}.get(pos, f"{word} means {definition} .")
        if count_tokens(sentence) <= MAX_TOKENS:
            lines.append(sentence)
    return lines


@functools.lru_cache(maxsize=None)
def sentences():
    """Every line, in WordNet's order, each once (read once per run: the generator asks several times)."""
    if not (WORDNET / "data.noun").exists():
        raise SystemExit(f"{WORDNET}/data.noun: not found; install the Debian package wordnet-base (scripts/install-deps)")
    seen, out = set(), []
    for pos in POS_FILES:
        for lemmas, gloss in synsets(pos):
            for line in examples_and_definition(pos, lemmas, gloss):
                key = line.lower()
                if key not in seen:
                    seen.add(key)
                    out.append(line)
    return tuple(out)


# Lexicographer files (WordNet's lexnames): what a word's most common sense is about.
NEUTRAL_NOUN_FILES = {"noun.person": 18, "noun.artifact": 6, "noun.food": 13, "noun.communication": 10,
                      "noun.cognition": 9, "noun.time": 28}
ADJ_ALL = 0


@functools.lru_cache(maxsize=None)
def word_counts():
    """{lowercase token: how often it occurs in sentences()}."""
    counts = {}
    for line in sentences():
        for token in TOKEN.findall(line.lower()):
            counts[token] = counts.get(token, 0) + 1
    return counts


def first_sense_files(pos):
    """{lemma: lexicographer file number of its most common sense} for one part of speech."""
    files = {}
    for line in (WORDNET / f"data.{pos}").read_text(encoding="latin-1").splitlines():
        if not line.startswith("  "):
            parts = line.split()
            files[parts[0]] = int(parts[1])
    out = {}
    for line in (WORDNET / f"index.{pos}").read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):
            continue
        parts = line.split()
        out[parts[0]] = files.get(parts[-int(parts[2])])  # the first offset is the most common sense
    return out


@functools.lru_cache(maxsize=None)
def lemmas_of(pos):
    return {line.split()[0] for line in (WORDNET / f"index.{pos}").read_text(encoding="latin-1").splitlines()
            if not line.startswith("  ")}


def common_words(pos, lex_files, min_count, exclude):
    """Single lowercase words that are only ever this part of speech, whose most common sense is in
    one of lex_files, and that occur at least min_count times in sentences(): most frequent first
    (ties alphabetically)."""
    senses = first_sense_files(pos)
    for other in POS_FILES:
        if other != pos:
            exclude = exclude | lemmas_of(other)
    counts = word_counts()
    words = [w for w, n in counts.items()
             if n >= min_count and w.isalpha() and len(w) >= 3 and senses.get(w) in lex_files and w not in exclude]
    return sorted(words, key=lambda w: (-counts[w], w))
