#include "workers/model_loader.h"

#include "shell/examples.h"

namespace attnscope::gui {

ModelLoader::ModelLoader(std::function<void()> on_done) : m_on_done(std::move(on_done)), m_thread([this] { run(); }) {}

ModelLoader::~ModelLoader() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

std::uint64_t ModelLoader::request(std::string spec) {
    std::lock_guard lock(m_mutex);
    m_pending = std::make_pair(++m_newest_id, std::move(spec));
    m_wake.notify_one();
    return m_newest_id;
}

std::optional<LoadOutcome> ModelLoader::take_finished() {
    std::lock_guard lock(m_mutex);
    std::optional<LoadOutcome> out = std::move(m_finished);
    m_finished.reset();
    return out;
}

bool ModelLoader::busy() const {
    std::lock_guard lock(m_mutex);
    return m_pending.has_value() || !m_loading_spec.empty();
}

std::string ModelLoader::loading_spec() const {
    std::lock_guard lock(m_mutex);
    return m_pending ? m_pending->second : m_loading_spec;
}

double ModelLoader::loading_seconds() const {
    std::lock_guard lock(m_mutex);
    if (m_loading_spec.empty()) return 0.0;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_loading_since).count();
}

void ModelLoader::rate_examples(const Model& model, LoadedModel& out) {
    int best = -1, best_unknowns = 0;
    const auto& examples = example_sentences();
    out.example_unknowns.assign(examples.size(), -1);
    for (std::size_t e = 0; e < examples.size(); ++e) {
        const auto tokens = model.tokenizer().encode(examples[e].text);
        if (!tokens.ok()) continue;
        int unknowns = 0;
        for (const Token& t : tokens.value()) unknowns += t.unknown ? 1 : 0;
        out.example_unknowns[e] = unknowns;
        if (best < 0 || unknowns < best_unknowns) {
            best = static_cast<int>(e);
            best_unknowns = unknowns;
        }
    }
    out.suggested_text = best >= 0 ? examples[static_cast<std::size_t>(best)].text : examples.front().text;
}

void ModelLoader::run() {
    for (;;) {
        std::pair<std::uint64_t, std::string> job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stop || m_pending.has_value(); });
            if (m_stop) return;
            job = std::move(*m_pending);
            m_pending.reset();
            m_loading_spec = job.second;
            m_loading_since = std::chrono::steady_clock::now();
        }
        const auto started = std::chrono::steady_clock::now();
        LoadOutcome outcome{job.first, job.second, Error{""}};
        auto model = load_model(job.second);
        if (model.ok()) {
            LoadedModel loaded;
            loaded.model = model.value();
            rate_examples(*loaded.model, loaded);
            loaded.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
            outcome.result = std::move(loaded);
        } else {
            outcome.result = model.error();
        }
        {
            std::lock_guard lock(m_mutex);
            m_loading_spec.clear();
            if (job.first == m_newest_id) m_finished = std::move(outcome);  // a newer request supersedes it
        }
        if (m_on_done) m_on_done();
    }
}

}  // namespace attnscope::gui
