// The Trainer: vocabulary and examples from a corpus, initial weights, AdamW with clipping and a
// warmup + cosine schedule, snapshots for the GUI. The math of a step (forward, backward, loss)
// is in transformer_backward.cpp.
//
// Reproducibility: every random number comes from one std::mt19937 seeded from the config and
// is turned into floats, normals and shuffles here (not by std::*_distribution, whose algorithms
// differ between standard libraries); the sentences of a batch run one after another, so the
// gradient's sums always add up in the same order.
//
//   [SECTION] Random numbers
//   [SECTION] Optimizer
//   [SECTION] Building a trainer: vocabulary, sentences, initial weights
//   [SECTION] Deciding words: where the supervised head is taught to look
//   [SECTION] Steps and runs
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "attnscope/train.h"

namespace attnscope {

namespace {

constexpr const char* kUnk = "<unk>";
constexpr const char* kMask = "<mask>";
constexpr std::size_t kEvalSentences = 512;
constexpr std::uint32_t kEvalSeedOffset = 0x9e3779b9u;  // the eval masks get their own stream

// [SECTION] Random numbers

// Uniform in [0, 1) with 24 random bits: exactly representable floats, the same on every platform.
float uniform01(std::mt19937& rng) { return static_cast<float>(rng() >> 8) * (1.0f / 16777216.0f); }

// Standard normal by Box-Muller (one value per call; the second is discarded for simplicity).
float standard_normal(std::mt19937& rng) {
    const double u1 = (static_cast<double>(rng() >> 5) + 1.0) / 134217729.0;  // in (0, 1]: log() stays finite
    const double u2 = static_cast<double>(rng() >> 5) / 134217728.0;
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

// Fisher-Yates with rng() % (i + 1): the bias of the modulo is below 1e-6 for our sizes.
void shuffle(std::vector<std::size_t>& v, std::mt19937& rng) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}

}  // namespace

// [SECTION] Optimizer

void adamw_update(MatrixOf<float>& p, MatrixOf<float>& m, MatrixOf<float>& v, const MatrixOf<float>& g, int t,
                  float lr, float weight_decay, float beta1, float beta2, float eps) {
    m = beta1 * m + (1.0f - beta1) * g;
    v = beta2 * v + (1.0f - beta2) * g.cwiseProduct(g);
    const float m_correction = 1.0f - std::pow(beta1, static_cast<float>(t));  // the moments start at 0
    const float v_correction = 1.0f - std::pow(beta2, static_cast<float>(t));
    // decoupled weight decay: shrink p itself, not through the gradient, so Adam's scaling
    // does not weaken it for parameters with large gradients
    p.array() -= lr * ((m.array() / m_correction) / ((v.array() / v_correction).sqrt() + eps) + weight_decay * p.array());
}

float clip_gradients(Parameters<float>& grads, float max_norm) {
    double sum_squares = 0.0;  // double, in visiting order: the same bits every run
    for_each_parameter(grads, [&](const std::string&, ParameterKind, MatrixOf<float>& g) {
        sum_squares += g.cast<double>().squaredNorm();
    });
    const float norm = static_cast<float>(std::sqrt(sum_squares));
    if (max_norm > 0.0f && norm > max_norm) {
        const float factor = max_norm / norm;
        for_each_parameter(grads, [&](const std::string&, ParameterKind, MatrixOf<float>& g) { g *= factor; });
    }
    return norm;
}

float learning_rate_at(const TrainingOptions& o, int step) {
    if (step < o.warmup_steps) return o.learning_rate * static_cast<float>(step + 1) / static_cast<float>(o.warmup_steps);
    const int decay_steps = std::max(1, o.steps - o.warmup_steps);
    const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / decay_steps);
    const double cosine = 0.5 * (1.0 + std::cos(3.141592653589793 * progress));  // 1 -> 0
    return static_cast<float>(o.min_learning_rate + (o.learning_rate - o.min_learning_rate) * cosine);
}

// [SECTION] Building a trainer: vocabulary, sentences, initial weights

namespace {

// The words of a text as the word tokenizer splits them, lowercased.
std::vector<std::string> words_of(const std::string& text) {
    static const WordTokenizer splitter({kUnk}, /*lowercase=*/true, kUnk);
    std::vector<std::string> words;
    const auto tokens = splitter.encode(text);
    if (!tokens.ok()) throw LoadError(tokens.error().message);
    for (const Token& t : tokens.value()) words.push_back(lowercase_utf8(text.substr(t.start, t.end - t.start)));
    return words;
}

// The vocabulary lists its special tokens ("<unk>", "<bank:money>") first, then the corpus words
// by falling frequency (build_vocab): the id of the commonest corpus word.
int first_corpus_word(const std::vector<std::string>& vocab) {
    int first = 0;
    while (first < static_cast<int>(vocab.size()) && vocab[static_cast<std::size_t>(first)].rfind('<', 0) == 0) ++first;
    return first;
}

// <unk>, then <mask> and the sense labels (sorted) for masked_word, then the corpus words by
// falling frequency (ties alphabetically), as many as config.vocabulary allows, so the
// vocabulary is a function of the corpus and the config alone.
std::vector<std::string> build_vocab(const TrainingConfig& config, const std::vector<Corpus>& corpora) {
    std::map<std::string, int> counts;
    std::set<std::string> labels;
    for (const Corpus& corpus : corpora)
        for (const CorpusSentence& s : corpus.sentences) {
            for (const std::string& w : words_of(s.text)) ++counts[w];
            for (const auto& [word, sense] : s.senses) labels.insert(sense_label(word, sense));
        }
    if (config.objective == Objective::Translate)  // both languages share one vocabulary
        for (const Corpus& corpus : corpora)
            for (const CorpusSentence& s : corpus.sentences)
                for (const std::string& w : words_of(s.target)) ++counts[w];
    std::vector<std::string> vocab = {kUnk};
    if (config.objective == Objective::Translate) vocab.insert(vocab.end(), {kStartToken, kEndToken});
    if (config.objective == Objective::MaskedWord) {
        vocab.push_back(kMask);
        if (config.sense_labels) vocab.insert(vocab.end(), labels.begin(), labels.end());
    }
    std::vector<std::pair<std::string, int>> by_count(counts.begin(), counts.end());
    std::stable_sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    const VocabularyOptions& limits = config.vocabulary;
    std::size_t words = 0;
    for (const auto& [word, count] : by_count) {
        if (word == kUnk || word == kMask || word == kStartToken || word == kEndToken) continue;
        if (count < limits.min_count || (limits.max_words > 0 && words == static_cast<std::size_t>(limits.max_words))) break;
        vocab.push_back(word);
        ++words;
    }
    return vocab;
}

Parameters<float> initial_parameters(const TrainableShape& shape, const TrainingOptions& o, std::mt19937& rng) {
    Parameters<float> p = zero_parameters<float>(shape);
    // GPT-2's scheme: N(0, init_std) for matrices and embeddings; the two projections that add
    // into the residual stream (W_O, W2) scaled by 1/sqrt(2 L) so the stream's variance does
    // not grow with depth; norm gains 1; biases and norm shifts 0.
    const float residual_scale = 1.0f / std::sqrt(2.0f * static_cast<float>(shape.config.n_layers));
    for_each_parameter(p, [&](const std::string& name, ParameterKind kind, MatrixOf<float>& m) {
        if (kind == ParameterKind::NormGain) { m.setOnes(); return; }
        if (kind == ParameterKind::Bias || kind == ParameterKind::NormBias) return;  // zeros already
        const bool residual_out = name.size() > 3 && (name.compare(name.size() - 3, 3, ".wo") == 0 ||
                                                      name.compare(name.size() - 3, 3, ".w2") == 0);
        const float stddev = o.init_std * (residual_out ? residual_scale : 1.0f);
        for (Index i = 0; i < m.size(); ++i) m.data()[i] = stddev * standard_normal(rng);
    });
    return p;
}

}  // namespace

Result<std::unique_ptr<Trainer>> Trainer::create(const TrainingConfig& config, const Corpus& corpus) {
    return create(config, std::vector<Corpus>{corpus});
}

Result<std::unique_ptr<Trainer>> Trainer::create(const TrainingConfig& config, const std::vector<Corpus>& corpora) {
    std::string source = corpora.empty() ? std::string("the corpus") : corpora.front().source;
    try {
        if (corpora.empty()) return Error{"expected at least one corpus, got none"};
        for (const Corpus& corpus : corpora)
            if (corpus.sentences.empty()) return Error{corpus.source + ": expected at least one sentence, got none"};
        std::unique_ptr<Trainer> t(new Trainer());
        t->m_config = config;
        std::vector<std::string> vocab = build_vocab(config, corpora);
        t->m_config.shape.vocab_size = static_cast<int>(vocab.size());
        t->m_tokenizer = std::make_shared<WordTokenizer>(std::move(vocab), /*lowercase=*/true, kUnk);
        if (config.objective == Objective::MaskedWord) t->m_mask_id = *t->m_tokenizer->find(kMask);
        t->m_first_word = first_corpus_word(t->m_tokenizer->vocab());
        for (const char* word : {".", "?", "!"})
            if (const auto id = t->m_tokenizer->find(word)) t->m_end_punctuation.insert(*id);
        for (const char* word : {"the", "a", "an"})
            if (const auto id = t->m_tokenizer->find(word)) t->m_articles.insert(*id);
        t->m_unk_id = *t->m_tokenizer->find(kUnk);
        if (config.objective == Objective::Translate) {
            t->m_start_id = *t->m_tokenizer->find(kStartToken);
            t->m_end_id = *t->m_tokenizer->find(kEndToken);
        }
        for (const Corpus& corpus : corpora) {
            source = corpus.source;
            for (const CorpusSentence& s : corpus.sentences) {
                const std::string error = t->add_sentence(s);
                if (!error.empty()) return Error{corpus.source + ":" + std::to_string(s.line) + ": " + error};
            }
        }
        if (config.options.supervises_attention()) t->find_deciding_words();

        t->m_rng.seed(config.options.seed);
        t->m_params = initial_parameters(t->m_config.shape, config.options, t->m_rng);
        t->m_adam_m = zero_parameters<float>(t->m_config.shape);
        t->m_adam_v = zero_parameters<float>(t->m_config.shape);
        t->m_order.resize(t->m_sentences.size());
        for (std::size_t i = 0; i < t->m_order.size(); ++i) t->m_order[i] = i;
        t->m_next = t->m_order.size();  // the first batch shuffles

        // A fixed sample spread over the whole corpus, with masks of its own: snapshots' losses
        // are measured on the same examples every time.
        std::mt19937 eval_rng(config.options.seed + kEvalSeedOffset);
        const std::size_t count = std::min(kEvalSentences, t->m_sentences.size());
        for (std::size_t i = 0; i < count; ++i)
            t->m_eval_examples.push_back(t->make_example(t->m_sentences[i * t->m_sentences.size() / count], eval_rng));
        return t;
    } catch (const LoadError& e) {
        return Error{source + ": " + e.what()};
    }
}

// A translation pair: the source's words for the encoder; the target's for the decoder, read
// after "<s>" (and predicting "</s>" after its last word, make_example), so it needs one place more.
std::string Trainer::add_pair(const CorpusSentence& cs) {
    if (cs.target.empty()) return "expected a translation pair, source<TAB>target, for the translate objective";
    const std::vector<std::string> source = words_of(cs.text), target = words_of(cs.target);
    const int limit = m_config.shape.config.max_len;
    if (source.empty() || static_cast<int>(source.size()) > limit)
        return "the source has " + std::to_string(source.size()) + " tokens; model.max_len is " + std::to_string(limit);
    if (target.empty() || static_cast<int>(target.size()) + 1 > limit)
        return "the target has " + std::to_string(target.size()) + " tokens and the start token; model.max_len is " +
               std::to_string(limit);
    auto ids_of = [&](const std::vector<std::string>& words) {
        std::vector<int> ids;
        for (const std::string& w : words) ids.push_back(m_tokenizer->find(w).value_or(m_unk_id));
        return ids;
    };
    Sentence s;
    s.source = ids_of(source);
    s.ids = ids_of(target);
    m_sentences.push_back(std::move(s));
    return {};
}

std::string Trainer::add_sentence(const CorpusSentence& cs) {
    if (m_config.objective == Objective::Translate) return add_pair(cs);
    if (!cs.target.empty()) return "a translation pair, but the " + std::string(objective_name(m_config.objective)) +
                                   " objective reads sentences";
    const std::vector<std::string> words = words_of(cs.text);
    const int n = static_cast<int>(words.size());
    if (n < 2) return "expected a sentence of at least 2 tokens, got " + std::to_string(n);
    if (n > m_config.shape.config.max_len)
        return "the sentence has " + std::to_string(n) + " tokens; model.max_len is " +
               std::to_string(m_config.shape.config.max_len);
    Sentence s;
    for (const std::string& w : words) {  // a word the vocabulary left out is <unk>, as it will be when typed
        const auto id = m_tokenizer->find(w);
        s.ids.push_back(id ? *id : *m_tokenizer->find(kUnk));
    }
    s.labels.assign(words.size(), -1);
    const bool labels = m_config.objective == Objective::MaskedWord && m_config.sense_labels;
    for (const auto& [word, sense] : cs.senses) {
        const std::string lower = lowercase_utf8(word);
        if (std::find(words.begin(), words.end(), lower) == words.end())
            return "names a sense for \"" + word + "\", which is not in the sentence";
        if (!m_tokenizer->find(lower))  // its sense is learned at its own token: it must have one
            return "the ambiguous word \"" + word + "\" is too rare for the vocabulary (vocabulary.max_words, min_count)";
        const std::string name = lower + ":" + sense;
        const auto [it, added] = m_sense_index.emplace(name, static_cast<int>(m_sense_names.size()));
        if (added) m_sense_names.push_back(name);
        for (std::size_t i = 0; i < words.size(); ++i)
            if (words[i] == lower) s.senses.emplace_back(static_cast<int>(i), it->second);
        if (!labels) continue;
        const int label = *m_tokenizer->find(sense_label(word, sense));
        for (std::size_t i = 0; i < words.size(); ++i)
            if (words[i] == lower) s.labels[i] = label;
    }
    m_sentences.push_back(std::move(s));
    return {};
}

// [SECTION] Deciding words: where the supervised head is taught to look

namespace {

// How often words come with each sense, counted in sentences: a sentence counts once per sense
// however often its words repeat.
struct SenseCounts {
    std::vector<std::map<int, int>> with_sense;  // sense -> word id -> sentences
    std::map<int, std::map<int, int>> with_word;  // ambiguous word id -> word id -> sentences
    std::map<int, std::set<int>> senses_of;       // ambiguous word id -> its senses
    std::vector<int> word_of;                     // sense -> its ambiguous word id (-1: never seen)
};

// Per sense, the words that decide it for one supervised head -> their share: ids from
// first_deciding on, in at least min_sentences sentences with the ambiguous word, and at least
// min_share of those (with Laplace) of this sense.
std::vector<std::map<int, double>> deciding_words_of(const SenseCounts& counts, int first_deciding, float min_share,
                                                     int min_sentences) {
    std::vector<std::map<int, double>> deciding(counts.word_of.size());
    for (std::size_t sense = 0; sense < counts.word_of.size(); ++sense) {
        const int word = counts.word_of[sense];
        if (word < 0) continue;
        const double n_senses = static_cast<double>(counts.senses_of.at(word).size());
        const std::map<int, int>& with_word = counts.with_word.at(word);
        for (const auto& [other, count] : counts.with_sense[sense]) {
            const int together = with_word.at(other);
            const double share = (count + 1.0) / (together + n_senses);  // Laplace
            if (other >= first_deciding && together >= min_sentences && share >= min_share) deciding[sense][other] = share;
        }
    }
    return deciding;
}

}  // namespace

void Trainer::find_deciding_words() {
    SenseCounts counts;
    counts.with_sense.resize(m_sense_names.size());
    counts.word_of.assign(m_sense_names.size(), -1);
    for (const Sentence& s : m_sentences) {
        const std::set<int> others(s.ids.begin(), s.ids.end());
        std::set<int> done;
        for (const auto& [position, sense] : s.senses) {
            if (!done.insert(sense).second) continue;
            const int word = s.ids[static_cast<std::size_t>(position)];
            counts.senses_of[word].insert(sense);
            counts.word_of[static_cast<std::size_t>(sense)] = word;
            for (int other : others) {
                if (other == word || other == m_unk_id) continue;
                ++counts.with_sense[static_cast<std::size_t>(sense)][other];
                ++counts.with_word[word][other];
            }
        }
    }
    // the commonest words are the ids just after the special tokens (first_corpus_word)
    const int first_word = m_first_word;
    const AttentionSupervisions& supervisions = m_config.options.attention_supervision;
    m_deciding.assign(supervisions.size(), {});
    for (std::size_t h = 0; h < supervisions.size(); ++h) {
        if (!supervisions[h].active()) continue;
        m_deciding[h] = deciding_words_of(counts, first_word + supervisions[h].skip_commonest, supervisions[h].min_share,
                                          kDecidingMinSentences);
        // A sense's name that decides it ("tree" for bark=tree) stays a deciding word even among
        // the commonest words the head skips: skipping is for words like "the" (deciding_target).
        const auto unskipped = deciding_words_of(counts, first_word, supervisions[h].min_share, kDecidingMinSentences);
        for (std::size_t sense = 0; sense < m_sense_names.size(); ++sense) {
            const auto named = word_named_by(static_cast<int>(sense));
            if (named && unskipped[sense].count(*named)) m_deciding[h][sense].emplace(*named, unskipped[sense].at(*named));
        }
    }
    for (Sentence& s : m_sentences)
        for (const auto& [position, sense] : s.senses)
            for (std::size_t h = 0; h < supervisions.size(); ++h) {
                if (!supervisions[h].active()) continue;
                AttentionTarget target = deciding_target(s, position, sense, h);
                if (!target.keys.empty()) s.deciding.push_back(std::move(target));
            }
}

std::optional<int> Trainer::word_named_by(int sense) const {
    const std::string& name = m_sense_names.at(static_cast<std::size_t>(sense));
    return m_tokenizer->find(name.substr(name.find(':') + 1));
}

AttentionTarget Trainer::deciding_target(const Sentence& s, int position, int sense, std::size_t supervision) const {
    const bool causal = m_config.shape.config.causal;
    auto visible = [&](int j) { return j != position && !(causal && j > position); };
    AttentionTarget target;
    target.query = position;
    target.supervision = static_cast<int>(supervision);
    // A sense that names a word ("it=animal") points at that word when the sentence has it: "it"
    // is the animal, and the head should look at "animal", not at "tired", which only tells which.
    // A named word that decides the sense like any other ("bark=tree": "tree" comes with no other
    // sense of "bark") is one deciding word among the rest, so in "the oak tree" each head's own
    // rule (first, rarest, ...) chooses between "oak" and "tree" and the heads do not all collapse
    // onto the sense's name.
    const std::map<int, double>& deciding = m_deciding[supervision][static_cast<std::size_t>(sense)];
    const auto named = word_named_by(sense);
    if (named && !deciding.count(*named)) {
        for (int j = 0; j < static_cast<int>(s.ids.size()); ++j)
            if (visible(j) && s.ids[static_cast<std::size_t>(j)] == *named) target.keys.push_back(j);
        if (!target.keys.empty()) return target;
    }
    for (int j = 0; j < static_cast<int>(s.ids.size()); ++j)
        if (visible(j) && deciding.count(s.ids[static_cast<std::size_t>(j)])) target.keys.push_back(j);
    if (target.keys.empty()) return target;
    auto id_at = [&](int j) { return s.ids[static_cast<std::size_t>(j)]; };
    auto drop_keys = [&](auto unwanted) { target.keys.erase(std::remove_if(target.keys.begin(), target.keys.end(), unwanted), target.keys.end()); };
    switch (m_config.options.attention_supervision[supervision].keys) {
        case AttentionSupervision::Keys::All: break;
        case AttentionSupervision::Keys::Purest: {  // the word (or its repeats) most often with this sense
            double purest = 0.0;
            for (int j : target.keys) purest = std::max(purest, deciding.at(id_at(j)));
            drop_keys([&](int j) { return deciding.at(id_at(j)) < purest; });
            break;
        }
        case AttentionSupervision::Keys::Rarest: {  // ids fall in frequency: the rarest word has the highest id
            int rarest = 0;
            for (int j : target.keys) rarest = std::max(rarest, id_at(j));
            drop_keys([&](int j) { return id_at(j) != rarest; });
            break;
        }
        case AttentionSupervision::Keys::Before: drop_keys([&](int j) { return j > position; }); break;
        case AttentionSupervision::Keys::After: drop_keys([&](int j) { return j < position; }); break;
        case AttentionSupervision::Keys::First: {  // the keys are in sentence order
            const int first = target.keys.front();
            drop_keys([&](int j) { return j != first; });
            break;
        }
        case AttentionSupervision::Keys::Count: break;
    }
    return target;
}

std::vector<std::string> Trainer::deciding_words(const std::string& word, const std::string& sense, std::size_t supervision) const {
    std::vector<std::string> words;
    const auto it = m_sense_index.find(lowercase_utf8(word) + ":" + sense);
    if (it == m_sense_index.end() || supervision >= m_deciding.size() ||
        static_cast<std::size_t>(it->second) >= m_deciding[supervision].size())
        return words;
    for (const auto& [id, share] : m_deciding[supervision][static_cast<std::size_t>(it->second)]) words.push_back(m_tokenizer->piece(id));
    std::sort(words.begin(), words.end());
    return words;
}

std::pair<std::size_t, std::size_t> Trainer::supervised_share() const {
    std::size_t supervised = 0, labelled = 0;
    for (const Sentence& s : m_sentences) {
        std::set<int> queries;  // a labelled word may have a target for each supervised head
        for (const AttentionTarget& t : s.deciding) queries.insert(t.query);
        supervised += queries.size();
        labelled += s.senses.size();
    }
    return {supervised, labelled};
}

long long Trainer::n_parameters() const {
    long long count = 0;
    for_each_parameter(m_params, [&](const std::string&, ParameterKind, const MatrixOf<float>& m) { count += m.size(); });
    return count;
}

// [SECTION] Steps and runs

// Never a target: a word the vocabulary left out. Predicting "<unk>" teaches nothing, and a
// model that learned it would offer "<unk>" among its guesses.
int Trainer::target_of(int id) const { return id == m_unk_id ? -1 : id; }

Example Trainer::make_example(const Sentence& s, std::mt19937& rng) const {
    Example e;
    e.ids = s.ids;
    e.targets.assign(s.ids.size(), -1);
    if (m_config.objective == Objective::Translate) {
        // the decoder reads <s> t1 .. tn and predicts t1 .. tn </s>, every step seeing the source
        e.source = s.source;
        e.ids = {m_start_id};
        e.ids.insert(e.ids.end(), s.ids.begin(), s.ids.end());
        e.targets.clear();
        for (int id : s.ids) e.targets.push_back(target_of(id));
        e.targets.push_back(m_end_id);
        return e;
    }
    if (m_config.objective == Objective::NextWord) {
        // position i predicts the word at i + 1; the last word has nothing to predict
        for (std::size_t i = 0; i + 1 < s.ids.size(); ++i) e.targets[i] = target_of(s.ids[i + 1]);
        e.attention_targets = s.deciding;
        return e;
    }
    const TrainingOptions& o = m_config.options;
    if (o.drop_end_punctuation > 0.0f || o.drop_first_article > 0.0f || o.crop_start > 0.0f)
        return make_masked_example(varied_reading(s, rng), rng);
    return make_masked_example(s, rng);
}

Example Trainer::make_masked_example(const Sentence& s, std::mt19937& rng) const {
    Example e;
    e.ids = s.ids;
    e.targets.assign(s.ids.size(), -1);
    const TrainingOptions& o = m_config.options;
    const float sense_mask_prob = o.sense_mask_prob < 0.0f ? o.mask_prob : o.sense_mask_prob;
    const bool replaces = o.mask_random_word > 0.0f || o.mask_keeps_word > 0.0f;
    std::vector<bool> hidden(s.ids.size(), false);  // chosen for prediction: its own word is not shown
    for (std::size_t i = 0; i < s.ids.size(); ++i) {
        const bool masked = uniform01(rng) < (s.labels[i] >= 0 ? sense_mask_prob : o.mask_prob);
        if (masked) {
            // any word, an ambiguous one too: "i took the money to the [MASK]" must find "bank"
            hidden[i] = true;
            e.ids[i] = replaces ? shown_for_masked_word(s.ids[i], rng) : m_mask_id;
            e.targets[i] = target_of(s.ids[i]);
        } else if (s.labels[i] >= 0) {
            // a visible ambiguous word predicts its sense: only its context can tell
            e.targets[i] = s.labels[i];
        }
    }
    // A masked deciding word tells nothing, so it is never a key. A hidden ambiguous word is a
    // query only for the heads taught at masks: what it looks for is what tells the hidden word.
    for (AttentionTarget t : s.deciding) {
        if (hidden[static_cast<std::size_t>(t.query)] && !o.attention_supervision[static_cast<std::size_t>(t.supervision)].at_masks)
            continue;
        t.keys.erase(std::remove_if(t.keys.begin(), t.keys.end(), [&](int key) { return hidden[static_cast<std::size_t>(key)]; }),
                     t.keys.end());
        if (!t.keys.empty()) e.attention_targets.push_back(std::move(t));
    }
    return e;
}

// BERT's recipe (Devlin et al. 2019): a word chosen for prediction is shown as <mask> mostly, but
// sometimes as a random word or as itself, so the model cannot trust that every word it sees
// is right and reads each one against its context ("the bank robbers escaped with bags of
// stolen cash" must not look odd to it just because its corpus said it otherwise).
int Trainer::shown_for_masked_word(int id, std::mt19937& rng) const {
    const float r = uniform01(rng);
    const TrainingOptions& o = m_config.options;
    if (r < o.mask_random_word) {
        const auto words = static_cast<std::uint32_t>(m_tokenizer->vocab().size()) - static_cast<std::uint32_t>(m_first_word);
        return m_first_word + static_cast<int>(rng() % words);
    }
    if (r < o.mask_random_word + o.mask_keeps_word) return id;
    return m_mask_id;
}

// The latest word a cropped reading may start at: the first ambiguous word, so that it keeps its
// sense and targets, or, in a sentence without one, the last word but one.
int Trainer::latest_crop_start(const Sentence& s) {
    const auto labelled = std::find_if(s.labels.begin(), s.labels.end(), [](int label) { return label >= 0; });
    if (labelled != s.labels.end()) return static_cast<int>(labelled - s.labels.begin());
    return static_cast<int>(s.ids.size()) - 2;
}

Trainer::Sentence Trainer::varied_reading(const Sentence& s, std::mt19937& rng) const {
    const TrainingOptions& o = m_config.options;
    // both draws always happen, so one sentence's reading does not shift the next one's masks
    const bool drop_last = uniform01(rng) < o.drop_end_punctuation && s.ids.size() > 2 && m_end_punctuation.count(s.ids.back());
    const bool drop_first = uniform01(rng) < o.drop_first_article && s.ids.size() > 2 && m_articles.count(s.ids.front());
    int first = drop_first ? 1 : 0;
    // drawn only when asked for, so configs without it read their sentences as they always did
    if (o.crop_start > 0.0f && uniform01(rng) < o.crop_start) {
        const int latest = latest_crop_start(s);
        if (latest >= 1) first = std::max(first, 1 + static_cast<int>(rng() % static_cast<std::uint32_t>(latest)));
    }
    if (!drop_last && first == 0) return s;
    const int end = static_cast<int>(s.ids.size()) - (drop_last ? 1 : 0);
    Sentence v;
    v.ids.assign(s.ids.begin() + first, s.ids.begin() + end);
    v.labels.assign(s.labels.begin() + first, s.labels.begin() + end);
    for (AttentionTarget t : s.deciding) {  // positions shift; a dropped word is no key
        if (t.query < first || t.query >= end) continue;
        t.query -= first;
        std::vector<int> keys;
        for (int key : t.keys)
            if (key >= first && key < end) keys.push_back(key - first);
        t.keys = std::move(keys);
        if (!t.keys.empty()) v.deciding.push_back(std::move(t));
    }
    return v;
}

Example Trainer::example_of(std::size_t i, std::uint32_t seed) const {
    std::mt19937 rng(seed);
    return make_example(m_sentences.at(i), rng);
}

std::vector<Example> Trainer::next_batch() {
    std::vector<Example> batch;
    const int size = m_config.options.batch_size;
    for (int b = 0; b < size; ++b) {
        if (m_next >= m_order.size()) {  // a new epoch in a new order
            shuffle(m_order, m_rng);
            m_next = 0;
        }
        batch.push_back(make_example(m_sentences[m_order[m_next++]], m_rng));
        if (m_config.options.dropout > 0.0f) {  // drawn only when asked for: other runs keep their draws
            batch.back().dropout = m_config.options.dropout;
            batch.back().dropout_seed = m_rng();
        }
    }
    return batch;
}

float Trainer::step() {
    const TrainingOptions& o = m_config.options;
    const std::vector<Example> batch = next_batch();
    const float loss = sharded_loss_and_gradients(m_config.shape, m_params, batch, o.shards, m_grads, o.attention_supervision,
                                                  &m_last_attention_loss);
    m_last_grad_norm = clip_gradients(m_grads, o.grad_clip);
    const float lr = learning_rate_at(o, m_step);
    ++m_step;

    std::vector<MatrixOf<float>*> params, grads, ms, vs;
    std::vector<ParameterKind> kinds;
    for_each_parameter(m_params, [&](const std::string&, ParameterKind kind, MatrixOf<float>& m) {
        params.push_back(&m);
        kinds.push_back(kind);
    });
    for_each_parameter(m_grads, [&](const std::string&, ParameterKind, MatrixOf<float>& m) { grads.push_back(&m); });
    for_each_parameter(m_adam_m, [&](const std::string&, ParameterKind, MatrixOf<float>& m) { ms.push_back(&m); });
    for_each_parameter(m_adam_v, [&](const std::string&, ParameterKind, MatrixOf<float>& m) { vs.push_back(&m); });
    for (std::size_t i = 0; i < params.size(); ++i) {
        const bool decay = kinds[i] == ParameterKind::Matrix || kinds[i] == ParameterKind::Embedding;
        adamw_update(*params[i], *ms[i], *vs[i], *grads[i], m_step, lr, decay ? o.weight_decay : 0.0f, o.beta1,
                     o.beta2, o.adam_eps);
    }
    return loss;
}

float Trainer::evaluate() const { return batch_loss(m_config.shape, m_params, m_eval_examples); }

std::shared_ptr<const TransformerModel> Trainer::export_model() const {
    ModelInfo info;
    info.name = m_config.name;
    info.description = m_config.description;
    info.source = "trainer";
    return std::make_shared<TransformerModel>(std::move(info), m_config.shape.config,
                                              weights_from_parameters(m_config.shape, m_params), m_tokenizer);
}

std::shared_ptr<const TrainingSnapshot> Trainer::publish_snapshot() {
    auto snapshot = std::make_shared<TrainingSnapshot>();
    snapshot->step = m_step;
    snapshot->loss = evaluate();
    snapshot->model = export_model();
    std::lock_guard lock(m_snapshot_mutex);
    m_latest = snapshot;
    return snapshot;
}

std::shared_ptr<const TrainingSnapshot> Trainer::latest_snapshot() const {
    std::lock_guard lock(m_snapshot_mutex);
    return m_latest;
}

void Trainer::run(const std::function<void(const TrainingProgress&)>& on_step) {
    const TrainingOptions& o = m_config.options;
    m_cancel_requested = false;
    m_state = TrainerState::Running;
    TrainingProgress progress;
    progress.total_steps = o.steps;
    if (m_step == 0 && o.snapshot_every > 0) {  // the random start, so a replay begins at noise
        progress.snapshot = publish_snapshot();
        progress.loss = progress.snapshot->loss;
        progress.learning_rate = learning_rate_at(o, 0);
        if (on_step) on_step(progress);
    }
    while (m_step < o.steps && !m_cancel_requested) {
        progress.learning_rate = learning_rate_at(o, m_step);
        progress.loss = step();
        progress.grad_norm = m_last_grad_norm;
        progress.step = m_step;
        const bool publish = m_step == o.steps || (o.snapshot_every > 0 && m_step % o.snapshot_every == 0);
        progress.snapshot = publish ? publish_snapshot() : nullptr;
        if (on_step) on_step(progress);
    }
    if (m_cancel_requested) {
        publish_snapshot();  // where the run stopped, for whoever shows it
        m_state = TrainerState::Cancelled;
    } else {
        m_state = TrainerState::Finished;
    }
}

}  // namespace attnscope
