// The WordPiece and WordLevel models, the vocabulary they share with BPE, and the model factory.
//
// [SECTION] Vocab
// [SECTION] WordPiece
// [SECTION] WordLevel
// [SECTION] Factory
#include <limits>
#include <utility>

#include "tokenize/hf_tokenizer_internal.h"

namespace attnscope::hf {

// [SECTION] Vocab

std::optional<int> Vocab::find(const std::string& piece) const {
    const auto it = ids.find(piece);
    if (it == ids.end()) return std::nullopt;
    return it->second;
}

void Vocab::add(const std::string& piece, int id) {
    ids[piece] = id;
    if (static_cast<std::size_t>(id) >= pieces.size()) pieces.resize(static_cast<std::size_t>(id) + 1);
    pieces[static_cast<std::size_t>(id)] = piece;
}

Vocab parse_vocab(const json& vocab, const std::string& path) {
    expect_object(vocab, path);
    // With no entries every text would come out as no tokens at all, silently.
    if (vocab.empty()) fail(path, "expected at least one token, got an empty vocabulary");
    // Vocab::pieces is indexed by id, so an id bounds the memory it takes: ids number the entries,
    // with room for gaps (ids the added tokens hold), but a 20-byte file cannot ask for 30 GB.
    const long long max_id = static_cast<long long>(vocab.size()) + (1 << 16) - 1;
    Vocab out;
    out.ids.reserve(vocab.size());
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        const json& id = it.value();
        if (!id.is_number_integer() || id.get<long long>() < 0)
            fail(child(path, it.key()), "expected a non-negative integer id, got " + describe(id));
        if (id.get<long long>() > max_id)
            fail(child(path, it.key()), "expected an id of at most " + std::to_string(max_id) + " (the " +
                                            std::to_string(vocab.size()) + " entries, plus 65536 for gaps), got " +
                                            describe(id));
        out.add(it.key(), id.get<int>());
    }
    return out;
}

namespace {

// [SECTION] WordPiece

// Greedy longest-match-first: the longest vocabulary entry that starts the word, then the longest
// "##" entry that continues it, and so on. A word that cannot be covered is one unk token.
class WordPieceModel final : public Model {
public:
    WordPieceModel(Vocab vocab, int unk_id, std::string prefix, std::size_t max_chars)
        : m_vocab(std::move(vocab)), m_unk_id(unk_id), m_prefix(std::move(prefix)), m_max_chars(max_chars) {}

    void tokenize(const std::string& word, ModelCache& cache, std::vector<ModelToken>& out) const override {
        if (word.empty()) return;
        const auto cached = cache.pieces.find(word);
        if (cached != cache.pieces.end()) {
            out.insert(out.end(), cached->second.begin(), cached->second.end());
            return;
        }
        std::vector<ModelToken> tokens = split_word(word);
        out.insert(out.end(), tokens.begin(), tokens.end());
        cache.pieces.emplace(word, std::move(tokens));
    }

    const Vocab& vocab() const override { return m_vocab; }
    std::string kind() const override { return "wordpiece"; }
    bool continues_word(const std::string& piece, bool) const override {
        return !m_prefix.empty() && piece.compare(0, m_prefix.size(), m_prefix) == 0;
    }

private:
    std::vector<ModelToken> split_word(const std::string& word) const {
        const std::vector<ModelToken> unknown{ModelToken{m_unk_id, 0, word.size(), true}};
        if (count_code_points(word) > m_max_chars) return unknown;
        std::vector<ModelToken> tokens;
        std::string candidate;
        for (std::size_t start = 0; start < word.size();) {
            std::optional<int> found;
            std::size_t end = word.size();
            while (end > start) {
                candidate.assign(start > 0 ? m_prefix : std::string());
                candidate.append(word, start, end - start);
                found = m_vocab.find(candidate);
                if (found) break;
                do --end;  // back off one whole character
                while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
            }
            if (!found) return unknown;
            tokens.push_back(ModelToken{*found, start, end, false});
            start = end;
        }
        return tokens;
    }

    Vocab m_vocab;
    int m_unk_id;
    std::string m_prefix;
    std::size_t m_max_chars;
};

// [SECTION] WordLevel

// Each piece is looked up whole; anything else is the unk token.
class WordLevelModel final : public Model {
public:
    WordLevelModel(Vocab vocab, std::optional<int> unk_id) : m_vocab(std::move(vocab)), m_unk_id(unk_id) {}

    void tokenize(const std::string& word, ModelCache&, std::vector<ModelToken>& out) const override {
        if (word.empty()) return;
        if (const auto id = m_vocab.find(word)) out.push_back(ModelToken{*id, 0, word.size(), false});
        else if (m_unk_id) out.push_back(ModelToken{*m_unk_id, 0, word.size(), true});
    }
    const Vocab& vocab() const override { return m_vocab; }
    std::string kind() const override { return "wordlevel"; }
    bool continues_word(const std::string&, bool) const override { return false; }

private:
    Vocab m_vocab;
    std::optional<int> m_unk_id;
};

}  // namespace

std::unique_ptr<Model> make_wordpiece(Vocab vocab, const std::string& unk_token,
                                      const std::string& continuing_subword_prefix,
                                      std::size_t max_input_chars_per_word, const std::string& path) {
    const auto unk_id = vocab.find(unk_token);
    if (!unk_id) fail(child(path, "unk_token"), "expected a token of the vocabulary, got '" + unk_token + "'");
    return std::make_unique<WordPieceModel>(std::move(vocab), *unk_id, continuing_subword_prefix,
                                            max_input_chars_per_word);
}

// [SECTION] Factory

std::unique_ptr<Model> make_model(const json& config, const std::string& path) {
    expect_object(config, path);
    // Old files leave the type out; the reference then guesses from the keys, as we do.
    std::string type;
    if (optional(config, "type") != nullptr) type = get_string(config, path, "type");
    else if (config.contains("merges")) type = "BPE";
    else if (const json* v = optional(config, "vocab"); v != nullptr && v->is_array()) type = "Unigram";  // [[piece, score]]
    else if (config.contains("continuing_subword_prefix")) type = "WordPiece";
    else if (config.contains("vocab")) type = "WordLevel";

    if (type == "BPE") return make_bpe_from_json(config, path);
    if (type == "Unigram") return make_unigram_from_json(config, path);
    if (type == "WordPiece") {
        const long long max_chars = get_int(config, path, "max_input_chars_per_word", 100);
        if (max_chars < 0) fail(child(path, "max_input_chars_per_word"), "expected a count, got " + std::to_string(max_chars));
        return make_wordpiece(parse_vocab(require(config, path, "vocab"), child(path, "vocab")),
                              get_optional_string(config, path, "unk_token").value_or("[UNK]"),
                              get_optional_string(config, path, "continuing_subword_prefix").value_or("##"),
                              static_cast<std::size_t>(max_chars), path);
    }
    if (type == "WordLevel") {
        Vocab vocab = parse_vocab(require(config, path, "vocab"), child(path, "vocab"));
        std::optional<int> unk_id;
        if (const auto unk = get_optional_string(config, path, "unk_token")) unk_id = vocab.find(*unk);
        return std::make_unique<WordLevelModel>(std::move(vocab), unk_id);
    }
    if (type.empty()) fail(child(path, "type"), "expected a model type, got nothing");
    fail(child(path, "type"), "unsupported model '" + type + "'");
}

}  // namespace attnscope::hf
