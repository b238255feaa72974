// Sections: [SECTION] Commands (UI thread)  [SECTION] Worker loop  [SECTION] Training
//           [SECTION] Snapshot files  [SECTION] Built-in setup
#include "workers/training_worker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <stdexcept>

#include "attnscope/forward.h"
#include "attnscope/atomic_file.h"
#include "attnscope/induction_demo.h"
#include "attnscope/json_model.h"

extern "C" const char attnscope_training_corpus[];
extern "C" const char attnscope_training_corpus_end[];
extern "C" const char attnscope_training_config[];
extern "C" const char attnscope_training_config_end[];
extern "C" const char attnscope_induction_config[];
extern "C" const char attnscope_induction_config_end[];

namespace attnscope::gui {

namespace fs = std::filesystem;

namespace {

// Copying the loss list costs O(steps); publishing every few steps keeps a 6000-step run cheap.
constexpr int kPublishEvery = 10;

}  // namespace

const char* training_kind_name(TrainingKind k) {
    static const char* const kNames[] = {"ambiguous-words", "induction"};
    static_assert(std::size(kNames) == static_cast<std::size_t>(TrainingKind::Count), "a name for each kind");
    return kNames[static_cast<int>(k)];
}

const char* training_phase_name(TrainingPhase p) {
    static const char* const kNames[] = {"idle", "preparing", "running", "stopped", "finished", "failed"};
    static_assert(std::size(kNames) == static_cast<std::size_t>(TrainingPhase::Count), "a name for each phase");
    return kNames[static_cast<int>(p)];
}

// [SECTION] Commands (UI thread)

TrainingWorker::TrainingWorker(std::function<void()> on_publish) : m_core(std::move(on_publish)) {
    m_core.start(nullptr, [this] { run(); });  // joined by the destructor: nothing to keep alive
}

// Join, not detach: a running Trainer::run polls the stop flag between steps (milliseconds).
TrainingWorker::~TrainingWorker() {
    {
        std::lock_guard lock(m_core.mutex);
        m_commands.clear();
    }
    m_stop_requested = true;  // a running Trainer::run stops after its current step
    m_core.shutdown(OnShutdown::Join);
}

void TrainingWorker::start(TrainingSetup setup) {
    std::lock_guard lock(m_core.mutex);
    m_stop_requested = true;  // a run in progress ends first; the queue then starts the new one
    m_commands.push_back({CommandKind::Start, std::move(setup), {}, {}});
    m_latest.phase = TrainingPhase::Preparing;
    m_core.wake.notify_one();
}

void TrainingWorker::stop() { m_stop_requested = true; }

void TrainingWorker::resume() {
    std::lock_guard lock(m_core.mutex);
    m_commands.push_back({CommandKind::Resume, {}, {}, {}});
    m_core.wake.notify_one();
}

void TrainingWorker::set_sentence(std::string sentence) {
    std::lock_guard lock(m_core.mutex);
    m_commands.push_back({CommandKind::Sentence, {}, std::move(sentence), {}});
    m_core.wake.notify_one();
}

void TrainingWorker::open_snapshot_folder(fs::path dir) {
    std::lock_guard lock(m_core.mutex);
    m_stop_requested = true;
    m_commands.push_back({CommandKind::OpenFolder, {}, {}, std::move(dir)});
    m_latest.phase = TrainingPhase::Preparing;
    m_core.wake.notify_one();
}

TrainingStatus TrainingWorker::latest() const {
    std::lock_guard lock(m_core.mutex);
    return m_latest;
}

// [SECTION] Worker loop

bool TrainingWorker::wait_for_command(Command& out) {
    std::unique_lock lock(m_core.mutex);
    if (!m_core.wait(lock, [this] { return !m_commands.empty(); })) return false;
    out = std::move(m_commands.front());
    m_commands.pop_front();
    // A stop meant the run before this command. The destructor empties the queue under this lock
    // before it stops, and the run also polls m_core.stopping(), so a quit is never lost here.
    if (out.kind == CommandKind::Start || out.kind == CommandKind::Resume) m_stop_requested = false;
    return true;
}

void TrainingWorker::run() {
    Command c;
    while (wait_for_command(c)) {
        // Training's memory is checked up front (the trainer's sizes are bounded), but an
        // allocation can still fail when the machine is short: the run ends with the message.
        try {
            run_command(c);
        } catch (const std::bad_alloc&) {
            m_trainer.reset();
            publish(TrainingPhase::Failed, "out of memory: training needs more memory than the app can get");
        } catch (const std::exception& e) {
            m_trainer.reset();
            publish(TrainingPhase::Failed, std::string("unexpected error: ") + e.what());
        }
    }
}

void TrainingWorker::run_command(Command& c) {
    switch (c.kind) {
        case CommandKind::Start: do_start(c.setup); break;
        case CommandKind::Resume:
            if (m_trainer && m_step < m_total) do_train();
            break;
        case CommandKind::Sentence:
            m_sentence = c.sentence;
            retrace_all();
            publish(m_phase, m_error);
            break;
        case CommandKind::OpenFolder: do_open_folder(c.dir); break;
    }
}

TrainingFrame TrainingWorker::make_frame(int step, float loss, std::shared_ptr<const TransformerModel> model) const {
    TrainingFrame f;
    f.step = step;
    f.loss = loss;
    f.model = std::move(model);
    if (!m_sentence.empty()) {
        // A fresh process-wide id (next_trace_id), and the trace names this snapshot as its model:
        // the steps view shows this snapshot's W, not another's with the same source.
        TraceOptions options;
        options.keep_attention_bytes = kMemoryBudgetBytes;  // the views read the kept matrices
        auto trace = compute_trace(ModelPtr(f.model), m_sentence, options);
        if (trace.ok()) f.trace = trace.value();
        else f.trace_error = trace.error().message;
    }
    if (m_probe) {
        auto scores = probe_heads(*f.model, *m_probe);
        if (scores.ok()) f.heads = std::move(scores).value();
    }
    return f;
}

void TrainingWorker::retrace_all() {
    for (TrainingFrame& f : m_frames) f = make_frame(f.step, f.loss, f.model);
}

void TrainingWorker::publish(TrainingPhase phase, const std::string& error) {
    m_phase = phase;
    m_error = error;
    {
        std::lock_guard lock(m_core.mutex);
        TrainingStatus s;
        s.phase = phase;
        s.step = m_step;
        s.total_steps = m_total;
        s.error = error;
        s.source = m_source;
        s.sentence = m_sentence;
        s.losses = std::make_shared<const std::vector<float>>(m_losses);
        s.frames = std::make_shared<const std::vector<TrainingFrame>>(m_frames);
        s.generation = m_latest.generation + 1;
        // A start or folder queued meanwhile keeps showing "preparing".
        const bool queued_reset = std::any_of(m_commands.begin(), m_commands.end(), [](const Command& c) {
            return c.kind == CommandKind::Start || c.kind == CommandKind::OpenFolder;
        });
        if (queued_reset) s.phase = TrainingPhase::Preparing;
        m_latest = std::move(s);
    }
    m_core.notify_published();
}

// [SECTION] Training

void TrainingWorker::do_start(TrainingSetup& setup) {
    m_trainer.reset();
    m_losses.clear();
    m_frames.clear();
    m_step = 0;
    m_total = setup.config.options.steps;
    m_sentence = setup.sentence;
    m_source = "training " + setup.config.name;
    auto created = Trainer::create(setup.config, setup.corpus);
    if (!created.ok()) {
        publish(TrainingPhase::Failed, created.error().message);
        return;
    }
    m_trainer = std::move(created).value();
    m_probe.reset();
    if (setup.score_heads) {
        // The same probe for every snapshot (the vocabulary is the run's), so the curves compare.
        auto probe = make_induction_probe(*m_trainer->export_model());
        if (probe.ok()) m_probe = std::move(probe).value();
    }
    do_train();
}

void TrainingWorker::do_train() {
    publish(TrainingPhase::Running);
    m_trainer->run([this](const TrainingProgress& p) {
        if (m_stop_requested || m_core.stopping()) m_trainer->cancel();
        if (p.step > static_cast<int>(m_losses.size())) m_losses.push_back(p.loss);
        m_step = p.step;
        handle_sentence_changes();
        // A resumed run republishes the step it resumes at: keep one frame per step.
        const bool new_frame = p.snapshot && (m_frames.empty() || m_frames.back().step != p.snapshot->step);
        if (new_frame) m_frames.push_back(make_frame(p.snapshot->step, p.snapshot->loss, p.snapshot->model));
        if (new_frame || p.step % kPublishEvery == 0) publish(TrainingPhase::Running);
    });
    m_step = m_trainer->steps_taken();
    publish(m_step >= m_total ? TrainingPhase::Finished : TrainingPhase::Stopped);
}

void TrainingWorker::handle_sentence_changes() {
    std::optional<std::string> sentence;
    {
        std::lock_guard lock(m_core.mutex);
        for (auto it = m_commands.begin(); it != m_commands.end();)
            if (it->kind == CommandKind::Sentence) sentence = std::move(it->sentence), it = m_commands.erase(it);
            else ++it;
    }
    if (!sentence) return;
    m_sentence = *sentence;
    retrace_all();
}

// [SECTION] Snapshot files

int snapshot_step_of(const std::string& file_name) {
    const std::string prefix = "step-", suffix = ".json";
    if (file_name.size() <= prefix.size() + suffix.size()) return -1;
    if (file_name.compare(0, prefix.size(), prefix) != 0) return -1;
    if (file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) != 0) return -1;
    const std::string digits = file_name.substr(prefix.size(), file_name.size() - prefix.size() - suffix.size());
    if (digits.size() > 9) return -1;  // fits an int
    for (char c : digits)
        if (c < '0' || c > '9') return -1;
    return std::stoi(digits);
}

Result<std::vector<std::pair<int, std::shared_ptr<const TransformerModel>>>> load_snapshot_folder(const fs::path& dir) {
    std::error_code ec;
    std::vector<std::pair<int, fs::path>> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const int step = snapshot_step_of(it->path().filename().string());
        if (step >= 0) files.emplace_back(step, it->path());
    }
    if (ec) return Error{dir.string() + ": could not read the folder: " + ec.message()};
    if (files.empty()) return Error{dir.string() + ": expected step-NNNNNN.json files (attnscope-cli train --snapshot-every), got none"};
    std::sort(files.begin(), files.end());
    std::vector<std::pair<int, std::shared_ptr<const TransformerModel>>> out;
    for (const auto& [step, file] : files) {
        auto model = load_json_model_file(file);
        if (!model.ok()) return model.error();
        auto transformer = std::dynamic_pointer_cast<const TransformerModel>(model.value());
        if (!transformer) return Error{file.string() + ": expected an own-format transformer model"};
        out.emplace_back(step, std::move(transformer));
    }
    return out;
}

void TrainingWorker::do_open_folder(const fs::path& dir) {
    m_trainer.reset();
    m_probe.reset();
    m_losses.clear();
    m_frames.clear();
    m_step = m_total = 0;
    m_source = dir.string();
    auto loaded = load_snapshot_folder(dir);
    if (!loaded.ok()) {
        publish(TrainingPhase::Failed, loaded.error().message);
        return;
    }
    for (auto& [step, model] : loaded.value()) m_frames.push_back(make_frame(step, std::numeric_limits<float>::quiet_NaN(), model));
    m_step = m_total = m_frames.back().step;
    publish(TrainingPhase::Finished);
}

Result<fs::path> save_training_model(const TransformerModel& model, const fs::path& file) {
    return write_file_atomically(file, write_json_model(model));
}

// [SECTION] Built-in setup

Result<TrainingSetup> builtin_training_setup(int steps, int record_every, const std::string& sentence) {
    const std::string_view config_text(attnscope_training_config,
                                       static_cast<std::size_t>(attnscope_training_config_end - attnscope_training_config));
    auto config = parse_training_config(config_text, "bank-decoder.json");
    if (!config.ok()) return config.error();
    const std::string_view corpus_text(attnscope_training_corpus,
                                       static_cast<std::size_t>(attnscope_training_corpus_end - attnscope_training_corpus));
    auto corpus = parse_corpus(corpus_text, "ambiguous-words.txt");
    if (!corpus.ok()) return corpus.error();
    TrainingSetup setup{config.value(), corpus.value(), sentence};
    setup.config.name += "-live";
    setup.config.options.steps = std::max(1, steps);
    setup.config.options.snapshot_every = std::max(1, record_every);
    // A short run warms up over its first 1/60, as gently as a real run starts.
    setup.config.options.warmup_steps = std::max(1, setup.config.options.steps / 60);
    return setup;
}

Result<TrainingSetup> induction_training_setup(int steps, int record_every, const std::string& sentence) {
    const std::string_view config_text(attnscope_induction_config,
                                       static_cast<std::size_t>(attnscope_induction_config_end - attnscope_induction_config));
    auto config = parse_training_config(config_text, "induction-demo.json");
    if (!config.ok()) return config.error();
    TrainingSetup setup{config.value(), induction_corpus(), sentence, true};
    setup.config.name += "-live";
    setup.config.options.steps = std::max(1, steps);
    setup.config.options.snapshot_every = std::max(1, record_every);
    return setup;
}

}  // namespace attnscope::gui
