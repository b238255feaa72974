#include "workers/model_loader.h"

#include <algorithm>
#include <chrono>

#include "shell/examples.h"

namespace attnscope::gui {

namespace {

// The loader's job. It captures nothing of the ModelLoader: a detached thread may still run it
// after the loader is gone.
Result<LoadedModel> load_and_rate(const std::string& spec) {
    const auto started = std::chrono::steady_clock::now();
    auto model = load_model(spec);
    if (!model.ok()) return model.error();
    LoadedModel loaded;
    loaded.model = model.value();
    ModelLoader::rate_examples(*loaded.model, loaded);
    loaded.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return loaded;
}

}  // namespace

ModelLoader::ModelLoader(std::function<void()> on_done)
    : m_worker([](const std::string& spec, std::uint64_t, const StaleCheck&) { return load_and_rate(spec); }, std::move(on_done),
               OnShutdown::Detach) {}

std::uint64_t ModelLoader::request(std::string spec) { return m_worker.request(std::move(spec)); }

std::optional<LoadOutcome> ModelLoader::take_finished() {
    const auto s = m_worker.latest();
    if (!s.newest || s.newest->id == m_taken) return std::nullopt;
    m_taken = s.newest->id;
    const auto& done = *s.newest;
    if (done.result.ok()) return LoadOutcome{done.id, *done.request, done.result.value()};
    return LoadOutcome{done.id, *done.request, done.result.error()};
}

bool ModelLoader::busy() const { return m_worker.latest().busy(); }

std::string ModelLoader::loading_spec() const {
    const auto s = m_worker.latest();
    return s.pending ? *s.pending : s.running ? *s.running : std::string();
}

double ModelLoader::loading_seconds() const {
    const auto s = m_worker.latest();
    if (!s.running) return 0.0;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - s.running_since).count();
}

void ModelLoader::rate_examples(const Model& model, LoadedModel& out) {
    // An encoder-decoder that knows every word of the first translation example opens on it.
    if (model.encoder_decoder()) {
        const auto tokens = model.tokenizer().encode(translation_examples().front().text);
        const bool known = tokens.ok() && std::none_of(tokens.value().begin(), tokens.value().end(), [](const Token& t) { return t.unknown; });
        if (known) {
            rate_bank_examples(model, out);
            out.suggested_text = translation_examples().front().text;
            return;
        }
    }
    rate_bank_examples(model, out);
}

void ModelLoader::rate_bank_examples(const Model& model, LoadedModel& out) {
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

}  // namespace attnscope::gui
