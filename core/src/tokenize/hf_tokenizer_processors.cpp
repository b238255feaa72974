// Post-processors (the special tokens put around an encoded text: [CLS] ... [SEP], <s> ...) and
// decoders (ids back to printable text) of tokenizer.json.
//
// [SECTION] Post-processors
// [SECTION] Decoders
// [SECTION] Factories
#include <algorithm>
#include <limits>
#include <utility>

#include "tokenize/hf_tokenizer_internal.h"

namespace attnscope::hf {

namespace {

// [SECTION] Post-processors

struct SpecialTokens {
    std::vector<int> ids;
    std::vector<std::string> pieces;
};

// A template: special tokens and the slot ($A) where the encoded text goes.
struct TemplateItem {
    bool is_sequence = false;
    SpecialTokens special;  // when !is_sequence
};

class TemplateProcessor final : public PostProcessor {
public:
    explicit TemplateProcessor(std::vector<TemplateItem> items) : m_items(std::move(items)) {}

    void process(std::vector<Token>& tokens, std::size_t text_size) const override {
        std::vector<Token> out;
        out.reserve(tokens.size() + m_items.size());
        bool before_text = true;
        for (const TemplateItem& item : m_items) {
            if (item.is_sequence) {
                out.insert(out.end(), tokens.begin(), tokens.end());
                before_text = false;
                continue;
            }
            // Added tokens cover no text: they sit at the start or the end of it (start == end).
            const std::size_t at = before_text ? 0 : text_size;
            for (std::size_t k = 0; k < item.special.ids.size(); ++k) {
                Token t;
                t.id = item.special.ids[k];
                t.piece = item.special.pieces[k];
                t.start = t.end = at;
                t.special = true;
                out.push_back(std::move(t));
            }
        }
        tokens = std::move(out);
    }

private:
    std::vector<TemplateItem> m_items;
};

class SequenceProcessor final : public PostProcessor {
public:
    explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> parts) : m_parts(std::move(parts)) {}
    void process(std::vector<Token>& tokens, std::size_t text_size) const override {
        for (const auto& part : m_parts) part->process(tokens, text_size);
    }

private:
    std::vector<std::unique_ptr<PostProcessor>> m_parts;
};

class NoOpProcessor final : public PostProcessor {
public:
    void process(std::vector<Token>&, std::size_t) const override {}
};

// A special token's id: an integer in the range the vocabulary's ids are held to (get<int>()
// alone turns 2147483648 into a negative id).
bool is_token_id(const json& value) {
    return value.is_number_integer() && value.get<long long>() >= 0 &&
           value.get<long long>() <= std::numeric_limits<int>::max() / 2;
}

// "cls": ["[CLS]", 101] as BertProcessing and RobertaProcessing give it.
SpecialTokens parse_pair(const json& config, const std::string& path, const char* key) {
    const json& pair = require(config, path, key);
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !is_token_id(pair[1]))
        fail(child(path, key), "expected [\"token\", id], got " + describe(pair));
    return SpecialTokens{{pair[1].get<int>()}, {pair[0].get<std::string>()}};
}

// One entry of TemplateProcessing's "special_tokens" map, by name:
// {"[CLS]": {"id": "[CLS]", "ids": [101], "tokens": ["[CLS]"]}, ...}. `where` names the template
// item that asked for it, so an unknown name is reported where it was written.
SpecialTokens template_special(const json* specials, const std::string& specials_path, const std::string& name,
                               const std::string& where) {
    if (specials == nullptr || !specials->contains(name))
        fail(where, "expected a key of " + specials_path + ", got '" + name + "'");
    const json& entry = (*specials)[name];
    const std::string entry_path = child(specials_path, name);
    expect_object(entry, entry_path);
    const json& ids = require(entry, entry_path, "ids");
    const json& pieces = require(entry, entry_path, "tokens");
    if (!ids.is_array() || !pieces.is_array() || ids.size() != pieces.size())
        fail(entry_path, "expected \"ids\" and \"tokens\" arrays of one length, got " + describe(ids) + " and " +
                             describe(pieces));
    SpecialTokens out;
    for (std::size_t k = 0; k < ids.size(); ++k) {
        if (!is_token_id(ids[k]) || !pieces[k].is_string())
            fail(entry_path, "expected integer ids and string tokens, got " + describe(ids[k]) + " and " + describe(pieces[k]));
        out.ids.push_back(ids[k].get<int>());
        out.pieces.push_back(pieces[k].get<std::string>());
    }
    return out;
}

// Builds the item list of a template's "single" form. Names are "$A" / "$0" (the text), "$B" /
// "$1" (a second text: never present here, skipped) or a special token; ":0" type ids are dropped.
class TemplateItems {
public:
    TemplateItems(const json* specials, std::string specials_path)
        : m_specials(specials), m_specials_path(std::move(specials_path)) {}

    void add_named(std::string name, const std::string& where) {
        if (const auto colon = name.rfind(':'); colon != std::string::npos && colon > 0) name.resize(colon);
        TemplateItem item;
        if (name == "$" || name == "$A" || name == "$0") item.is_sequence = true;
        else if (name == "$B" || name == "$1") return;  // the second text of a pair: never here
        else item.special = template_special(m_specials, m_specials_path, name, where);
        m_items.push_back(std::move(item));
    }
    void add_sequence() { m_items.push_back(TemplateItem{true, {}}); }
    std::vector<TemplateItem> take() { return std::move(m_items); }

private:
    const json* m_specials;
    std::string m_specials_path;
    std::vector<TemplateItem> m_items;
};

// The compact string form: "[CLS]:0 $A:0 [SEP]:0".
void add_template_string(TemplateItems& items, const std::string& s, const std::string& where) {
    std::size_t pos = 0;
    while ((pos = s.find_first_not_of(' ', pos)) != std::string::npos) {
        const std::size_t end = std::min(s.find(' ', pos), s.size());
        items.add_named(s.substr(pos, end - pos), where);
        pos = end;
    }
}

// The list form: [{"SpecialToken": {"id": "[CLS]"}}, {"Sequence": {"id": "A"}}, ...] (plain
// strings are taken as names too).
void add_template_list(TemplateItems& items, const json& single, const std::string& single_path) {
    expect_array(single, single_path);
    for (std::size_t i = 0; i < single.size(); ++i) {
        const std::string item_path = index(single_path, i);
        const json& item = single[i];
        if (item.is_string()) {
            items.add_named(item.get<std::string>(), item_path);
        } else if (item.is_object() && item.contains("SpecialToken")) {
            items.add_named(get_string(item["SpecialToken"], child(item_path, "SpecialToken"), "id"),
                            child(child(item_path, "SpecialToken"), "id"));
        } else if (item.is_object() && item.contains("Sequence")) {
            const std::string id = get_string(item["Sequence"], child(item_path, "Sequence"), "id");
            if (id == "A") items.add_sequence();
            else if (id != "B") fail(child(child(item_path, "Sequence"), "id"), "expected A or B, got '" + id + "'");
        } else {
            fail(item_path, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}, got " + describe(item));
        }
    }
}

std::unique_ptr<PostProcessor> make_template(const json& config, const std::string& path) {
    const std::string specials_path = child(path, "special_tokens");
    const json* specials = optional(config, "special_tokens");
    if (specials != nullptr) expect_object(*specials, specials_path);
    TemplateItems items(specials, specials_path);
    const std::string single_path = child(path, "single");
    const json& single = require(config, path, "single");
    if (single.is_string()) add_template_string(items, single.get<std::string>(), single_path);
    else add_template_list(items, single, single_path);
    return std::make_unique<TemplateProcessor>(items.take());
}

// [SECTION] Decoders

// GPT-2's printable characters back to bytes, then the bytes to text.
class ByteLevelDecoder final : public Decoder {
public:
    void decode_chain(std::vector<std::string>& tokens) const override {
        std::string bytes;
        for (const std::string& token : tokens) {
            std::string token_bytes;
            bool all_mapped = true;
            for (std::size_t pos = 0; pos < token.size() && all_mapped;) {
                std::size_t length = 0;
                const auto byte = char_to_byte(decode_utf8_at(token, pos, length));
                if (byte) token_bytes += static_cast<char>(*byte);
                else all_mapped = false;
                pos += length;
            }
            bytes += all_mapped ? token_bytes : token;  // a token outside the table stays as it is
        }
        tokens.assign(1, utf8_lossy(bytes));
    }
};

class MetaspaceDecoder final : public Decoder {
public:
    MetaspaceDecoder(std::string replacement, bool drop_first) : m_replacement(std::move(replacement)), m_drop_first(drop_first) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            std::string out;
            const std::string& t = tokens[i];
            for (std::size_t pos = 0; pos < t.size();) {
                if (t.compare(pos, m_replacement.size(), m_replacement) == 0) {
                    if (!(i == 0 && m_drop_first)) out += ' ';  // the prepended word start goes
                    pos += m_replacement.size();
                } else {
                    out += t[pos++];
                }
            }
            tokens[i] = std::move(out);
        }
    }

private:
    std::string m_replacement;
    bool m_drop_first;
};

// "##ing" glues onto the previous piece; any other piece starts a word after a space.
class WordPieceDecoder final : public Decoder {
public:
    WordPieceDecoder(std::string prefix, bool cleanup) : m_prefix(std::move(prefix)), m_cleanup(cleanup) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            std::string& t = tokens[i];
            if (i != 0) {
                if (!m_prefix.empty() && t.compare(0, m_prefix.size(), m_prefix) == 0) t.erase(0, m_prefix.size());
                else t.insert(0, " ");
            }
            if (m_cleanup) t = cleanup(t);
        }
    }

private:
    // The reference's clean-up of spaces before punctuation and contractions.
    static std::string cleanup(std::string s) {
        static const std::pair<const char*, const char*> kRules[] = {
            {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
            {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
        for (const auto& [from, to] : kRules) {
            const std::string f = from;
            const std::string r = to;
            for (std::size_t pos = s.find(f); pos != std::string::npos; pos = s.find(f, pos + r.size()))
                s.replace(pos, f.size(), r);
        }
        return s;
    }

    std::string m_prefix;
    bool m_cleanup;
};

// Runs of <0xXX> tokens become the bytes they name (one U+FFFD per byte if not valid UTF-8).
class ByteFallbackDecoder final : public Decoder {
public:
    void decode_chain(std::vector<std::string>& tokens) const override {
        std::vector<std::string> out;
        std::string bytes;
        auto flush = [&] {
            if (bytes.empty()) return;
            if (!first_invalid_utf8(bytes)) out.push_back(bytes);
            else for (std::size_t k = 0; k < bytes.size(); ++k) out.emplace_back("\xEF\xBF\xBD");
            bytes.clear();
        };
        for (std::string& t : tokens) {
            if (const auto byte = parse_byte(t)) {
                bytes += static_cast<char>(*byte);
            } else {
                flush();
                out.push_back(std::move(t));
            }
        }
        flush();
        tokens = std::move(out);
    }

private:
    static std::optional<unsigned char> parse_byte(const std::string& t) {
        if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return std::nullopt;
        auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            return -1;
        };
        const int hi = hex(t[3]);
        const int lo = hex(t[4]);
        if (hi < 0 || lo < 0) return std::nullopt;
        return static_cast<unsigned char>(hi * 16 + lo);
    }
};

class FuseDecoder final : public Decoder {
public:
    void decode_chain(std::vector<std::string>& tokens) const override {
        std::string all;
        for (const std::string& t : tokens) all += t;
        tokens.assign(1, all);
    }
};

// Removes up to `start` leading and `stop` trailing copies of one character from each token.
class StripDecoder final : public Decoder {
public:
    StripDecoder(std::string content, std::size_t start, std::size_t stop)
        : m_content(std::move(content)), m_start(start), m_stop(stop) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        const std::size_t n = m_content.size();
        for (std::string& t : tokens) {
            for (std::size_t k = 0; k < m_start && n > 0 && t.compare(0, n, m_content) == 0; ++k) t.erase(0, n);
            for (std::size_t k = 0; k < m_stop && n > 0 && t.size() >= n && t.compare(t.size() - n, n, m_content) == 0; ++k)
                t.resize(t.size() - n);
        }
    }

private:
    std::string m_content;
    std::size_t m_start;
    std::size_t m_stop;
};

class ReplaceDecoder final : public Decoder {
public:
    ReplaceDecoder(Pattern pattern, std::string content) : m_pattern(std::move(pattern)), m_content(std::move(content)) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        for (std::string& t : tokens) {
            std::string out;
            std::size_t copied = 0;
            for (const auto& [start, end] : m_pattern.find_all(t)) {
                if (start == end) continue;
                out.append(t, copied, start - copied);
                out += m_content;
                copied = end;
            }
            out.append(t, copied, std::string::npos);
            t = std::move(out);
        }
    }

private:
    Pattern m_pattern;
    std::string m_content;
};

// End-of-word suffixes ("</w>") become spaces, except on the last token.
class BpeDecoder final : public Decoder {
public:
    explicit BpeDecoder(std::string suffix) : m_suffix(std::move(suffix)) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        if (m_suffix.empty()) return;
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            std::string& t = tokens[i];
            const std::string with = i + 1 == tokens.size() ? "" : " ";
            for (std::size_t pos = t.find(m_suffix); pos != std::string::npos; pos = t.find(m_suffix, pos + with.size()))
                t.replace(pos, m_suffix.size(), with);
        }
    }

private:
    std::string m_suffix;
};

class SequenceDecoder final : public Decoder {
public:
    explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : m_parts(std::move(parts)) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        for (const auto& part : m_parts) part->decode_chain(tokens);
    }

private:
    std::vector<std::unique_ptr<Decoder>> m_parts;
};

std::size_t get_count(const json& config, const std::string& path, const char* key) {
    const long long n = get_int(config, path, key, 0);
    if (n < 0) fail(child(path, key), "expected a count, got " + std::to_string(n));
    return static_cast<std::size_t>(n);
}

}  // namespace

// [SECTION] Factories

std::unique_ptr<PostProcessor> make_post_processor(const json& config, const std::string& path) {
    const std::string type = type_of(config, path);
    if (type == "TemplateProcessing") return make_template(config, path);
    if (type == "BertProcessing" || type == "RobertaProcessing") {
        std::vector<TemplateItem> items(3);
        items[0].special = parse_pair(config, path, "cls");
        items[1].is_sequence = true;
        items[2].special = parse_pair(config, path, "sep");
        return std::make_unique<TemplateProcessor>(std::move(items));
    }
    if (type == "ByteLevel") return std::make_unique<NoOpProcessor>();  // only trims offsets; ours never need it
    if (type == "Sequence") {
        check_nesting(path);
        const std::string list_path = child(path, "processors");
        const json& list = require(config, path, "processors");
        expect_array(list, list_path);
        std::vector<std::unique_ptr<PostProcessor>> parts;
        for (std::size_t i = 0; i < list.size(); ++i) parts.push_back(make_post_processor(list[i], index(list_path, i)));
        return std::make_unique<SequenceProcessor>(std::move(parts));
    }
    fail(child(path, "type"), "unsupported post-processor '" + type + "'");
}

std::unique_ptr<Decoder> make_decoder(const json& config, const std::string& path) {
    const std::string type = type_of(config, path);
    if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
    if (type == "Metaspace") {
        bool drop_first = get_bool(config, path, "add_prefix_space", true);
        if (const auto scheme = get_optional_string(config, path, "prepend_scheme")) drop_first = *scheme != "never";
        return std::make_unique<MetaspaceDecoder>(get_optional_string(config, path, "replacement").value_or("\xE2\x96\x81"),
                                                  drop_first);
    }
    if (type == "WordPiece")
        return std::make_unique<WordPieceDecoder>(get_optional_string(config, path, "prefix").value_or("##"),
                                                  get_bool(config, path, "cleanup", true));
    if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
    if (type == "Fuse") return std::make_unique<FuseDecoder>();
    if (type == "Strip")
        return std::make_unique<StripDecoder>(get_string(config, path, "content"), get_count(config, path, "start"),
                                              get_count(config, path, "stop"));
    if (type == "Replace")
        return std::make_unique<ReplaceDecoder>(Pattern(require(config, path, "pattern"), child(path, "pattern")),
                                                get_string(config, path, "content"));
    if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(get_optional_string(config, path, "suffix").value_or("</w>"));
    if (type == "Sequence") {
        check_nesting(path);
        const std::string list_path = child(path, "decoders");
        const json& list = require(config, path, "decoders");
        expect_array(list, list_path);
        std::vector<std::unique_ptr<Decoder>> parts;
        for (std::size_t i = 0; i < list.size(); ++i) parts.push_back(make_decoder(list[i], index(list_path, i)));
        return std::make_unique<SequenceDecoder>(std::move(parts));
    }
    fail(child(path, "type"), "unsupported decoder '" + type + "'");
}

}  // namespace attnscope::hf
