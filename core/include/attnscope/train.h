// Training own-format transformers on the CPU: the corpus, the training config, AdamW and the
// Trainer that ties them together. A run is reproducible bit for bit on one machine: one seed
// draws the initial weights, the order of the sentences and the masked words, and every sum is
// taken in the same order (no threads inside a step).
//
// The Trainer is built for a worker thread: run() calls back after every step and publishes an
// immutable TrainingSnapshot (a complete model) every `snapshot_every` steps, which the UI thread
// picks up with latest_snapshot(); cancel() stops the run between two steps.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/result.h"
#include "attnscope/transformer.h"
#include "attnscope/transformer_backward.h"
#include "attnscope/word_tokenizer.h"

namespace attnscope {

// [SECTION] Corpus

// One line of a corpus file: `sentence<TAB>word=sense word=sense ...`. The sense list is
// optional; it names, for an ambiguous word of the sentence, which of its meanings is meant
// ("bank=river"). Lines starting with '#' and blank lines are skipped.
struct CorpusSentence {
    std::string text;
    std::vector<std::pair<std::string, std::string>> senses;  // (word, sense)
    std::string target;  // a translation pair's target (CorpusFormat::Pairs); text is its source
    int line = 0;                                             // 1-based, for messages
};

// Sentences: `sentence<TAB>word=sense ...` as above. Pairs: `source<TAB>target`, a sentence and
// its translation (the translate objective), e.g. "the red car .<TAB>la voiture rouge .".
enum class CorpusFormat { Sentences, Pairs };

struct Corpus {
    std::string source;  // the file name, for messages
    std::vector<CorpusSentence> sentences;
};

Result<Corpus> parse_corpus(std::string_view text, const std::string& source, CorpusFormat format = CorpusFormat::Sentences);
Result<Corpus> load_corpus(const std::filesystem::path& file, CorpusFormat format = CorpusFormat::Sentences);

// The token an encoder learns to predict at an ambiguous word: "<bank:river>". The word
// tokenizer splits on '<' and ':', so typed text can never produce one.
std::string sense_label(const std::string& word, const std::string& sense);

// [SECTION] Training config

enum class Objective {
    NextWord,    // causal: every position predicts the next word (GPT-like)
    MaskedWord,  // bidirectional: predict masked words, and each ambiguous word's sense label (BERT-like)
    Translate,   // encoder-decoder: the decoder predicts the target's next word, reading the source (T5-like)
    Count
};
const char* objective_name(Objective o);  // "next_word", "masked_word", "translate"
const char* deciding_keys_name(AttentionSupervision::Keys k);  // "all", "purest", "rarest", "before", "after", "first"
// The corpus format an objective reads: Pairs for translate, else Sentences.
CorpusFormat corpus_format_of(Objective o);

struct TrainingOptions {
    int steps = 1000;
    int batch_size = 32;           // sentences per step
    float learning_rate = 3e-3f;   // peak, after the warmup
    int warmup_steps = 100;        // linear warmup from 0
    float min_learning_rate = 3e-4f;  // cosine decay ends here at the last step
    float weight_decay = 0.01f;    // AdamW, decoupled; matrices and embeddings only
    float beta1 = 0.9f, beta2 = 0.99f, adam_eps = 1e-8f;
    float grad_clip = 1.0f;        // clip the gradient's global L2 norm to this; 0: no clipping
    float init_std = 0.02f;        // weights ~ N(0, init_std); residual outputs (W_O, W2) scaled by 1/sqrt(2 L)
    float mask_prob = 0.15f;       // masked_word: chance that a word is replaced by <mask>
    float sense_mask_prob = -1.0f;  // masked_word: the same for an ambiguous word (else it predicts its sense); < 0: mask_prob
    // masked_word: the chance that a sentence is read without its final ".", "?" or "!" (students
    // seldom type one), and that one beginning with "the", "a" or "an" is read without it ("bank
    // robbers escaped"), so a mask at either end is not always punctuation or an article.
    float drop_end_punctuation = 0.0f;
    float drop_first_article = 0.0f;
    // masked_word: the chance that a sentence is read from a later word, drawn evenly from its
    // second word up to its first ambiguous word (or up to its last two words when it has none):
    // typed text often begins with a noun or the ambiguous word itself ("bank robbers escaped"),
    // which a corpus of whole sentences seldom does, so the first position is not always an article.
    float crop_start = 0.0f;
    // Dropout (Srivastava et al. 2014) on the embeddings and on each block's addition to the
    // residual stream, in training batches only (Example::dropout): a small model that reads the
    // same generated sentences many times learns their wording less and their words more.
    float dropout = 0.0f;
    // masked_word: of the words chosen for prediction, the share shown as a random corpus word and
    // the share shown as themselves (BERT's 10% and 10%); the rest are shown as <mask>.
    float mask_random_word = 0.0f;
    float mask_keeps_word = 0.0f;
    std::uint32_t seed = 1;
    int log_every = 100;           // how often `attnscope-cli train` prints the loss
    int snapshot_every = 0;        // publish a snapshot every N steps (and at the end); 0: only at the end
    // Each batch is cut into this many parts, computed on as many threads and added in order
    // (sharded_loss_and_gradients): a run's numbers depend on it, never on the machine's cores.
    int shards = 1;
    // Heads taught to look from each ambiguous word at the words of its sentence that tell its
    // sense (Trainer::deciding_words); none by default.
    AttentionSupervisions attention_supervision;
    bool supervises_attention() const {
        return std::any_of(attention_supervision.begin(), attention_supervision.end(),
                           [](const AttentionSupervision& s) { return s.active(); });
    }
};

// Which corpus words the vocabulary keeps: the most frequent ones, so that a big corpus gives a
// vocabulary of ordinary words and its rare words (names, typos) become <unk> in training.
struct VocabularyOptions {
    int max_words = 0;  // at most this many corpus words (by falling frequency); 0: every word
    int min_count = 1;  // a word must occur at least this often
};

struct TrainingConfig {
    std::string name;         // becomes the model's name
    std::string description;  // becomes the model's description
    TrainableShape shape;     // vocab_size is filled in from the corpus
    Objective objective = Objective::NextWord;
    bool sense_labels = true;  // masked_word: also predict "<bank:river>" at each ambiguous word
    VocabularyOptions vocabulary;
    TrainingOptions options;
};

// A training config file (assets/configs/*.json):
//   { "name": ..., "description": ..., "objective": "next_word" | "masked_word",
//     "sense_labels": true,
//     "vocabulary": { "max_words": 16000, "min_count": 2 },   (optional; default: every corpus word)
//     "model": { the own format's "config" keys, plus "biases": true, "tied_head": true },
//     "training": { "steps", "batch_size", "learning_rate", ..., "seed", "shards": 1,
//                   "attention_supervision": { "layer": 0, "head": 0, "weight": 1.0,     (optional)
//                                              "min_share": 0.9, "skip_commonest": 0,
//                                              "keys": "all" | "purest" | "rarest" | "before" | "after" | "first",
//                                              "at_masks": false (masked_word only) }
//                                            or a list of such objects, one per supervised head } }
// Errors name the JSON path, as the model loader does.
Result<TrainingConfig> parse_training_config(std::string_view text, const std::string& source);
Result<TrainingConfig> load_training_config(const std::filesystem::path& file);

// [SECTION] Optimizer

// One AdamW update of one tensor, at step t (1-based):
//   m = beta1 m + (1 - beta1) g,  v = beta2 v + (1 - beta2) g^2
//   p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps) + lr * weight_decay * p
// The weight decay is decoupled from the gradient (Loshchilov and Hutter); pass 0 to skip it.
void adamw_update(MatrixOf<float>& p, MatrixOf<float>& m, MatrixOf<float>& v, const MatrixOf<float>& g, int t,
                  float lr, float weight_decay, float beta1, float beta2, float eps);

// Scales every gradient so that their global L2 norm is at most max_norm. Returns the norm
// before clipping. max_norm <= 0 leaves the gradients alone.
float clip_gradients(Parameters<float>& grads, float max_norm);

// The learning rate at step s (0-based): linear warmup, then cosine decay to min_learning_rate.
float learning_rate_at(const TrainingOptions& o, int step);

// [SECTION] Trainer

// A model as it was at one step; immutable, shared with whoever shows it.
struct TrainingSnapshot {
    int step = 0;      // optimizer steps taken (0: the random initial weights)
    float loss = 0.f;  // mean loss on a fixed sample of the corpus, comparable across snapshots
    std::shared_ptr<const TransformerModel> model;
};

struct TrainingProgress {
    int step = 0;         // steps taken so far in this trainer (1 after the first)
    int total_steps = 0;  // the run's last step
    float loss = 0.f;     // this step's batch loss
    float learning_rate = 0.f;
    float grad_norm = 0.f;  // before clipping
    std::shared_ptr<const TrainingSnapshot> snapshot;  // set when this step published one
};

enum class TrainerState { Idle, Running, Finished, Cancelled, Count };

class Trainer {
public:
    // Builds the vocabulary from the corpus (<unk>, <mask> and the sense labels first for
    // masked_word, then the words by frequency, as config.vocabulary allows), tokenizes every sentence and draws the initial
    // weights from options.seed. Errors: an empty corpus, a sentence longer than max_len, a
    // sense named for a word the sentence lacks.
    static Result<std::unique_ptr<Trainer>> create(const TrainingConfig& config, const Corpus& corpus);
    // The same with several corpora, read as one (the sentences of each in turn; giving a
    // corpus twice counts its sentences twice). Errors name the corpus and line.
    static Result<std::unique_ptr<Trainer>> create(const TrainingConfig& config, const std::vector<Corpus>& corpora);

    // One optimizer step on the next batch; returns its loss. Not to be called while run() runs.
    float step();

    // Takes steps until options.steps have been taken in total (or cancel() is called), calling
    // on_step after each one. Publishes a snapshot at step 0 (when snapshot_every > 0), every
    // snapshot_every steps, and at the end. Call from one thread at a time.
    void run(const std::function<void(const TrainingProgress&)>& on_step = {});

    // Thread-safe: stops the run in progress after its current step (a run that starts later
    // starts afresh; cancel again to stop it).
    void cancel() { m_cancel_requested = true; }
    TrainerState state() const { return m_state.load(); }

    // Thread-safe: the newest published snapshot (null before the first).
    std::shared_ptr<const TrainingSnapshot> latest_snapshot() const;

    // The rest reads the weights: call it from the thread that runs the trainer, or when no run
    // is in progress. Other threads use latest_snapshot().

    // The current weights as a model (name and description from the config).
    std::shared_ptr<const TransformerModel> export_model() const;

    // Mean loss on a fixed sample of the corpus (up to 512 sentences; the same masks every call).
    float evaluate() const;

    int steps_taken() const { return m_step.load(); }  // thread-safe
    float last_grad_norm() const { return m_last_grad_norm; }  // the last step's, before clipping
    // The last step's supervised attention term (batch_attention_loss; 0 when none is active).
    float last_attention_loss() const { return m_last_attention_loss; }
    const TrainingConfig& config() const { return m_config; }
    const WordTokenizer& tokenizer() const { return *m_tokenizer; }
    const Parameters<float>& parameters() const { return m_params; }
    std::size_t n_sentences() const { return m_sentences.size(); }

    // What the loss sees of sentence i (in corpus order), with masks drawn from `seed`: the input
    // ids (an encoder's masked words replaced by <mask>) and each position's target (-1: none).
    // For tests and for showing a class what the model is asked.
    Example example_of(std::size_t i, std::uint32_t seed) const;
    long long n_parameters() const;

    // The words that tell an ambiguous word's sense, as the corpus shows them: a word w "decides"
    // word=sense when at least kDecidingMinSentences of the sentences labelling `word` contain w
    // and, with one added to each sense's count (Laplace), at least the supervision's min_share of
    // them have this sense; its skip_commonest most frequent corpus words never do ("the", "is":
    // the templates of a generated corpus can lean them to one sense). Per supervised head
    // (`supervision`, an index into options.attention_supervision; empty when it is inactive);
    // sorted. A sentence that holds the word its sense names ("it=animal" and "animal") is taught
    // that word alone.
    static constexpr int kDecidingMinSentences = 5;
    std::vector<std::string> deciding_words(const std::string& word, const std::string& sense, std::size_t supervision = 0) const;
    // How many labelled ambiguous words some supervised head is taught to look from (they have a
    // deciding word in their sentence; a decoder's: before them), and how many labelled ones there are.
    std::pair<std::size_t, std::size_t> supervised_share() const;

private:
    struct Sentence {
        std::vector<int> ids;     // translate: the target's words
        std::vector<int> labels;  // per token: the sense label's id, or -1
        std::vector<int> source;  // translate: the source's words
        std::vector<std::pair<int, int>> senses;  // (position, index in m_sense_names) of each labelled ambiguous word
        std::vector<AttentionTarget> deciding;    // supervised attention: each labelled word -> its deciding words, per head
    };

    Trainer() = default;
    std::string add_sentence(const CorpusSentence& s);  // "" or what is wrong with it
    std::string add_pair(const CorpusSentence& s);      // the same for a translation pair
    Example make_example(const Sentence& s, std::mt19937& rng) const;  // objective-specific targets (and masks)
    Example make_masked_example(const Sentence& s, std::mt19937& rng) const;  // masked_word's
    int target_of(int id) const;  // the id as a prediction target: -1 for <unk>
    int shown_for_masked_word(int id, std::mt19937& rng) const;  // <mask>, a random word or itself
    // The sentence as a masked_word example reads it: maybe without its final punctuation, its
    // first article or its first words (TrainingOptions::drop_end_punctuation, drop_first_article,
    // crop_start).
    Sentence varied_reading(const Sentence& s, std::mt19937& rng) const;
    static int latest_crop_start(const Sentence& s);
    void find_deciding_words();  // fills m_deciding and every sentence's `deciding`
    std::optional<int> word_named_by(int sense) const;  // "bark:tree" -> the id of "tree", if a word
    // What supervised head `supervision` should look at from the labelled word at `position` (keys empty: nothing).
    AttentionTarget deciding_target(const Sentence& s, int position, int sense, std::size_t supervision) const;
    std::vector<Example> next_batch();
    std::shared_ptr<const TrainingSnapshot> publish_snapshot();

    TrainingConfig m_config;
    std::shared_ptr<const WordTokenizer> m_tokenizer;
    int m_mask_id = -1;
    int m_unk_id = 0;
    int m_start_id = -1, m_end_id = -1;  // translate: "<s>" and "</s>"
    int m_first_word = 0;  // the commonest corpus word's id: the special tokens come before it
    std::set<int> m_end_punctuation, m_articles;  // ids of ". ? !" and of "the a an" (those in the vocabulary)
    std::vector<Sentence> m_sentences;
    std::vector<std::string> m_sense_names;               // "bank:money", in order of first appearance
    std::map<std::string, int> m_sense_index;             // the same, to their index
    // per supervised head, per sense: the word ids that decide it -> their share
    std::vector<std::vector<std::map<int, double>>> m_deciding;
    std::vector<Example> m_eval_examples;  // fixed: drawn once at creation

    Parameters<float> m_params, m_grads, m_adam_m, m_adam_v;
    std::mt19937 m_rng;                 // batch order and masks
    std::vector<std::size_t> m_order;   // a shuffled epoch of sentence indices
    std::size_t m_next = 0;             // position in m_order
    std::atomic<int> m_step{0};
    float m_last_grad_norm = 0.f;
    float m_last_attention_loss = 0.f;

    std::atomic<TrainerState> m_state{TrainerState::Idle};
    std::atomic<bool> m_cancel_requested{false};
    mutable std::mutex m_snapshot_mutex;  // guards m_latest only; never held while computing
    std::shared_ptr<const TrainingSnapshot> m_latest;
};

}  // namespace attnscope
