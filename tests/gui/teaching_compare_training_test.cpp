// The compare view's arithmetic and the live-training worker (issue 7, items 2 and 4), without a
// window. Expected numbers are worked out by hand from the small traces built here.
// Sections: [SECTION] Helpers  [SECTION] Shared word  [SECTION] Rows  [SECTION] Predictions
//           [SECTION] Training worker  [SECTION] Steps of a snapshot  [SECTION] Snapshot files
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "../test_scratch.h"
#include "attnscope/forward.h"
#include "attnscope/induction_demo.h"
#include "attnscope/json_model.h"
#include "attnscope/word_tokenizer.h"
#include "workers/compare_logic.h"
#include "workers/projection_cache.h"
#include "workers/training_worker.h"

namespace attnscope::gui {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// [SECTION] Helpers

// A one-layer, one-head trace of `text` split at spaces, with the given weights (n x n).
Trace trace_of(const std::string& text, const std::vector<std::vector<float>>& weights, std::uint64_t id = 1) {
    Trace t;
    t.id = id;
    t.text = text;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string::npos) end = text.size();
        Token tok;
        tok.piece = text.substr(start, end - start);
        tok.start = start;
        tok.end = end;
        t.tokens.push_back(tok);
        start = end + 1;
    }
    const int n = t.n_tokens();
    HeadTrace h;
    h.weights = Matrix::Zero(n, n);
    h.scores = Matrix::Zero(n, n);
    for (int i = 0; i < n && i < static_cast<int>(weights.size()); ++i)
        for (int j = 0; j < n && j < static_cast<int>(weights[static_cast<std::size_t>(i)].size()); ++j) h.weights(i, j) = weights[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
    t.layers.push_back(LayerTrace{Matrix(), {h}});
    return t;
}

Trace trace_of(const std::string& text) { return trace_of(text, {}); }

// [SECTION] Shared word

TEST(CompareSharedWord, TakesTheSelectedQueryWordWhenTheSecondSentenceHasIt) {
    const Trace a = trace_of("the money bank");
    const Trace b = trace_of("the river the bank");
    const auto shared = choose_shared_word(a, b, 0);
    ASSERT_TRUE(shared.has_value());
    EXPECT_EQ(shared->word, "the");
    EXPECT_EQ(shared->i_a, 0);
    EXPECT_EQ(shared->i_b, 2);  // the last "the" of b
}

TEST(CompareSharedWord, FallsBackToTheLastSharedWordOfTheFirstSentence) {
    const Trace a = trace_of("I took the money to the Bank");
    const Trace b = trace_of("we sat on the river bank");
    const auto shared = choose_shared_word(a, b, 3);  // "money": not in b
    ASSERT_TRUE(shared.has_value());
    EXPECT_EQ(shared->word, "bank");  // compared lowercased
    EXPECT_EQ(shared->i_a, 6);
    EXPECT_EQ(shared->i_b, 5);
}

TEST(CompareSharedWord, IgnoresPunctuation) {
    const Trace a = trace_of("bank .");
    const Trace b = trace_of("bank .");
    const auto shared = choose_shared_word(a, b, 1);
    ASSERT_TRUE(shared.has_value());
    EXPECT_EQ(shared->word, "bank");
    EXPECT_EQ(shared->i_a, 0);
}

TEST(CompareSharedWord, IsEmptyWhenNoWordIsShared) {
    EXPECT_FALSE(choose_shared_word(trace_of("money talks"), trace_of("river flows"), 0).has_value());
}

// [SECTION] Rows

TEST(CompareRows, PutsBothRowsSideBySideAndSortsTheDifferenceByWord) {
    const Trace a = trace_of("money to bank", {{1, 0, 0}, {0.5f, 0.5f, 0}, {0.5f, 0.2f, 0.3f}}, 7);
    const Trace b = trace_of("river bank", {{1, 0}, {0.6f, 0.4f}}, 8);
    const RowComparison r = compare_rows(a, b, SharedWord{"bank", 2, 1}, 0, 0);
    EXPECT_THAT(r.row_a, ElementsAre(0.5f, 0.2f, 0.3f));
    EXPECT_THAT(r.row_b, ElementsAre(0.6f, 0.4f));
    EXPECT_THAT(r.labels_b, ElementsAre("river", "bank"));
    // by hand: river 0 - 0.6, money 0.5 - 0, to 0.2 - 0, bank 0.3 - 0.4; largest |diff| first
    ASSERT_EQ(r.by_word.size(), 4u);
    EXPECT_EQ(r.by_word[0].word, "river");
    EXPECT_NEAR(r.by_word[0].diff, -0.6f, 1e-6);
    EXPECT_EQ(r.by_word[1].word, "money");
    EXPECT_NEAR(r.by_word[1].diff, 0.5f, 1e-6);
    EXPECT_EQ(r.by_word[2].word, "to");
    EXPECT_NEAR(r.by_word[2].diff, 0.2f, 1e-6);
    EXPECT_EQ(r.by_word[3].word, "bank");
    EXPECT_NEAR(r.by_word[3].a, 0.3f, 1e-6);
    EXPECT_NEAR(r.by_word[3].b, 0.4f, 1e-6);
    EXPECT_NEAR(r.by_word[3].diff, -0.1f, 1e-6);
}

TEST(CompareRows, AddsUpTheWeightsOfAWordThatOccursTwice) {
    const Trace a = trace_of("the cat the bank", {{1, 0, 0, 0}, {}, {}, {0.1f, 0.2f, 0.3f, 0.4f}});
    const Trace b = trace_of("bank", {{1}});
    const RowComparison r = compare_rows(a, b, SharedWord{"bank", 3, 0}, 0, 0);
    auto the = std::find_if(r.by_word.begin(), r.by_word.end(), [](const KeyWordWeights& k) { return k.word == "the"; });
    ASSERT_NE(the, r.by_word.end());
    EXPECT_NEAR(the->a, 0.4f, 1e-6);  // 0.1 + 0.3
    EXPECT_NEAR(the->b, 0.0f, 1e-6);
}

// [SECTION] Predictions

TEST(CompareNextWords, GivesTheSoftmaxOfTheLogitsRowLargestFirst) {
    Trace t = trace_of("a b c");
    t.logits = Matrix(1, 3);
    t.logits << std::log(1.0f), std::log(3.0f), std::log(2.0f);  // softmax: 1/6, 3/6, 2/6
    t.logits_first_token = 2;                                    // a decoder: only the last row
    const WordTokenizer tokenizer({"x", "y", "z"}, true, "x");
    const NextWord next = top_next_words(t, tokenizer, 0, 2);    // token 0 has no row: falls back
    EXPECT_EQ(next.after, 2);
    ASSERT_EQ(next.top.size(), 2u);
    EXPECT_EQ(next.top[0].piece, "y");
    EXPECT_NEAR(next.top[0].probability, 0.5f, 1e-5);
    EXPECT_EQ(next.top[1].piece, "z");
    EXPECT_NEAR(next.top[1].probability, 1.0f / 3.0f, 1e-5);
}

TEST(CompareNextWords, IsEmptyForAModelWithoutLogits) {
    const WordTokenizer tokenizer({"x"}, true, "x");
    const NextWord next = top_next_words(trace_of("a b"), tokenizer, 1, 5);
    EXPECT_EQ(next.after, -1);
    EXPECT_TRUE(next.top.empty());
}

// A trace's logits index the vocabulary of the model that made it. assets/models/abc-example.json
// has vocab ["<unk>", "a", "b", "c"] and bank-decoder.json its 14,000 words by frequency: the same
// logits row, largest at index 3, means "c" from the one and bank-decoder's fourth word from the other.
TEST(CompareNextWords, DecodesEachTraceWithItsOwnModelsTokenizer) {
    const auto abc = load_model("builtin:abc-example"), bank = load_model("builtin:bank-decoder");
    ASSERT_TRUE(abc.ok() && bank.ok());
    Trace older = trace_of("x y"), newer = trace_of("x y");
    for (Trace* t : {&older, &newer}) {
        t->logits = Matrix(1, 4);
        t->logits << 0.0f, 1.0f, 0.5f, 3.0f;
        t->logits_first_token = 1;
    }
    older.made_by = abc.value();  // e.g. still on screen while the newly loaded bank model traces
    newer.made_by = bank.value();
    const NextWord a = top_next_words_of(older, 1, 2), b = top_next_words_of(newer, 1, 2);
    ASSERT_EQ(a.top.size(), 2u);
    ASSERT_EQ(b.top.size(), 2u);
    EXPECT_EQ(a.top[0].piece, "c");
    EXPECT_EQ(a.top[1].piece, "a");
    EXPECT_EQ(b.top[0].piece, bank.value()->tokenizer().piece(3));
    EXPECT_EQ(b.top[1].piece, bank.value()->tokenizer().piece(1));
    EXPECT_NE(b.top[0].piece, "c");
    EXPECT_TRUE(top_next_words_of(trace_of("x y"), 1, 2).top.empty()) << "a trace without a model decodes nothing";
}

// [SECTION] Training worker

const char* kTinyCorpus =
    "the cat sat on the mat .\n"
    "the dog sat on the rug .\n"
    "a cat saw a dog .\n";

TrainingSetup tiny_setup(int steps, int record_every) {
    auto config = parse_training_config(R"({"name": "tiny", "objective": "next_word",
        "model": {"d_model": 8, "n_heads": 2, "n_layers": 1, "d_ff": 8, "max_len": 16},
        "training": {"steps": 5, "batch_size": 2, "warmup_steps": 1}})",
                                        "tiny.json");
    EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error().message);
    auto corpus = parse_corpus(kTinyCorpus, "tiny.txt");
    EXPECT_TRUE(corpus.ok());
    TrainingSetup s{config.value(), corpus.value(), "the cat sat"};
    s.config.options.steps = steps;
    s.config.options.snapshot_every = record_every;
    return s;
}

// Polls until `done` holds for the newest status (or 20 s pass).
template <class F>
TrainingStatus wait_for(const TrainingWorker& w, F done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    TrainingStatus s = w.latest();
    while (!done(s) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        s = w.latest();
    }
    return s;
}

bool ended(const TrainingStatus& s) {
    return s.phase == TrainingPhase::Finished || s.phase == TrainingPhase::Failed || s.phase == TrainingPhase::Stopped;
}

std::vector<int> steps_of(const TrainingStatus& s) {
    std::vector<int> out;
    for (const TrainingFrame& f : *s.frames) out.push_back(f.step);
    return out;
}

TEST(TrainingWorker, RecordsASnapshotEveryNStepsWithTheSentencesTrace) {
    TrainingWorker worker;
    worker.start(tiny_setup(6, 2));
    const TrainingStatus s = wait_for(worker, ended);
    ASSERT_EQ(s.phase, TrainingPhase::Finished) << s.error;
    EXPECT_EQ(s.step, 6);
    EXPECT_EQ(s.losses->size(), 6u);
    EXPECT_THAT(steps_of(s), ElementsAre(0, 2, 4, 6));  // step 0, every 2, and the end
    for (const TrainingFrame& f : *s.frames) {
        ASSERT_TRUE(f.trace) << f.trace_error;
        EXPECT_EQ(f.trace->n_tokens(), 3);  // "the cat sat"
        EXPECT_EQ(f.trace->layers.size(), 1u);
    }
}

// The induction run scores every head of every snapshot on one probe, made once for the run:
// the scores are those core's probe_heads gives that snapshot's model on a probe made the same way.
TEST(TrainingWorker, AnInductionRunScoresEveryHeadOfEverySnapshotOnOneProbe) {
    auto setup = induction_training_setup(40, 20, induction_watch_sentence());
    ASSERT_TRUE(setup.ok()) << setup.error().message;
    EXPECT_TRUE(setup.value().score_heads);
    TrainingWorker worker;
    worker.start(std::move(setup).value());
    const TrainingStatus s = wait_for(worker, ended);
    ASSERT_EQ(s.phase, TrainingPhase::Finished) << s.error;
    EXPECT_THAT(steps_of(s), ElementsAre(0, 20, 40));
    auto probe = make_induction_probe(*s.frames->front().model);
    ASSERT_TRUE(probe.ok()) << probe.error().message;
    for (const TrainingFrame& f : *s.frames) {
        ASSERT_EQ(f.heads.size(), 4u) << "2 layers x 2 heads";
        const auto expected = probe_heads(*f.model, probe.value());
        ASSERT_TRUE(expected.ok());
        for (std::size_t i = 0; i < 4; ++i) {
            EXPECT_EQ(f.heads[i].layer, static_cast<int>(i / 2));
            EXPECT_EQ(f.heads[i].head, static_cast<int>(i % 2));
            EXPECT_DOUBLE_EQ(f.heads[i].induction, expected.value()[i].induction) << "step " << f.step << ", head " << i;
        }
        ASSERT_TRUE(f.trace) << f.trace_error;
        EXPECT_EQ(f.trace->n_tokens(), 20) << "the watched sentence: ten made-up words, twice";
    }
}

TEST(TrainingWorker, AnAmbiguousWordsRunScoresNoHeads) {
    TrainingWorker worker;
    worker.start(tiny_setup(4, 2));
    const TrainingStatus s = wait_for(worker, ended);
    ASSERT_EQ(s.phase, TrainingPhase::Finished) << s.error;
    for (const TrainingFrame& f : *s.frames) EXPECT_TRUE(f.heads.empty());
}

TEST(TrainingWorker, ANewSentenceRetracesEveryRecordedSnapshot) {
    TrainingWorker worker;
    worker.start(tiny_setup(4, 2));
    wait_for(worker, ended);
    worker.set_sentence("a dog saw the cat .");
    const TrainingStatus s = wait_for(worker, [](const TrainingStatus& st) { return st.sentence == "a dog saw the cat ."; });
    ASSERT_EQ(s.frames->size(), 3u);
    for (const TrainingFrame& f : *s.frames) EXPECT_EQ(f.trace->n_tokens(), 6);
    EXPECT_EQ(s.phase, TrainingPhase::Finished);
}

TEST(TrainingWorker, StopsBetweenStepsAndResumesWhereItStopped) {
    TrainingWorker worker;
    worker.start(tiny_setup(1'000'000, 1000));
    wait_for(worker, [](const TrainingStatus& s) { return s.step >= 3; });
    worker.stop();
    const TrainingStatus stopped = wait_for(worker, ended);
    ASSERT_EQ(stopped.phase, TrainingPhase::Stopped);
    EXPECT_GE(stopped.step, 3);
    EXPECT_LT(stopped.step, 1'000'000);
    EXPECT_EQ(stopped.losses->size(), static_cast<std::size_t>(stopped.step));
    worker.resume();
    const TrainingStatus resumed = wait_for(worker, [&](const TrainingStatus& s) { return s.step >= stopped.step + 20; });
    EXPECT_EQ(resumed.phase, TrainingPhase::Running);
    EXPECT_EQ(resumed.losses->size(), static_cast<std::size_t>(resumed.step));  // no step counted twice
    // One frame per step even though a resumed run republishes the step it resumes at.
    const std::vector<int> steps = steps_of(resumed);
    EXPECT_TRUE(std::adjacent_find(steps.begin(), steps.end()) == steps.end());
}

TEST(TrainingWorker, DestroyingItWhileTrainingCancelsAndJoinsPromptly) {
    const auto started = std::chrono::steady_clock::now();
    {
        TrainingWorker worker;
        worker.start(tiny_setup(1'000'000, 0));
        wait_for(worker, [](const TrainingStatus& s) { return s.step >= 2; });
    }  // the destructor must not wait for a million steps
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST(TrainingWorker, ReportsAConfigTheCorpusDoesNotFit) {
    TrainingSetup setup = tiny_setup(4, 2);
    setup.config.shape.config.max_len = 3;  // the corpus has 7-token sentences
    TrainingWorker worker;
    worker.start(setup);
    const TrainingStatus s = wait_for(worker, ended);
    EXPECT_EQ(s.phase, TrainingPhase::Failed);
    EXPECT_FALSE(s.error.empty());
}

// "# 35113 sentences. ..." on the second line of assets/corpus/ambiguous-words.txt.
std::size_t corpus_header_count() {
    std::ifstream in(std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/corpus/ambiguous-words.txt");
    std::string line;
    std::getline(in, line);
    std::getline(in, line);
    return static_cast<std::size_t>(std::stoul(line.substr(2)));
}

TEST(TrainingSetupBuiltin, UsesTheBankCorpusWithTheRequestedSteps) {
    const auto setup = builtin_training_setup(300, 25, "i took the money to the bank");
    ASSERT_TRUE(setup.ok()) << setup.error().message;
    EXPECT_EQ(setup.value().corpus.sentences.size(), corpus_header_count());  // the corpus file's header says so
    EXPECT_EQ(setup.value().config.options.steps, 300);
    EXPECT_EQ(setup.value().config.options.snapshot_every, 25);
    EXPECT_EQ(setup.value().config.shape.config.n_heads, 8);  // bank-decoder.json
    EXPECT_EQ(setup.value().config.objective, Objective::NextWord);
}

// Training frames draw their trace ids from next_trace_id() like every other producer (they were
// step + 1 before, the same numbers the sentence's worker used).
TEST(TrainingWorker, FrameTracesHaveIdsNoOtherProducerUses) {
    TrainingWorker worker;
    worker.start(tiny_setup(4, 2));
    const TrainingStatus s = wait_for(worker, ended);
    ASSERT_EQ(s.phase, TrainingPhase::Finished) << s.error;
    std::set<std::uint64_t> ids;
    for (const TrainingFrame& f : *s.frames) {
        ASSERT_TRUE(f.trace);
        ids.insert(f.trace->id);
        EXPECT_EQ(f.trace->made_by, f.model) << "a frame's trace names its own snapshot";
    }
    const auto model = load_model("builtin:abc-example");
    ASSERT_TRUE(model.ok());
    for (const char* text : {"A", "A B", "A B C"}) ids.insert(compute_trace(*model.value(), text).value()->id);
    EXPECT_EQ(ids.size(), s.frames->size() + 3);
}

// [SECTION] Steps of a snapshot

// Waits until the cache has filed the head of `trace`'s model (or 10 s pass).
const std::optional<HeadProjection>* resolved(ProjectionCache& cache, const Trace& trace, int layer, int head) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    cache.want(trace, layer, head);
    while (!cache.find(trace, layer, head) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        cache.take_finished();
    }
    return cache.find(trace, layer, head);
}

// Two snapshots of one run have the same source name but different weights. The steps view's
// W_Q of each snapshot's trace must be that snapshot's: columns [h d_head, (h+1) d_head) of its
// layer's wq, read here straight from the snapshot's weights.
TEST(ProjectionCache, EachTrainingSnapshotShowsItsOwnWq) {
    TrainingWorker worker;
    worker.start(tiny_setup(4, 2));
    const TrainingStatus s = wait_for(worker, ended);
    ASSERT_EQ(s.phase, TrainingPhase::Finished) << s.error;
    const TrainingFrame &first = s.frames->front(), &last = s.frames->back();
    ASSERT_TRUE(first.trace && last.trace);
    ASSERT_EQ(first.model->info().source, last.model->info().source) << "the old guard compared these";
    const int head = 1, d_head = first.model->info().d_head;  // d_model 8, 2 heads: d_head 4
    ProjectionCache cache;
    EXPECT_EQ(cache.find(*first.trace, 0, head), nullptr) << "nothing before it is asked for";
    for (const TrainingFrame* f : {&first, &last}) {
        const auto* p = resolved(cache, *f->trace, 0, head);
        ASSERT_TRUE(p && p->has_value()) << "step " << f->step;
        const Matrix want = f->model->weights().layers[0].wq.middleCols(head * d_head, d_head);
        EXPECT_EQ((*p)->w_q, want) << "step " << f->step;
    }
    const Matrix& w_first = (*cache.find(*first.trace, 0, head))->w_q;
    const Matrix& w_last = (*cache.find(*last.trace, 0, head))->w_q;
    EXPECT_NE(w_first, w_last) << "training moved W_Q between the snapshots";
}

// [SECTION] Snapshot files

TEST(SnapshotFiles, ReadsTheStepFromTheCliFileNames) {
    EXPECT_EQ(snapshot_step_of("step-000120.json"), 120);
    EXPECT_EQ(snapshot_step_of("step-0.json"), 0);
    EXPECT_EQ(snapshot_step_of("step-12a.json"), -1);
    EXPECT_EQ(snapshot_step_of("step-.json"), -1);
    EXPECT_EQ(snapshot_step_of("step-000120.json.tmp"), -1);
    EXPECT_EQ(snapshot_step_of("model.json"), -1);
}

// An empty folder in this process's scratch folder, which goes when the tests end.
fs::path scratch(const std::string& name) {
    const fs::path d = attnscope::testing::scratch_dir() / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

TEST(SnapshotFiles, SavesAModelTheLoaderReadsBackAndOpensAFolderInStepOrder) {
    TrainingWorker trainer;
    trainer.start(tiny_setup(4, 2));
    const TrainingStatus trained = wait_for(trainer, ended);
    ASSERT_EQ(trained.frames->size(), 3u);
    const fs::path dir = scratch("folder");
    // Written out of order, with a file that is not a snapshot.
    for (int k : {2, 0, 1}) {
        const TrainingFrame& f = (*trained.frames)[static_cast<std::size_t>(k)];
        char name[32];
        std::snprintf(name, sizeof name, "step-%06d.json", f.step);
        ASSERT_TRUE(save_training_model(*f.model, dir / name).ok());
    }
    std::ofstream(dir / "notes.txt") << "not a model";
    ASSERT_TRUE(load_json_model_file(dir / "step-000004.json").ok());

    TrainingWorker viewer;
    viewer.open_snapshot_folder(dir);
    const TrainingStatus s = wait_for(viewer, ended);
    ASSERT_EQ(s.phase, TrainingPhase::Finished) << s.error;
    EXPECT_THAT(steps_of(s), ElementsAre(0, 2, 4));
    EXPECT_TRUE(std::isnan(s.frames->front().loss));  // files carry no loss
    EXPECT_TRUE(s.frames->front().trace == nullptr);   // no sentence chosen yet
    viewer.set_sentence("the dog");
    const TrainingStatus traced = wait_for(viewer, [](const TrainingStatus& st) { return st.sentence == "the dog"; });
    ASSERT_TRUE(traced.frames->back().trace);
    EXPECT_EQ(traced.frames->back().trace->n_tokens(), 2);
}

TEST(SnapshotFiles, OpensTheFolderThatTheCliTrainCommandWrites) {
    const fs::path dir = scratch("cli");
    std::ofstream(dir / "corpus.txt") << kTinyCorpus;
    std::ofstream(dir / "config.json") << R"({"name": "tiny", "objective": "next_word",
        "model": {"d_model": 8, "n_heads": 2, "n_layers": 1, "d_ff": 8, "max_len": 16}, "training": {"steps": 4, "batch_size": 2}})";
    const std::string command = std::string(ATTNSCOPE_BIN_DIR) + "/attnscope-cli train --corpus " + (dir / "corpus.txt").string() +
                                " --config " + (dir / "config.json").string() + " --out " + (dir / "tiny.json").string() +
                                " --snapshot-every 2 > /dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    const auto r = load_snapshot_folder(dir / "tiny.snapshots");
    ASSERT_TRUE(r.ok()) << r.error().message;
    std::vector<int> steps;
    for (const auto& [step, model] : r.value()) steps.push_back(step);
    EXPECT_THAT(steps, ElementsAre(0, 2, 4));
}

TEST(SnapshotFiles, AnEmptyFolderIsAnErrorThatNamesIt) {
    const fs::path dir = scratch("empty");
    const auto r = load_snapshot_folder(dir);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr(dir.string() + ": expected step-NNNNNN.json files"));
}

}  // namespace
}  // namespace attnscope::gui
