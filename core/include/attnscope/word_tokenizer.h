// The own format's word tokenizer (design.md): optional lowercasing; words are maximal runs of
// letters, digits and apostrophes; every other non-space character is a token of its own; a
// word not in the vocabulary becomes the unk token.
// One addition, so an encoder can be asked to fill a gap: a vocabulary entry written in angle
// brackets ("<mask>") is one token when typed as it is, and "[MASK]" (BERT's spelling) means
// "<mask>". Everything else in brackets is split as usual.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "attnscope/tokenizer.h"

namespace attnscope {

class WordTokenizer final : public Tokenizer {
public:
    // vocab must contain unk; the caller (the loader) checks that and reports it.
    WordTokenizer(std::vector<std::string> vocab, bool lowercase, std::string unk);

    Result<std::vector<Token>> encode(std::string_view text) const override;
    std::string decode(const std::vector<int>& ids) const override;
    std::string kind() const override { return "word"; }
    int vocab_size() const override { return static_cast<int>(m_vocab.size()); }
    std::string piece(int id) const override;
    std::optional<int> find(std::string_view piece) const override;

    bool lowercase() const { return m_lowercase; }
    const std::string& unk() const { return m_unk; }
    const std::vector<std::string>& vocab() const { return m_vocab; }

private:
    // The bracketed vocabulary entry typed at text[pos], if any: its id and byte length.
    std::optional<std::pair<int, std::size_t>> bracketed_entry_at(std::string_view text, std::size_t pos) const;

    std::vector<std::string> m_vocab;
    std::unordered_map<std::string, int> m_ids;
    bool m_lowercase;
    std::string m_unk;
    int m_unk_id = 0;
};

// Lowercases UTF-8 text code point by code point (utf8proc); keeps invalid bytes as they are.
std::string lowercase_utf8(std::string_view text);

}  // namespace attnscope
