// The Unigram model of tokenizer.json (T5, ALBERT, XLNet, mBART, Marian converted by Hugging
// Face): every piece has a log-probability score, and a word is split into the pieces whose
// scores sum highest (Viterbi over the lattice of vocabulary pieces that occur in it).
//
// The reference (the Rust `tokenizers` crate) decides every detail this follows:
// - a character that starts no single-character piece gets an unk edge scored min score - 10, so
//   unknown text is covered but loses against any real segmentation;
// - consecutive unk tokens fuse into one (Unigram always fuses);
// - with byte_fallback, a stretch that would be unk becomes its bytes' <0xXX> tokens instead, when
//   the vocabulary holds all of them;
// - ties keep the path found first (scanning starts left to right, shorter pieces first).
// Cost: for each byte offset of a word, one walk down the piece trie (at most the longest piece's
// length), so a word of n bytes costs O(n * longest piece), never O(n^2).
//
// [SECTION] Piece trie
// [SECTION] Model
// [SECTION] Viterbi
// [SECTION] Loading
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <utility>

#include "tokenize/hf_tokenizer_internal.h"

namespace attnscope::hf {

namespace {

const char* const kMetaspace = "\xE2\x96\x81";  // ▁, sentencepiece's word start

// A fused unk score below every real piece: the reference's kUnkPenalty.
constexpr double kUnkPenalty = 10.0;

// [SECTION] Piece trie

// The pieces as a byte trie, for "which pieces start at this offset" in one walk. Children live
// in one hash table keyed by (node, byte): 32,000 pieces make about 150,000 nodes, and a node's
// children need no vector of their own.
class PieceTrie {
public:
    void insert(const std::string& piece, int id) {
        std::uint32_t node = 0;
        for (const char ch : piece) {
            const std::uint64_t key = edge(node, static_cast<unsigned char>(ch));
            const auto it = m_children.find(key);
            if (it != m_children.end()) {
                node = it->second;
                continue;
            }
            const auto next = static_cast<std::uint32_t>(m_ids.size());
            m_children.emplace(key, next);
            m_ids.push_back(-1);
            node = next;
        }
        m_ids[node] = id;
    }

    // Calls found(length, id) for every piece that starts text[pos], shortest first.
    template <class Found>
    void prefixes(std::string_view text, std::size_t pos, Found found) const {
        std::uint32_t node = 0;
        for (std::size_t i = pos; i < text.size(); ++i) {
            const auto it = m_children.find(edge(node, static_cast<unsigned char>(text[i])));
            if (it == m_children.end()) return;
            node = it->second;
            if (m_ids[node] >= 0) found(i + 1 - pos, m_ids[node]);
        }
    }

    void reserve(std::size_t pieces) { m_children.reserve(pieces * 4); }

private:
    static std::uint64_t edge(std::uint32_t node, unsigned char byte) { return (std::uint64_t{node} << 8) | byte; }

    std::unordered_map<std::uint64_t, std::uint32_t> m_children;
    std::vector<int> m_ids{-1};  // the piece that ends at each node, -1 for none; node 0 is the root
};

// [SECTION] Model

class UnigramModel final : public Model {
public:
    UnigramModel(Vocab vocab, std::vector<double> scores, std::optional<int> unk_id, bool byte_fallback)
        : m_vocab(std::move(vocab)), m_scores(std::move(scores)), m_unk_id(unk_id), m_byte_fallback(byte_fallback) {
        double min_score = std::numeric_limits<double>::infinity();
        for (const double s : m_scores) min_score = std::min(min_score, s);
        m_unk_score = min_score - kUnkPenalty;
        m_trie.reserve(m_vocab.pieces.size());
        // The trie maps a piece to the id the vocabulary gives it (a piece listed twice: the later).
        for (const auto& [piece, id] : m_vocab.ids)
            if (!piece.empty()) m_trie.insert(piece, id);
        for (int b = 0; b < 256; ++b) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            m_byte_ids[b] = m_vocab.find(name).value_or(-1);
        }
    }

    void tokenize(const std::string& word, ModelCache& cache, std::vector<ModelToken>& out) const override {
        if (word.empty()) return;
        const auto cached = cache.pieces.find(word);
        if (cached != cache.pieces.end()) {
            out.insert(out.end(), cached->second.begin(), cached->second.end());
            return;
        }
        std::vector<ModelToken> tokens;
        for (const Segment& s : best_segmentation(word)) to_tokens(word, s, tokens);
        out.insert(out.end(), tokens.begin(), tokens.end());
        cache.pieces.emplace(word, std::move(tokens));
    }

    const Vocab& vocab() const override { return m_vocab; }
    std::string kind() const override { return m_byte_fallback ? "unigram (byte-fallback)" : "unigram"; }

    bool continues_word(const std::string& piece, bool first_in_piece) const override {
        return !first_in_piece && piece.rfind(kMetaspace, 0) != 0;
    }

private:
    // A stretch of the word on the best path: a piece, or a run of fused unknown characters.
    struct Segment {
        std::size_t start;
        std::size_t end;
        int id;  // the piece's id, or the unk id for fused unknown characters
        bool unknown;
    };

    std::vector<Segment> best_segmentation(const std::string& word) const;
    void to_tokens(const std::string& word, const Segment& s, std::vector<ModelToken>& out) const;

    Vocab m_vocab;
    std::vector<double> m_scores;  // by id
    std::optional<int> m_unk_id;
    bool m_byte_fallback;
    double m_unk_score = 0;
    PieceTrie m_trie;
    int m_byte_ids[256];
};

// [SECTION] Viterbi

// best[end] is the best path over word[0, end): its score and its last edge.
struct BestPath {
    double score = 0;
    std::size_t start = 0;
    int id = -1;  // -1: no path ends here yet
    bool unknown = false;
};

// Forward pass: from every character boundary reached, extend by each piece that starts there
// (and an unk edge where no single-character piece does); the backward pass reads the best path
// from the end and fuses consecutive unknown characters.
std::vector<UnigramModel::Segment> UnigramModel::best_segmentation(const std::string& word) const {
    std::vector<BestPath> best(word.size() + 1);
    best[0].id = 0;  // the empty path
    auto offer = [&](std::size_t start, std::size_t end, int id, double score, bool unknown) {
        BestPath& target = best[end];
        const double candidate = best[start].score + score;
        if (target.id >= 0 && !(candidate > target.score)) return;  // ties keep the first path
        target = BestPath{candidate, start, id, unknown};
    };
    for (std::size_t start = 0; start < word.size();) {
        const std::size_t char_length = utf8_char_length(word, start);
        bool single_char_piece = false;
        m_trie.prefixes(word, start, [&](std::size_t length, int id) {
            offer(start, start + length, id, m_scores[static_cast<std::size_t>(id)], false);
            single_char_piece = single_char_piece || length == char_length;
        });
        if (!single_char_piece) {
            if (!m_unk_id)  // the reference fails the same way (MissingUnkId)
                throw std::runtime_error("'" + word.substr(start, char_length) +
                                         "' is not in the vocabulary, and the model has no unk token (model.unk_id)");
            offer(start, start + char_length, *m_unk_id, m_unk_score, true);
        }
        start += char_length;
    }

    std::vector<Segment> path;
    for (std::size_t end = word.size(); end > 0;) {
        const BestPath& b = best[end];
        const bool is_unk = m_unk_id && b.id == *m_unk_id;
        if (is_unk && !path.empty() && path.back().unknown) path.back().start = b.start;  // fuse
        else path.push_back(Segment{b.start, end, b.id, is_unk});
        end = b.start;
    }
    return {path.rbegin(), path.rend()};
}

// A segment's tokens: a piece is itself; a fused unknown stretch is the piece it happens to
// spell, else its bytes (byte_fallback, when all of them are pieces), else one unk token.
void UnigramModel::to_tokens(const std::string& word, const Segment& s, std::vector<ModelToken>& out) const {
    if (!s.unknown) {
        out.push_back(ModelToken{s.id, s.start, s.end, false});
        return;
    }
    if (const auto id = m_vocab.find(word.substr(s.start, s.end - s.start))) {
        out.push_back(ModelToken{*id, s.start, s.end, false});
        return;
    }
    bool have_bytes = m_byte_fallback;
    for (std::size_t i = s.start; have_bytes && i < s.end; ++i) have_bytes = m_byte_ids[static_cast<unsigned char>(word[i])] >= 0;
    if (!have_bytes) {
        out.push_back(ModelToken{s.id, s.start, s.end, true});
        return;
    }
    // Each byte token covers its whole character (the reference gives each the whole stretch;
    // a character is the finest thing a view can label).
    for (std::size_t pos = s.start; pos < s.end;) {
        const std::size_t length = utf8_char_length(word, pos);
        for (std::size_t k = 0; k < length; ++k)
            out.push_back(ModelToken{m_byte_ids[static_cast<unsigned char>(word[pos + k])], pos, pos + length, false});
        pos += length;
    }
}

}  // namespace

// [SECTION] Loading

// model: {"type": "Unigram", "vocab": [[piece, score], ...], "unk_id": N | null, "byte_fallback": b}.
// A piece's id is its place in the list.
std::unique_ptr<Model> make_unigram_from_json(const json& config, const std::string& path) {
    const std::string vocab_path = child(path, "vocab");
    const json& list = require(config, path, "vocab");
    expect_array(list, vocab_path);
    if (list.empty()) fail(vocab_path, "expected at least one [piece, score] pair, got an empty vocabulary");
    if (list.size() > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2))
        fail(vocab_path, "expected at most " + std::to_string(std::numeric_limits<int>::max() / 2) + " pieces");
    Vocab vocab;
    vocab.ids.reserve(list.size());
    vocab.pieces.reserve(list.size());
    std::vector<double> scores;
    scores.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
        const json& entry = list[i];
        if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number())
            fail(index(vocab_path, i), "expected [piece, score], got " + describe(entry));
        const double score = entry[1].get<double>();
        // NaN would make every comparison false and the path depend on the scan order.
        if (!std::isfinite(score)) fail(index(index(vocab_path, i), 1), "expected a finite score, got " + describe(entry[1]));
        vocab.add(entry[0].get<std::string>(), static_cast<int>(i));
        scores.push_back(score);
    }
    std::optional<int> unk_id;
    if (const json* unk = optional(config, "unk_id")) {
        if (!unk->is_number_integer() || unk->get<long long>() < 0 ||
            unk->get<long long>() >= static_cast<long long>(list.size()))
            fail(child(path, "unk_id"), "expected the id of a piece (0 to " + std::to_string(list.size() - 1) +
                                            ") or null, got " + describe(*unk));
        unk_id = unk->get<int>();
    }
    return std::make_unique<UnigramModel>(std::move(vocab), std::move(scores), unk_id,
                                          get_bool(config, path, "byte_fallback", false));
}

}  // namespace attnscope::hf
