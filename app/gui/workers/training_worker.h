// TrainingWorker: trains a small model inside the app on its own thread (attnscope::Trainer) and
// records a timeline: every `record_every` steps a TrainingFrame (the model as it was, plus the
// trace of the chosen sentence, computed here on the worker, never on the draw path). The UI takes
// an immutable TrainingStatus once per frame; nothing is locked while drawing.
//
// Lifecycle: start() -> Running -> Finished | Stopped (stop()); resume() continues a stopped run
// from its step. The destructor cancels a run between two steps and joins the thread, so quitting
// the app while training is safe.
//
// It runs on the same WorkerCore (thread, wake signal, stop flag, UI callback) as every other
// worker (background_worker.h), with a command queue in place of the latest-wins slot: every
// command counts, in order (a start, then a sentence change, then a resume).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/head_detectors.h"
#include "attnscope/train.h"
#include "attnscope/transformer.h"
#include "workers/background_worker.h"

namespace attnscope::gui {

// One recorded point of the timeline; immutable once published.
struct TrainingFrame {
    int step = 0;
    float loss = 0.f;  // on a fixed sample of the corpus; NaN for snapshots read from files
    std::shared_ptr<const TransformerModel> model;
    std::shared_ptr<const Trace> trace;  // the chosen sentence under this model (made_by: it); null if it failed
    std::string trace_error;
    // Every head's scores on the run's induction probe (TrainingSetup::score_heads), layer-major;
    // empty when the run does not score them.
    std::vector<HeadDetectorScores> heads;
};

enum class TrainingPhase { Idle, Preparing, Running, Stopped, Finished, Failed, Count };
const char* training_phase_name(TrainingPhase p);  // "idle", "preparing", ...

struct TrainingStatus {
    TrainingPhase phase = TrainingPhase::Idle;
    int step = 0, total_steps = 0;
    std::string error;        // Failed: why
    std::string source;       // "training bank-decoder-live", or the snapshot folder
    std::string sentence;     // the sentence the frames' traces are of
    std::shared_ptr<const std::vector<float>> losses;         // batch loss of every step, in order
    std::shared_ptr<const std::vector<TrainingFrame>> frames; // the timeline, by step
    std::uint64_t generation = 0;  // grows with every publish: a cache key for panels
};

// What a run trains, for the panel's choice and the lesson field "training".
enum class TrainingKind { AmbiguousWords, InductionHeads, Count };
const char* training_kind_name(TrainingKind k);  // "ambiguous-words", "induction"

struct TrainingSetup {
    TrainingConfig config;   // config.options.steps and snapshot_every are the run's
    Corpus corpus;
    std::string sentence;
    // Score every head of every snapshot on an induction probe (10 random sequences of the model's
    // own words, each repeated; head_detectors.h), made once per run with a fixed seed.
    bool score_heads = false;
};

class TrainingWorker {
public:
    // `on_publish` runs on the worker thread after each publish (e.g. to wake the UI).
    explicit TrainingWorker(std::function<void()> on_publish = {});
    ~TrainingWorker();
    TrainingWorker(const TrainingWorker&) = delete;
    TrainingWorker& operator=(const TrainingWorker&) = delete;

    // UI thread; all return at once and the worker does the work.
    void start(TrainingSetup setup);                   // a fresh run (replaces the timeline)
    void stop();                                       // after the current step
    void resume();                                     // a Stopped run goes on from its step
    void set_sentence(std::string sentence);           // recomputes every frame's trace
    void open_snapshot_folder(std::filesystem::path dir);  // step-NNNNNN.json files of attnscope-cli train

    TrainingStatus latest() const;

private:
    enum class CommandKind { Start, Resume, Sentence, OpenFolder };
    struct Command {
        CommandKind kind;
        TrainingSetup setup;
        std::string sentence;
        std::filesystem::path dir;
    };

    void run();
    void run_command(Command& c);
    bool wait_for_command(Command& out);  // false on shutdown
    void do_start(TrainingSetup& setup);
    void do_train();
    void do_open_folder(const std::filesystem::path& dir);
    void retrace_all();
    void handle_sentence_changes();  // between steps: a new sentence retraces the timeline
    TrainingFrame make_frame(int step, float loss, std::shared_ptr<const TransformerModel> model) const;

    // Publishing: the worker's own copies go out as new immutable snapshots.
    void publish(TrainingPhase phase, const std::string& error = "");

    // Guarded by m_core.mutex.
    std::deque<Command> m_commands;
    TrainingStatus m_latest;
    std::atomic<bool> m_stop_requested{false};

    // Worker-thread only.
    std::unique_ptr<Trainer> m_trainer;
    std::string m_sentence;
    std::string m_source;
    TrainingPhase m_phase = TrainingPhase::Idle;  // as last published
    std::string m_error;
    std::vector<float> m_losses;
    std::vector<TrainingFrame> m_frames;
    int m_step = 0, m_total = 0;
    std::optional<InductionProbe> m_probe;  // the run's, when it scores its heads

    mutable WorkerCore m_core;  // last member: its thread starts after everything it uses exists
};

// Loads every step-NNNNNN.json of `dir` in step order (the names attnscope-cli train
// --snapshot-every writes). Errors name the file.
Result<std::vector<std::pair<int, std::shared_ptr<const TransformerModel>>>> load_snapshot_folder(const std::filesystem::path& dir);

// Parses "step-000120.json" -> 120; -1 for any other name.
int snapshot_step_of(const std::string& file_name);

// Writes the model as own-format JSON through a temporary file and a rename.
Result<std::filesystem::path> save_training_model(const TransformerModel& model, const std::filesystem::path& file);

// The live-training setup the panel starts from: the bank-decoder config and the ambiguous-words
// corpus (both linked into the binary), with `steps` steps and a snapshot every `record_every`.
Result<TrainingSetup> builtin_training_setup(int steps, int record_every, const std::string& sentence);

// The induction-head demo (attnscope/induction_demo.h): its config (linked in), the made-up-word
// corpus, and every head scored on the induction probe at each snapshot.
Result<TrainingSetup> induction_training_setup(int steps, int record_every, const std::string& sentence);

}  // namespace attnscope::gui
