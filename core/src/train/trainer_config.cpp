// Reading what the trainer reads: corpus files (one sentence a line, with optional senses) and
// training config files (JSON). Errors say where (file:line, or the JSON path), what was
// expected and what was found, as the model loader's do.
//
//   [SECTION] Names used by the config files
//   [SECTION] Corpus
//   [SECTION] Training config
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/train.h"
#include "attnscope/text.h"
#include "util/file_read.h"
#include "util/json_path.h"

namespace attnscope {

// [SECTION] Names used by the config files

namespace {
constexpr const char* kObjectiveNames[] = {"next_word", "masked_word", "translate"};
static_assert(std::size(kObjectiveNames) == static_cast<std::size_t>(Objective::Count));
constexpr const char* kDecidingKeysNames[] = {"all", "purest", "rarest", "before", "after", "first"};
static_assert(std::size(kDecidingKeysNames) == static_cast<std::size_t>(AttentionSupervision::Keys::Count));
}  // namespace

const char* deciding_keys_name(AttentionSupervision::Keys k) { return kDecidingKeysNames[static_cast<int>(k)]; }

const char* objective_name(Objective o) { return kObjectiveNames[static_cast<int>(o)]; }

CorpusFormat corpus_format_of(Objective o) { return o == Objective::Translate ? CorpusFormat::Pairs : CorpusFormat::Sentences; }

std::string sense_label(const std::string& word, const std::string& sense) { return "<" + word + ":" + sense + ">"; }

namespace {

constexpr std::uint64_t kMaxCorpusBytes = std::uint64_t{1} << 30;

// [SECTION] Corpus

std::string trim(std::string_view s) {
    const auto begin = s.find_first_not_of(" \r\n\t");
    if (begin == std::string_view::npos) return {};
    const auto end = s.find_last_not_of(" \r\n\t");
    return std::string(s.substr(begin, end - begin + 1));
}

Corpus read_corpus(std::string_view text, const std::string& source, CorpusFormat format) {
    Corpus corpus;
    corpus.source = source;
    std::size_t pos = 0;
    int line_number = 0;
    while (pos < text.size()) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        const std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_number;
        const std::string at = "line " + std::to_string(line_number);
        const std::string whole = trim(line);
        if (whole.empty() || whole[0] == '#') continue;

        CorpusSentence sentence;
        sentence.line = line_number;
        const std::size_t tab = line.find('\t');
        sentence.text = trim(line.substr(0, tab));
        if (sentence.text.empty()) throw LoadError(at + ": expected a sentence before the tab, got nothing");
        if (format == CorpusFormat::Pairs) {
            if (tab != std::string_view::npos) sentence.target = trim(line.substr(tab + 1));
            if (sentence.target.empty())
                throw LoadError(at + ": expected a translation pair, source<TAB>target, got no target after a tab");
        } else if (tab != std::string_view::npos) {
            std::istringstream senses{std::string(line.substr(tab + 1))};
            for (std::string item; senses >> item;) {
                const std::size_t eq = item.find('=');
                if (eq == std::string::npos || eq == 0 || eq + 1 == item.size() || item.find('=', eq + 1) != std::string::npos)
                    throw LoadError(at + ": expected senses as word=sense, got \"" + item + "\"");
                sentence.senses.emplace_back(item.substr(0, eq), item.substr(eq + 1));
            }
        }
        corpus.sentences.push_back(std::move(sentence));
    }
    if (corpus.sentences.empty()) throw LoadError("expected at least one sentence, got none");
    return corpus;
}

// [SECTION] Training config

// Reads an optional member into `out`, leaving the default when absent.
class ObjectReader {
public:
    ObjectReader(const nlohmann::json& node, JsonPath at) : m_node(node), m_at(std::move(at)) {}
    void integer(const char* key, int& out, long long min, long long max) const {
        if (m_node.contains(key)) out = read_int(m_node[key], m_at.key(key), min, max);
    }
    void number(const char* key, float& out, float min, float max) const {
        if (!m_node.contains(key)) return;
        const float v = read_finite_float(m_node[key], m_at.key(key));
        if (v < min || v > max)
            m_at.key(key).fail("expected a number from " + std::to_string(min) + " to " + std::to_string(max) +
                               ", got " + m_node[key].dump());
        out = v;
    }
    void boolean(const char* key, bool& out) const {
        if (m_node.contains(key)) out = read_bool(m_node[key], m_at.key(key));
    }
    const JsonPath& at() const { return m_at; }

private:
    const nlohmann::json& m_node;
    JsonPath m_at;
};

TrainableShape read_shape(const nlohmann::json& node, const JsonPath& at) {
    if (!node.is_object()) at.fail("expected an object, got " + describe_type(node));
    reject_unknown_keys(node, at, {"d_model", "n_heads", "n_layers", "d_ff", "max_len", "causal", "positional",
                                   "norm", "norm_eps", "activation", "attn_scale", "biases", "tied_head",
                                   "encoder_layers"});
    TrainableShape s;
    TransformerConfig& c = s.config;
    c.d_model = read_int(require(node, at, "d_model"), at.key("d_model"), 1, 4096);
    c.n_heads = read_int(require(node, at, "n_heads"), at.key("n_heads"), 1, c.d_model);
    if (c.d_model % c.n_heads != 0)
        at.key("n_heads").fail("expected a divisor of d_model " + std::to_string(c.d_model) + ", got " +
                               std::to_string(c.n_heads));
    c.n_layers = read_int(require(node, at, "n_layers"), at.key("n_layers"), 1, 64);
    c.max_len = read_int(require(node, at, "max_len"), at.key("max_len"), 1, 4096);
    const ObjectReader r(node, at);
    r.integer("d_ff", c.d_ff, 0, 65536);
    r.boolean("causal", c.causal);
    if (node.contains("positional")) c.positional = read_enum(node["positional"], at.key("positional"), positional_name);
    if (node.contains("norm")) c.norm = read_enum(node["norm"], at.key("norm"), norm_name);
    r.number("norm_eps", c.norm_eps, 0.0f, 1.0f);
    if (c.norm_eps <= 0)  // as the model loader requires: else the trained model could not be opened
        at.key("norm_eps").fail("expected a positive number, got " + node["norm_eps"].dump());
    if (node.contains("activation")) c.activation = read_enum(node["activation"], at.key("activation"), activation_name);
    if (node.contains("attn_scale") && !node["attn_scale"].is_null()) {
        float scale = 0;
        r.number("attn_scale", scale, 1e-6f, 1e6f);
        c.attn_scale = scale;
    }
    r.boolean("biases", s.biases);
    r.boolean("tied_head", s.tied_head);
    r.integer("encoder_layers", c.encoder_layers, 1, 64);  // an encoder-decoder (the translate objective)
    return s;
}

// {"layer": L, "head": H, "weight": w}; read_training_config checks L and H against the model.
AttentionSupervision read_supervision(const nlohmann::json& node, const JsonPath& at) {
    if (!node.is_object()) at.fail("expected an object, got " + describe_type(node));
    reject_unknown_keys(node, at, {"layer", "head", "weight", "min_share", "skip_commonest", "keys", "at_masks"});
    AttentionSupervision s;
    s.layer = read_int(require(node, at, "layer"), at.key("layer"), 0, 64);
    s.head = read_int(require(node, at, "head"), at.key("head"), 0, 4096);
    const ObjectReader r(node, at);
    s.weight = 1.0f;
    r.number("weight", s.weight, 0.0f, 1000.0f);
    r.number("min_share", s.min_share, 0.5f, 1.0f);
    r.integer("skip_commonest", s.skip_commonest, 0, 1'000'000);
    if (node.contains("keys")) s.keys = read_enum(node["keys"], at.key("keys"), deciding_keys_name);
    r.boolean("at_masks", s.at_masks);
    return s;
}

// One supervised head's object, or a list of them (each teaching its own head).
AttentionSupervisions read_supervisions(const nlohmann::json& node, const JsonPath& at) {
    if (!node.is_array()) return {read_supervision(node, at)};
    if (node.empty() || node.size() > 64) at.fail("expected 1 to 64 supervised heads, got " + std::to_string(node.size()));
    AttentionSupervisions list;
    for (std::size_t i = 0; i < node.size(); ++i) list.push_back(read_supervision(node[i], at.index(i)));
    return list;
}

TrainingOptions read_options(const nlohmann::json& node, const JsonPath& at) {
    if (!node.is_object()) at.fail("expected an object, got " + describe_type(node));
    reject_unknown_keys(node, at, {"steps", "batch_size", "learning_rate", "warmup_steps", "min_learning_rate",
                                   "weight_decay", "beta1", "beta2", "adam_eps", "grad_clip", "init_std", "mask_prob", "sense_mask_prob",
                                   "drop_end_punctuation", "drop_first_article", "crop_start", "dropout", "mask_random_word", "mask_keeps_word",
                                   "seed", "log_every", "snapshot_every", "shards", "attention_supervision"});
    TrainingOptions o;
    const ObjectReader r(node, at);
    r.integer("steps", o.steps, 1, 10'000'000);
    r.integer("batch_size", o.batch_size, 1, 65536);
    r.number("learning_rate", o.learning_rate, 0.0f, 10.0f);
    r.integer("warmup_steps", o.warmup_steps, 0, 10'000'000);
    r.number("min_learning_rate", o.min_learning_rate, 0.0f, 10.0f);
    r.number("weight_decay", o.weight_decay, 0.0f, 10.0f);
    r.number("beta1", o.beta1, 0.0f, 0.999999f);
    r.number("beta2", o.beta2, 0.0f, 0.999999f);
    r.number("adam_eps", o.adam_eps, 0.0f, 1.0f);
    r.number("grad_clip", o.grad_clip, 0.0f, 1e9f);
    r.number("init_std", o.init_std, 0.0f, 10.0f);
    r.number("mask_prob", o.mask_prob, 0.0f, 1.0f);
    r.number("sense_mask_prob", o.sense_mask_prob, 0.0f, 1.0f);
    r.number("drop_end_punctuation", o.drop_end_punctuation, 0.0f, 1.0f);
    r.number("drop_first_article", o.drop_first_article, 0.0f, 1.0f);
    r.number("crop_start", o.crop_start, 0.0f, 1.0f);
    r.number("dropout", o.dropout, 0.0f, 0.9f);
    r.number("mask_random_word", o.mask_random_word, 0.0f, 1.0f);
    r.number("mask_keeps_word", o.mask_keeps_word, 0.0f, 1.0f);
    if (o.mask_random_word + o.mask_keeps_word > 1.0f)
        at.key("mask_keeps_word").fail("expected mask_random_word + mask_keeps_word (shares of the masked words) at most 1, got " +
                                       std::to_string(o.mask_random_word + o.mask_keeps_word));
    int seed = static_cast<int>(o.seed);
    r.integer("seed", seed, 0, 2147483647);
    o.seed = static_cast<std::uint32_t>(seed);
    r.integer("log_every", o.log_every, 1, 10'000'000);
    r.integer("snapshot_every", o.snapshot_every, 0, 10'000'000);
    r.integer("shards", o.shards, 1, 64);
    if (node.contains("attention_supervision"))
        o.attention_supervision = read_supervisions(node["attention_supervision"], at.key("attention_supervision"));
    return o;
}

VocabularyOptions read_vocabulary(const nlohmann::json& node, const JsonPath& at) {
    if (!node.is_object()) at.fail("expected an object, got " + describe_type(node));
    reject_unknown_keys(node, at, {"max_words", "min_count"});
    VocabularyOptions v;
    const ObjectReader r(node, at);
    r.integer("max_words", v.max_words, 0, 1'000'000);
    r.integer("min_count", v.min_count, 1, 1'000'000);
    return v;
}

TrainingConfig read_training_config(std::string_view text) {
    const nlohmann::json root = parse_json_text(text);
    const JsonPath at;
    if (!root.is_object()) at.fail("expected a JSON object at the top level, got " + describe_type(root));
    reject_unknown_keys(root, at, {"name", "description", "objective", "sense_labels", "vocabulary", "model", "training"});
    TrainingConfig config;
    config.name = read_string(require(root, at, "name"), at.key("name"));
    if (root.contains("description")) config.description = read_string(root["description"], at.key("description"));
    config.objective = read_enum(require(root, at, "objective"), at.key("objective"), objective_name);
    ObjectReader(root, at).boolean("sense_labels", config.sense_labels);
    if (root.contains("vocabulary")) config.vocabulary = read_vocabulary(root["vocabulary"], at.key("vocabulary"));
    config.shape = read_shape(require(root, at, "model"), at.key("model"));
    if (root.contains("training")) config.options = read_options(root["training"], at.key("training"));

    const bool causal = config.shape.config.causal;
    if (config.objective == Objective::NextWord && !causal)
        at.key("model").key("causal").fail("expected true for the next_word objective (a decoder), got false");
    if (config.objective == Objective::MaskedWord && causal)
        at.key("model").key("causal").fail("expected false for the masked_word objective (an encoder), got true");
    const bool seq2seq = config.shape.config.is_encoder_decoder();
    if (config.objective == Objective::Translate && !seq2seq)
        at.key("model").key("encoder_layers").fail("expected a number of encoder layers for the translate objective (an encoder-decoder), got none");
    if (config.objective == Objective::Translate && !causal)
        at.key("model").key("causal").fail("expected true for the translate objective (its decoder is causal), got false");
    const AttentionSupervisions& supervisions = config.options.attention_supervision;
    const JsonPath supervisions_at = at.key("training").key("attention_supervision");
    for (std::size_t i = 0; i < supervisions.size(); ++i) {
        const AttentionSupervision& supervision = supervisions[i];
        const JsonPath supervision_at = supervisions.size() == 1 ? supervisions_at : supervisions_at.index(i);
        if (supervision.layer >= config.shape.config.n_layers)
            supervision_at.key("layer").fail("expected a layer below n_layers " + std::to_string(config.shape.config.n_layers) +
                                             ", got " + std::to_string(supervision.layer));
        if (supervision.layer >= 0 && supervision.head >= config.shape.config.n_heads)
            supervision_at.key("head").fail("expected a head below n_heads " + std::to_string(config.shape.config.n_heads) +
                                            ", got " + std::to_string(supervision.head));
        if (supervision.layer >= 0 && config.objective == Objective::Translate)
            supervisions_at.fail("expected none for the translate objective (its pairs name no senses)");
        if (supervision.at_masks && config.objective != Objective::MaskedWord)
            supervision_at.key("at_masks").fail(std::string("expected true only for the masked_word objective (") +
                                                objective_name(config.objective) + " masks no word)");
        for (std::size_t j = 0; j < i; ++j)
            if (supervision.layer == supervisions[j].layer && supervision.head == supervisions[j].head)
                supervision_at.fail("expected each head once, got layer " + std::to_string(supervision.layer) + " head " +
                                    std::to_string(supervision.head) + " again");
    }
    if (config.objective != Objective::Translate && seq2seq)
        at.key("model").key("encoder_layers").fail(std::string("expected none for the ") + objective_name(config.objective) +
                                                   " objective (only translate trains an encoder-decoder)");
    return config;
}

}  // namespace

Result<Corpus> parse_corpus(std::string_view text, const std::string& source, CorpusFormat format) {
    try {
        return read_corpus(text, source, format);
    } catch (const LoadError& e) {
        return Error{source + ": " + valid_utf8(e.what())};
    }
}

Result<Corpus> load_corpus(const std::filesystem::path& file, CorpusFormat format) {
    try {
        return read_corpus(read_text_file(file, kMaxCorpusBytes, "a corpus text file"), file.string(), format);
    } catch (const LoadError& e) {
        return Error{file.string() + ": " + valid_utf8(e.what())};
    }
}

Result<TrainingConfig> parse_training_config(std::string_view text, const std::string& source) {
    try {
        return read_training_config(text);
    } catch (const LoadError& e) {
        return Error{source + ": " + valid_utf8(e.what())};
    }
}

Result<TrainingConfig> load_training_config(const std::filesystem::path& file) {
    try {
        return read_training_config(read_text_file(file, std::uint64_t{16} << 20, "a training config (.json)"));
    } catch (const LoadError& e) {
        return Error{file.string() + ": " + valid_utf8(e.what())};
    }
}

}  // namespace attnscope
