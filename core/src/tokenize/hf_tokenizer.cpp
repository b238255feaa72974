// The Hugging Face tokenizer: the encode pipeline, added tokens, and loading (tokenizer.json, or
// the older file layouts through hf_tokenizer_files.cpp). The components live in their own files.
//
// [SECTION] Added tokens
// [SECTION] HfTokenizer
// [SECTION] tokenizer.json
// [SECTION] Public entry points
#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_set>
#include <utility>

#include <utf8proc.h>

#include "tokenize/hf_tokenizer.h"
#include "attnscope/text.h"
#include "tokenize/gguf_tokenizer.h"
#include "tokenize/hf_tokenizer_internal.h"
#include "tokenize/sentencepiece_tokenizer.h"
#include "util/file_read.h"

namespace attnscope::hf {

namespace {

// [SECTION] Added tokens

// The added tokens' contents, for leftmost-longest matching (the reference's Aho-Corasick):
// scan the text, and at each byte take the longest content that starts there.
class AddedTrie {
public:
    void insert(const std::string& content, int token) {
        int node = 0;
        for (const char ch : content) {
            const auto b = static_cast<unsigned char>(ch);
            int next = child_of(node, b);
            if (next < 0) {
                next = static_cast<int>(m_nodes.size());
                m_nodes[static_cast<std::size_t>(node)].children.emplace_back(b, next);
                m_nodes.emplace_back();
            }
            node = next;
        }
        m_nodes[static_cast<std::size_t>(node)].token = token;
        m_first[static_cast<unsigned char>(content[0])] = true;
    }

    bool may_start(unsigned char b) const { return m_first[b]; }

    // {length, token} of the longest content at text[pos]; length 0 when none starts there.
    std::pair<std::size_t, int> longest_at(std::string_view text, std::size_t pos) const {
        std::pair<std::size_t, int> best{0, -1};
        int node = 0;
        for (std::size_t i = pos; i < text.size(); ++i) {
            node = child_of(node, static_cast<unsigned char>(text[i]));
            if (node < 0) break;
            if (m_nodes[static_cast<std::size_t>(node)].token >= 0)
                best = {i + 1 - pos, m_nodes[static_cast<std::size_t>(node)].token};
        }
        return best;
    }

private:
    struct Node {
        std::vector<std::pair<unsigned char, int>> children;
        int token = -1;
    };
    int child_of(int node, unsigned char b) const {
        for (const auto& [byte, next] : m_nodes[static_cast<std::size_t>(node)].children)
            if (byte == b) return next;
        return -1;
    }

    std::vector<Node> m_nodes{1};
    std::array<bool, 256> m_first{};
};

// A stretch of text: an added token's match (token >= 0) or the text between matches.
struct Section {
    std::size_t start;
    std::size_t end;
    int token;
};

bool is_word_char(char32_t c) {  // \w as the reference's regex crate reads it
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_PC:
            return true;
        default:
            return false;
    }
}

// Splits `text` at the added tokens found by `trie`, honouring each token's single_word (match
// only between non-word characters), lstrip and rstrip (swallow the whitespace beside it).
std::vector<Section> find_sections(std::string_view text, const AddedTrie& trie, const std::vector<AddedToken>& added) {
    std::vector<Section> sections;
    std::size_t done = 0;  // text before this is in `sections`
    std::size_t length = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        if (!trie.may_start(static_cast<unsigned char>(text[pos]))) { ++pos; continue; }
        const auto [match_length, token] = trie.longest_at(text, pos);
        if (match_length == 0) { ++pos; continue; }
        std::size_t start = pos;
        std::size_t stop = pos + match_length;
        pos = stop;
        const AddedToken& t = added[static_cast<std::size_t>(token)];
        if (t.single_word) {
            const bool word_before = start > 0 && is_word_char(decode_utf8_at(text, utf8_previous_char_start(text, start), length));
            const bool word_after = stop < text.size() && is_word_char(decode_utf8_at(text, stop, length));
            if (word_before || word_after) continue;  // inside a word: not this token
        }
        if (t.lstrip)
            while (start > done && is_whitespace(decode_utf8_at(text, utf8_previous_char_start(text, start), length)))
                start = utf8_previous_char_start(text, start);
        if (t.rstrip) {
            while (stop < text.size() && is_whitespace(decode_utf8_at(text, stop, length))) stop += length;
            pos = stop;
        }
        if (done < start) sections.push_back({done, start, -1});
        sections.push_back({start, stop, token});
        done = stop;
    }
    if (done < text.size()) sections.push_back({done, text.size(), -1});
    return sections;
}

// [SECTION] HfTokenizer

class HfTokenizer final : public Tokenizer {
public:
    explicit HfTokenizer(TokenizerParts parts) : m_parts(std::move(parts)) {
        const Vocab& vocab = m_parts.model->vocab();
        m_vocab_size = static_cast<int>(vocab.pieces.size());
        for (std::size_t i = 0; i < m_parts.added_tokens.size(); ++i) {
            AddedToken& t = m_parts.added_tokens[i];
            // Content the model's vocabulary holds keeps the model's id, as in the reference (which
            // only warns when the file gives another): one piece, one id, whatever the file claims.
            if (const std::optional<int> id = vocab.find(t.content)) t.id = *id;
            m_added_by_id[t.id] = static_cast<int>(i);
            m_added_by_content[t.content] = t.id;
            if (t.special) m_special_ids.insert(t.id);
            m_vocab_size = std::max(m_vocab_size, t.id + 1);
            if (t.content.empty()) continue;
            // Tokens marked "normalized" are looked for in the normalized text, in normalized form.
            if (t.normalized && m_parts.normalizer) {
                AlignedText content = AlignedText::from_original(t.content, 0, t.content.size());
                m_parts.normalizer->normalize(content);
                if (!content.empty()) m_normalized_trie.insert(content.text, static_cast<int>(i));
            } else if (t.normalized) {
                m_normalized_trie.insert(t.content, static_cast<int>(i));
            } else {
                m_raw_trie.insert(t.content, static_cast<int>(i));
            }
        }
        m_kind = m_parts.model->kind();
        if (m_kind == "bpe" && m_parts.pre_tokenizer && m_parts.pre_tokenizer->is_byte_level()) m_kind = "bpe (byte-level)";
    }

    Result<std::vector<Token>> encode(std::string_view text) const override {
        if (const auto bad = first_invalid_utf8(text)) {
            char byte[8];
            std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[*bad]));
            return Error{"text: expected UTF-8, got the byte " + std::string(byte) + " at byte offset " +
                         std::to_string(*bad)};
        }
        try {
            std::vector<Token> tokens;
            ModelCache cache;
            for (const Section& raw : find_sections(text, m_raw_trie, m_parts.added_tokens)) {
                if (raw.token >= 0) {
                    tokens.push_back(added_token(raw.token, Span{raw.start, raw.end}));
                    continue;
                }
                AlignedText normalized = AlignedText::from_original(text, raw.start, raw.end);
                if (m_parts.normalizer) m_parts.normalizer->normalize(normalized);
                for (const Section& s : find_sections(normalized.text, m_normalized_trie, m_parts.added_tokens)) {
                    if (s.token >= 0) tokens.push_back(added_token(s.token, normalized.original_span(s.start, s.end)));
                    else encode_words(normalized.slice(s.start, s.end), cache, tokens);
                }
            }
            if (m_parts.post_processor) m_parts.post_processor->process(tokens, text.size());
            return tokens;
        } catch (const std::exception& e) {  // a regex engine limit; the text itself was fine
            return Error{std::string("text: ") + valid_utf8(e.what())};
        }
    }

    std::string decode(const std::vector<int>& ids) const override {
        std::vector<std::string> pieces;
        for (const int id : ids) {
            if (m_special_ids.count(id) != 0) continue;
            std::string p = piece(id);
            if (!p.empty()) pieces.push_back(std::move(p));
        }
        if (!m_parts.decoder) {  // the reference joins with spaces when a file has no decoder
            std::string out;
            for (std::size_t i = 0; i < pieces.size(); ++i) out += (i ? " " : "") + pieces[i];
            return out;
        }
        m_parts.decoder->decode_chain(pieces);
        std::string out;
        for (const std::string& p : pieces) out += p;
        return out;
    }

    std::string kind() const override { return m_kind; }
    int vocab_size() const override { return m_vocab_size; }

    std::string piece(int id) const override {
        const auto added = m_added_by_id.find(id);
        if (added != m_added_by_id.end()) return m_parts.added_tokens[static_cast<std::size_t>(added->second)].content;
        const auto& pieces = m_parts.model->vocab().pieces;
        if (id < 0 || static_cast<std::size_t>(id) >= pieces.size()) return "";
        return pieces[static_cast<std::size_t>(id)];
    }

    std::optional<int> find(std::string_view piece) const override {
        const std::string key(piece);
        const auto added = m_added_by_content.find(key);
        if (added != m_added_by_content.end()) return added->second;
        return m_parts.model->vocab().find(key);
    }

private:
    Token added_token(int index, Span span) const {
        const AddedToken& t = m_parts.added_tokens[static_cast<std::size_t>(index)];
        Token out;
        out.id = t.id;
        out.piece = t.content;
        out.start = span.start;
        out.end = span.end;
        out.special = t.special;
        return out;
    }

    // Pre-tokenizes one stretch of normalized text and runs the model on every word.
    void encode_words(const AlignedText& text, ModelCache& cache, std::vector<Token>& tokens) const {
        if (text.empty()) return;
        std::vector<AlignedText> words;
        if (m_parts.pre_tokenizer) m_parts.pre_tokenizer->split(text, words);
        else words.push_back(text);
        std::vector<ModelToken> made;
        const auto& pieces = m_parts.model->vocab().pieces;
        for (const AlignedText& word : words) {
            made.clear();
            m_parts.model->tokenize(word.text, cache, made);
            for (std::size_t k = 0; k < made.size(); ++k) {
                const ModelToken& m = made[k];
                const Span span = word.original_span(m.start, m.end);
                Token t;
                t.id = m.id;
                t.piece = pieces[static_cast<std::size_t>(m.id)];
                t.start = span.start;
                t.end = span.end;
                t.unknown = m.unknown;
                t.continues_word = m_parts.model->continues_word(t.piece, k == 0);
                tokens.push_back(std::move(t));
            }
        }
    }

    TokenizerParts m_parts;
    AddedTrie m_raw_trie;         // added tokens matched in the text as typed
    AddedTrie m_normalized_trie;  // added tokens matched after normalization
    std::unordered_map<int, int> m_added_by_id;  // id -> index into added_tokens
    std::unordered_map<std::string, int> m_added_by_content;
    std::unordered_set<int> m_special_ids;
    std::string m_kind;
    int m_vocab_size = 0;
};

// [SECTION] tokenizer.json

std::vector<AddedToken> parse_added_tokens(const json& root) {
    std::vector<AddedToken> out;
    const json* list = optional(root, "added_tokens");
    if (list == nullptr) return out;
    expect_array(*list, "added_tokens");
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string path = index("added_tokens", i);
        const json& item = (*list)[i];
        expect_object(item, path);
        AddedToken t;
        const long long id = get_int(item, path, "id", -1);
        if (id < 0 || id > std::numeric_limits<int>::max() / 2)
            fail(child(path, "id"), "expected a non-negative integer id, got " + describe(require(item, path, "id")));
        t.id = static_cast<int>(id);
        t.content = get_string(item, path, "content");
        t.single_word = get_bool(item, path, "single_word", false);
        t.lstrip = get_bool(item, path, "lstrip", false);
        t.rstrip = get_bool(item, path, "rstrip", false);
        t.special = get_bool(item, path, "special", false);
        t.normalized = get_bool(item, path, "normalized", !t.special);
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace

std::shared_ptr<const Tokenizer> build_tokenizer(TokenizerParts parts) {
    if (!parts.model) throw LoadError("model: expected a model, got none");
    return std::make_shared<const HfTokenizer>(std::move(parts));
}

std::shared_ptr<const Tokenizer> parse_tokenizer_json(std::string_view text) {
    json root;
    try {
        root = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        throw LoadError("expected JSON, got a syntax error at byte " + std::to_string(e.byte) + " (" + valid_utf8(e.what()) + ")");
    }
    if (!root.is_object()) throw LoadError("expected a JSON object at the top level, got " + describe(root));
    TokenizerParts parts;
    parts.model = make_model(require(root, "", "model"), "model");
    if (const json* n = optional(root, "normalizer")) parts.normalizer = make_normalizer(*n, "normalizer");
    if (const json* p = optional(root, "pre_tokenizer")) parts.pre_tokenizer = make_pre_tokenizer(*p, "pre_tokenizer");
    if (const json* p = optional(root, "post_processor")) parts.post_processor = make_post_processor(*p, "post_processor");
    if (const json* d = optional(root, "decoder")) parts.decoder = make_decoder(*d, "decoder");
    parts.added_tokens = parse_added_tokens(root);
    return build_tokenizer(std::move(parts));
}

}  // namespace attnscope::hf

// [SECTION] Public entry points

namespace attnscope {

namespace {

namespace fs = std::filesystem;
using hf::json;

// A file of the folder counts as there when anything has its name (a FIFO, an unreadable file, a
// link loop), so reading it reports what is wrong with it instead of "got none of them".
bool present(const fs::path& file) {
    std::error_code ec;
    return fs::symlink_status(file, ec).type() != fs::file_type::not_found && !ec;
}

// Tokenizer files of real models stay well under this (Llama 3's tokenizer.json: 9 MB, Gemma's
// 256k-token one: 33 MB); the JSON tree takes about six times the file.
std::string read_whole_file(const fs::path& file) {
    return read_text_file(file, std::uint64_t{256} << 20, "a tokenizer file");
}

// Runs a parser and turns what it throws into an Error that starts with `name` (when given).
template <class Parse>
Result<std::shared_ptr<const Tokenizer>> guarded(const std::string& name, Parse parse) {
    const std::string prefix = name.empty() ? "" : name + ": ";
    try {
        return parse();
    } catch (const LoadError& e) {
        return Error{prefix + valid_utf8(e.what())};
    } catch (const json::exception& e) {
        return Error{prefix + "unexpected JSON content (" + valid_utf8(e.what()) + ")"};
    } catch (const std::bad_alloc&) {
        return Error{prefix + "too large to load into memory"};
    }
}

// tokenizer_config.json beside the vocabulary files, or an empty object when there is none.
json read_tokenizer_config(const fs::path& dir) {
    const fs::path file = dir / "tokenizer_config.json";
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return json::object();
    json config;
    try {
        const std::string text = read_whole_file(file);
        config = json::parse(text);
    } catch (const LoadError& e) {
        throw LoadError(file.string() + ": " + valid_utf8(e.what()));
    } catch (const json::parse_error& e) {
        throw LoadError(file.string() + ": expected JSON, got a syntax error at byte " + std::to_string(e.byte));
    }
    if (!config.is_object()) throw LoadError(file.string() + ": expected a JSON object, got " + hf::describe(config));
    return config;
}

// A .spm or .model file: one side of a Marian folder (source.spm, target.spm beside vocab.json),
// else a lone SentencePiece model.
Result<std::shared_ptr<const Tokenizer>> load_spm_file(const fs::path& file) {
    const fs::path dir = file.parent_path();
    if (is_marian_folder(dir) && (file.filename() == "source.spm" || file.filename() == "target.spm"))
        return load_marian_tokenizer(dir, file.filename() == "source.spm" ? MarianSide::Source : MarianSide::Target);
    return load_sentencepiece_tokenizer(file);
}

hf::FileText read_named(const fs::path& file) {
    try {
        return hf::FileText{file.string(), read_whole_file(file)};
    } catch (const LoadError& e) {
        throw LoadError(file.string() + ": " + valid_utf8(e.what()));
    }
}

}  // namespace

Result<std::shared_ptr<const Tokenizer>> load_hf_tokenizer_json(std::string_view json_text, std::string_view name) {
    return guarded(std::string(name), [&] { return hf::parse_tokenizer_json(json_text); });
}

Result<std::shared_ptr<const Tokenizer>> load_hf_tokenizer_file(const fs::path& tokenizer_json) {
    return guarded(tokenizer_json.string(), [&] { return hf::parse_tokenizer_json(read_whole_file(tokenizer_json)); });
}

Result<std::shared_ptr<const Tokenizer>> load_tokenizer_files(const fs::path& path) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec) && looks_like_gguf(path)) return load_gguf_tokenizer_file(path);
    return load_hf_tokenizer(path);
}

Result<std::shared_ptr<const Tokenizer>> load_hf_tokenizer(const fs::path& model_dir) {
    std::error_code ec;
    fs::path dir = model_dir;
    if (fs::is_regular_file(model_dir, ec)) {
        if (model_dir.filename() == "tokenizer.json") return load_hf_tokenizer_file(model_dir);
        if (model_dir.extension() == ".spm" || model_dir.extension() == ".model") return load_spm_file(model_dir);
        dir = model_dir.parent_path();  // config.json or another file of the folder
    }
    if (!fs::is_directory(dir, ec))
        return Error{model_dir.string() + ": expected a model folder, got " +
                     (fs::exists(model_dir, ec) ? "something else" : "nothing (it does not exist)")};
    if (present(dir / "tokenizer.json")) return load_hf_tokenizer_file(dir / "tokenizer.json");
    // The older layouts: messages name the file at fault themselves.
    if (present(dir / "vocab.json") && present(dir / "merges.txt"))
        return guarded("", [&] {
            return hf::parse_gpt2_files(read_named(dir / "vocab.json"), read_named(dir / "merges.txt"),
                                        read_tokenizer_config(dir));
        });
    if (is_marian_folder(dir)) return load_marian_tokenizer(dir, MarianSide::Source);
    if (present(dir / "vocab.txt"))
        return guarded("", [&] { return hf::parse_bert_vocab(read_named(dir / "vocab.txt"), read_tokenizer_config(dir)); });
    std::string hint;
    if (fs::exists(dir / "tokenizer.model", ec))
        hint = "; tokenizer.model (sentencepiece) is not read: save the tokenizer with Hugging Face tokenizers to get "
               "tokenizer.json";
    return Error{dir.string() + ": expected tokenizer.json, vocab.json + merges.txt, or vocab.txt (or Marian's "
                 "source.spm + vocab.json), got none of them" + hint};
}

}  // namespace attnscope
