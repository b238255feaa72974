// The folder layouts older than tokenizer.json, read as the Hugging Face converters read them:
// - vocab.json + merges.txt: GPT-2's byte-level BPE (ByteLevel pre-tokenizer with GPT-2's regex,
//   ByteLevel decoder; BOS only when tokenizer_config.json says add_bos_token).
// - vocab.txt: BERT's WordPiece (BertNormalizer per do_lower_case / strip_accents /
//   tokenize_chinese_chars, BertPreTokenizer, [CLS] text [SEP], WordPiece decoder).
// The components are built from the same JSON a tokenizer.json would hold, so both paths run the
// same code.
//
// [SECTION] tokenizer_config.json
// [SECTION] vocab.json + merges.txt
// [SECTION] vocab.txt
#include <utility>

#include "tokenize/hf_tokenizer_internal.h"
#include "attnscope/text.h"

namespace attnscope::hf {

namespace {

// [SECTION] tokenizer_config.json

// A special token as tokenizer_config.json gives it: "[CLS]" or {"content": "[CLS]", ...}.
std::optional<std::string> config_token(const json& config, const char* key) {
    const json* value = optional(config, key);
    if (value == nullptr) return std::nullopt;
    if (value->is_string()) return value->get<std::string>();
    if (value->is_object() && value->contains("content") && (*value)["content"].is_string())
        return (*value)["content"].get<std::string>();
    fail(std::string("tokenizer_config.json: ") + key, "expected a string or {\"content\": ...}, got " + describe(*value));
}

// The added tokens: tokenizer_config.json's added_tokens_decoder when it has one, else the named
// special tokens that the vocabulary holds.
std::vector<AddedToken> config_added_tokens(const json& config, const Vocab& vocab,
                                            std::initializer_list<const char*> special_keys) {
    std::vector<AddedToken> out;
    if (const json* decoder = optional(config, "added_tokens_decoder")) {
        const std::string path = "tokenizer_config.json: added_tokens_decoder";
        expect_object(*decoder, path);
        for (auto it = decoder->begin(); it != decoder->end(); ++it) {
            const std::string item_path = child(path, it.key());
            expect_object(it.value(), item_path);
            AddedToken t;
            // Digits only (std::stoi alone reads "1e39" as 1), at most 9 so the id fits an int.
            const std::string& key = it.key();
            if (key.empty() || key.size() > 9 || key.find_first_not_of("0123456789") != std::string::npos)
                fail(item_path, "expected a non-negative integer id below 10^9 as the key, got '" + key + "'");
            t.id = std::stoi(key);
            t.content = get_string(it.value(), item_path, "content");
            t.single_word = get_bool(it.value(), item_path, "single_word", false);
            t.lstrip = get_bool(it.value(), item_path, "lstrip", false);
            t.rstrip = get_bool(it.value(), item_path, "rstrip", false);
            t.special = get_bool(it.value(), item_path, "special", false);
            t.normalized = get_bool(it.value(), item_path, "normalized", !t.special);
            out.push_back(std::move(t));
        }
        return out;
    }
    for (const char* key : special_keys) {
        const auto content = config_token(config, key);
        if (!content) continue;
        const auto id = vocab.find(*content);
        if (!id) continue;
        bool seen = false;
        for (const AddedToken& t : out) seen = seen || t.id == *id;
        if (!seen) out.push_back(AddedToken{*id, *content, false, false, false, false, true});
    }
    return out;
}

json template_json(const std::vector<std::pair<std::string, int>>& before, const std::vector<std::pair<std::string, int>>& after) {
    json single = json::array();
    json specials = json::object();
    auto add = [&](const std::pair<std::string, int>& t) {
        single.push_back({{"SpecialToken", {{"id", t.first}, {"type_id", 0}}}});
        specials[t.first] = {{"id", t.first}, {"ids", {t.second}}, {"tokens", {t.first}}};
    };
    for (const auto& t : before) add(t);
    single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
    for (const auto& t : after) add(t);
    return {{"type", "TemplateProcessing"}, {"single", single}, {"special_tokens", specials}};
}

// Lines of a text file without their line ends (LF or CRLF); no empty last line after a final LF.
std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
        pos = end + 1;
    }
    return lines;
}

// Runs `build`, putting `file` in front of any message it throws.
template <class Build>
auto in_file(const std::string& file, Build build) -> decltype(build()) {
    try {
        return build();
    } catch (const LoadError& e) {
        throw LoadError(file + ": " + valid_utf8(e.what()));
    }
}

}  // namespace

// [SECTION] vocab.json + merges.txt

std::shared_ptr<const Tokenizer> parse_gpt2_files(const FileText& vocab_json, const FileText& merges_txt,
                                                  const json& config) {
    Vocab vocab = in_file(vocab_json.name, [&] {
        json root;
        try {
            root = json::parse(vocab_json.text);
        } catch (const json::parse_error& e) {
            throw LoadError("expected JSON, got a syntax error at byte " + std::to_string(e.byte));
        }
        if (!root.is_object()) throw LoadError("expected an object of token: id, got " + describe(root));
        return parse_vocab(root, "");
    });

    std::vector<std::pair<std::string, std::string>> merges;
    std::vector<std::size_t> line_numbers;
    const std::vector<std::string> lines = split_lines(merges_txt.text);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (line.empty() || line.rfind("#version", 0) == 0) continue;
        const std::size_t space = line.find(' ');
        if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
            throw LoadError(merges_txt.name + ": line " + std::to_string(i + 1) +
                            ": expected 'left right' (one space), got '" + line + "'");
        merges.emplace_back(line.substr(0, space), line.substr(space + 1));
        line_numbers.push_back(i + 1);
    }

    TokenizerParts parts;
    parts.added_tokens = config_added_tokens(config, vocab, {"bos_token", "eos_token", "unk_token", "pad_token"});
    BpeOptions options;
    if (const auto unk = config_token(config, "unk_token"); unk && vocab.find(*unk)) options.unk_token = unk;
    std::optional<std::pair<std::string, int>> bos;
    if (get_bool(config, "tokenizer_config.json", "add_bos_token", false)) {
        const auto bos_token = config_token(config, "bos_token");
        const auto bos_id = bos_token ? vocab.find(*bos_token) : std::nullopt;
        if (!bos_id)
            throw LoadError(vocab_json.name + ": expected the bos_token of tokenizer_config.json in the vocabulary, got " +
                            (bos_token ? "'" + *bos_token + "', which is not in it" : std::string("no bos_token")));
        bos.emplace(*bos_token, *bos_id);
    }
    parts.model = in_file(merges_txt.name, [&] {
        return make_bpe(std::move(vocab), merges, options,
                        [&](std::size_t rank) { return "line " + std::to_string(line_numbers[rank]); });
    });
    const bool prefix_space = get_bool(config, "tokenizer_config.json", "add_prefix_space", false);
    parts.pre_tokenizer = make_pre_tokenizer(
        {{"type", "ByteLevel"}, {"add_prefix_space", prefix_space}, {"use_regex", true}}, "pre_tokenizer");
    parts.decoder = make_decoder({{"type", "ByteLevel"}}, "decoder");
    if (bos) parts.post_processor = make_post_processor(template_json({*bos}, {}), "post_processor");
    return build_tokenizer(std::move(parts));
}

// [SECTION] vocab.txt

std::shared_ptr<const Tokenizer> parse_bert_vocab(const FileText& vocab_txt, const json& config) {
    Vocab vocab;
    const std::vector<std::string> lines = split_lines(vocab_txt.text);
    for (std::size_t i = 0; i < lines.size(); ++i) vocab.add(lines[i], static_cast<int>(i));  // id = line index
    if (vocab.ids.empty()) throw LoadError(vocab_txt.name + ": expected one token per line, got an empty file");

    const std::string where = "tokenizer_config.json";
    const bool lowercase = get_bool(config, where, "do_lower_case", true);
    const json* strip = optional(config, "strip_accents");
    if (strip != nullptr && !strip->is_boolean())
        fail(child(where, "strip_accents"), "expected true, false or null, got " + describe(*strip));
    auto token = [&](const char* key, const char* fallback) { return config_token(config, key).value_or(fallback); };
    const std::string cls = token("cls_token", "[CLS]");
    const std::string sep = token("sep_token", "[SEP]");
    auto id_of = [&](const std::string& t) {
        const auto id = vocab.find(t);
        if (!id) throw LoadError(vocab_txt.name + ": expected the token '" + t + "' in the vocabulary, got nothing");
        return *id;
    };

    TokenizerParts parts;
    parts.added_tokens = config_added_tokens(config, vocab, {"pad_token", "unk_token", "cls_token", "sep_token", "mask_token"});
    if (!optional(config, "added_tokens_decoder")) {
        // BERT's defaults when the config names none of them
        for (const char* t : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
            const auto id = vocab.find(t);
            bool seen = false;
            for (const AddedToken& a : parts.added_tokens) seen = seen || a.content == t;
            if (id && !seen) parts.added_tokens.push_back(AddedToken{*id, t, false, false, false, false, true});
        }
    }
    parts.normalizer = make_normalizer({{"type", "BertNormalizer"},
                                        {"clean_text", true},
                                        {"handle_chinese_chars", get_bool(config, where, "tokenize_chinese_chars", true)},
                                        {"strip_accents", strip != nullptr ? *strip : json(nullptr)},
                                        {"lowercase", lowercase}},
                                       "normalizer");
    parts.pre_tokenizer = make_pre_tokenizer({{"type", "BertPreTokenizer"}}, "pre_tokenizer");
    const int cls_id = id_of(cls);
    const int sep_id = id_of(sep);
    parts.post_processor = make_post_processor(template_json({{cls, cls_id}}, {{sep, sep_id}}), "post_processor");
    parts.decoder = make_decoder({{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}, "decoder");
    const std::string unk = token("unk_token", "[UNK]");
    parts.model = in_file(vocab_txt.name, [&] { return make_wordpiece(std::move(vocab), unk, "##", 100, "model"); });
    return build_tokenizer(std::move(parts));
}

}  // namespace attnscope::hf
