// The BPE model: a word starts as one symbol per character (or per byte with byte fallback) and
// the lowest-ranked merge among adjacent pairs is applied until none applies. Merges come from a
// priority queue ordered by (rank, position), so a word of n symbols costs O(n log n), and each
// distinct piece is merged once per encode (ModelCache).
//
// [SECTION] Model
// [SECTION] Merging
// [SECTION] Loading
#include <cstdio>
#include <queue>
#include <utility>

#include "tokenize/hf_tokenizer_internal.h"

namespace attnscope::hf {

namespace {

const char* const kMetaspace = "\xE2\x96\x81";  // ▁, sentencepiece's word start
const char* const kByteLevelSpace = "\xC4\xA0";  // Ġ, GPT-2's printable space byte

std::uint64_t pair_key(int left, int right) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) | static_cast<std::uint32_t>(right);
}

struct Merge {
    int rank;
    int new_id;
};

// One symbol of a word being merged: a doubly linked list inside a vector.
struct Symbol {
    int id;
    std::size_t start;  // bytes of the piece it covers
    std::size_t end;
    int prev;
    int next;
    bool unknown;
    bool removed;
};

struct Candidate {
    int rank;
    int pos;  // index of the left symbol
    int new_id;
    bool operator>(const Candidate& other) const {
        return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
};

// [SECTION] Model

class BpeModel final : public Model {
public:
    BpeModel(Vocab vocab, std::unordered_map<std::uint64_t, Merge> merges, BpeOptions options)
        : m_vocab(std::move(vocab)), m_merges(std::move(merges)), m_options(std::move(options)) {
        if (m_options.unk_token) m_unk_id = m_vocab.find(*m_options.unk_token);
        for (int b = 0; b < 256; ++b) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            m_byte_ids[b] = m_vocab.find(name).value_or(-1);
        }
    }

    void tokenize(const std::string& piece, ModelCache& cache, std::vector<ModelToken>& out) const override {
        if (piece.empty()) return;
        const auto cached = cache.pieces.find(piece);
        if (cached != cache.pieces.end()) {
            out.insert(out.end(), cached->second.begin(), cached->second.end());
            return;
        }
        std::vector<ModelToken> tokens;
        const auto whole = m_options.ignore_merges ? m_vocab.find(piece) : std::nullopt;
        if (whole) tokens.push_back(ModelToken{*whole, 0, piece.size(), false});
        else merge_word(piece, tokens);
        out.insert(out.end(), tokens.begin(), tokens.end());
        cache.pieces.emplace(piece, std::move(tokens));
    }

    const Vocab& vocab() const override { return m_vocab; }

    std::string kind() const override { return m_options.byte_fallback ? "bpe (byte-fallback)" : "bpe"; }

    bool continues_word(const std::string& piece, bool first_in_piece) const override {
        if (!m_options.continuing_subword_prefix.empty())
            return piece.compare(0, m_options.continuing_subword_prefix.size(), m_options.continuing_subword_prefix) == 0;
        if (first_in_piece) return false;
        return piece.rfind(kMetaspace, 0) != 0 && piece.rfind(kByteLevelSpace, 0) != 0;
    }

private:
    std::vector<Symbol> initial_symbols(const std::string& word) const;
    void merge_word(const std::string& word, std::vector<ModelToken>& tokens) const;

    Vocab m_vocab;
    std::unordered_map<std::uint64_t, Merge> m_merges;
    BpeOptions m_options;
    std::optional<int> m_unk_id;
    int m_byte_ids[256];
};

// [SECTION] Merging

// One symbol per character; a character missing from the vocabulary becomes its bytes' <0xXX>
// tokens (byte fallback) or the unk token, consecutive unks fused into one when fuse_unk is set.
std::vector<Symbol> BpeModel::initial_symbols(const std::string& word) const {
    std::vector<Symbol> symbols;
    std::optional<Symbol> pending_unk;
    auto flush_unk = [&] {
        if (pending_unk) symbols.push_back(*pending_unk);
        pending_unk.reset();
    };
    std::string s;
    for (std::size_t pos = 0; pos < word.size();) {
        const std::size_t length = utf8_char_length(word, pos);
        s.clear();
        if (pos > 0) s += m_options.continuing_subword_prefix;
        s.append(word, pos, length);
        if (pos + length == word.size()) s += m_options.end_of_word_suffix;
        if (const auto id = m_vocab.find(s)) {
            flush_unk();
            symbols.push_back(Symbol{*id, pos, pos + length, 0, 0, false, false});
        } else {
            bool have_bytes = m_options.byte_fallback;
            for (std::size_t k = 0; have_bytes && k < length; ++k)
                have_bytes = m_byte_ids[static_cast<unsigned char>(word[pos + k])] >= 0;
            if (have_bytes) {
                flush_unk();
                for (std::size_t k = 0; k < length; ++k)
                    symbols.push_back(Symbol{m_byte_ids[static_cast<unsigned char>(word[pos + k])], pos + k,
                                             pos + k + 1, 0, 0, false, false});
            } else if (m_unk_id) {
                if (pending_unk && m_options.fuse_unk) {
                    pending_unk->end = pos + length;
                } else {
                    flush_unk();
                    pending_unk = Symbol{*m_unk_id, pos, pos + length, 0, 0, true, false};
                }
            }
            // no unk token: the reference drops the character, and so do we
        }
        pos += length;
    }
    flush_unk();
    for (std::size_t i = 0; i < symbols.size(); ++i) {
        symbols[i].prev = static_cast<int>(i) - 1;
        symbols[i].next = i + 1 < symbols.size() ? static_cast<int>(i) + 1 : -1;
    }
    return symbols;
}

void BpeModel::merge_word(const std::string& word, std::vector<ModelToken>& tokens) const {
    std::vector<Symbol> symbols = initial_symbols(word);
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
    auto consider = [&](int left) {
        const int right = symbols[left].next;
        if (right < 0) return;
        const auto it = m_merges.find(pair_key(symbols[left].id, symbols[right].id));
        if (it != m_merges.end()) queue.push(Candidate{it->second.rank, left, it->second.new_id});
    };
    for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) consider(i);

    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol& left = symbols[top.pos];
        if (left.removed || left.next < 0) continue;
        // The queue keeps stale entries; this one still holds only if the pair still merges to it.
        const auto it = m_merges.find(pair_key(left.id, symbols[left.next].id));
        if (it == m_merges.end() || it->second.new_id != top.new_id) continue;
        Symbol& right = symbols[left.next];
        left.id = top.new_id;
        left.end = right.end;
        left.unknown = false;
        left.next = right.next;
        right.removed = true;
        if (left.next >= 0) symbols[left.next].prev = top.pos;
        if (left.prev >= 0) consider(left.prev);
        consider(top.pos);
    }
    for (const Symbol& s : symbols)
        if (!s.removed) tokens.push_back(ModelToken{s.id, s.start, s.end, s.unknown});
}

}  // namespace

// [SECTION] Loading

std::unique_ptr<Model> make_bpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                const BpeOptions& options, const std::function<std::string(std::size_t)>& where) {
    std::unordered_map<std::uint64_t, Merge> table;
    table.reserve(merges.size());
    const std::size_t prefix_length = options.continuing_subword_prefix.size();
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        const auto& [a, b] = merges[rank];
        const auto left = vocab.find(a);
        const auto right = vocab.find(b);
        if (!left || !right)
            fail(where(rank), "expected two tokens of the vocabulary, got '" + (left ? b : a) +
                                               "', which is not in it");
        // The right half drops its continuing-subword prefix when glued on ("a" + "##b" -> "ab").
        const bool prefixed = prefix_length > 0 && b.compare(0, prefix_length, options.continuing_subword_prefix) == 0;
        const std::string merged = a + (prefixed ? b.substr(prefix_length) : b);
        const auto merged_id = vocab.find(merged);
        if (!merged_id)
            fail(where(rank), "expected the merged token '" + merged + "' in the vocabulary, got nothing");
        // a pair listed twice keeps its later rank, as in the reference
        table[pair_key(*left, *right)] = Merge{static_cast<int>(rank), *merged_id};
    }
    return std::make_unique<BpeModel>(std::move(vocab), std::move(table), options);
}

std::unique_ptr<Model> make_bpe_ranked(Vocab vocab, const std::vector<RankedMerge>& merges, const BpeOptions& options) {
    std::unordered_map<std::uint64_t, Merge> table;
    table.reserve(merges.size());
    for (const RankedMerge& m : merges) table[pair_key(m.left, m.right)] = Merge{m.rank, m.merged};
    return std::make_unique<BpeModel>(std::move(vocab), std::move(table), options);
}

std::unique_ptr<Model> make_bpe_from_json(const json& config, const std::string& path) {
    Vocab vocab = parse_vocab(require(config, path, "vocab"), child(path, "vocab"));
    const std::string merges_path = child(path, "merges");
    const json& list = require(config, path, "merges");
    expect_array(list, merges_path);
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
        const json& merge = list[i];
        if (merge.is_string()) {  // "left right"
            const std::string& s = merge.get_ref<const std::string&>();
            const std::size_t space = s.find(' ');
            if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
                fail(index(merges_path, i), "expected 'left right' (one space), got '" + s + "'");
            merges.emplace_back(s.substr(0, space), s.substr(space + 1));
        } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
            merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
        } else {
            fail(index(merges_path, i), "expected \"left right\" or [\"left\", \"right\"], got " + describe(merge));
        }
    }
    BpeOptions options;
    options.unk_token = get_optional_string(config, path, "unk_token");
    options.continuing_subword_prefix = get_optional_string(config, path, "continuing_subword_prefix").value_or("");
    options.end_of_word_suffix = get_optional_string(config, path, "end_of_word_suffix").value_or("");
    options.fuse_unk = get_bool(config, path, "fuse_unk", false);
    options.byte_fallback = get_bool(config, path, "byte_fallback", false);
    options.ignore_merges = get_bool(config, path, "ignore_merges", false);
    // "dropout" only matters when training: encoding here is deterministic, as inference is.
    return make_bpe(std::move(vocab), merges, options, [&](std::size_t i) { return index(merges_path, i); });
}

}  // namespace attnscope::hf
