#include "workers/projection_cache.h"

namespace attnscope::gui {

namespace {

// Enough for a teacher clicking through every head of a small model, or a few of GPT-2's
// (3 x 768 x 64 floats = 590 KB a head).
constexpr std::size_t kMaxEntries = 48;

// Same model object, by identity: owner_before compares control blocks, which stay allocated
// while a weak_ptr refers to them, so a new model can never look like an expired one.
bool same_model(const std::weak_ptr<const Model>& a, const std::shared_ptr<const Model>& b) {
    return !a.owner_before(b) && !b.owner_before(a);
}

}  // namespace

// Join at shutdown: slicing one head out of memory (or an mmap'd file) takes milliseconds.
ProjectionCache::ProjectionCache(std::function<void()> on_publish)
    : m_worker([](const ProjectionRequest& r, std::uint64_t, const StaleCheck&) -> Result<Answer> {
                   return r.model->head_projection(r.layer, r.head);
               },
               std::move(on_publish), OnShutdown::Join) {}

const ProjectionCache::Entry* ProjectionCache::lookup(const std::shared_ptr<const Model>& model, int layer, int head) const {
    for (const Entry& e : m_entries)
        if (e.layer == layer && e.head == head && same_model(e.model, model)) return &e;
    return nullptr;
}

void ProjectionCache::want(const Trace& trace, int layer, int head) {
    if (!trace.made_by || layer < 0 || layer >= static_cast<int>(trace.layers.size())) return;
    if (head < 0 || head >= static_cast<int>(trace.layers[static_cast<std::size_t>(layer)].heads.size())) return;
    if (lookup(trace.made_by, layer, head)) return;
    if (m_asked.model == trace.made_by && m_asked.layer == layer && m_asked.head == head) return;  // on its way
    m_asked = ProjectionRequest{trace.made_by, layer, head};
    m_worker.request(m_asked);
}

void ProjectionCache::take_finished() {
    const auto s = m_worker.latest();
    if (!s.newest || s.newest->id == m_taken) return;
    m_taken = s.newest->id;
    const ProjectionRequest& r = *s.newest->request;
    if (!lookup(r.model, r.layer, r.head))
        m_entries.push_back(Entry{r.model, r.layer, r.head, s.newest->result.ok() ? s.newest->result.value() : std::nullopt});
    if (m_entries.size() > kMaxEntries) m_entries.erase(m_entries.begin());
    if (m_asked.model == r.model && m_asked.layer == r.layer && m_asked.head == r.head) m_asked = {};
}

const std::optional<HeadProjection>* ProjectionCache::find(const Trace& trace, int layer, int head) const {
    static const std::optional<HeadProjection> kNoModel;  // a trace built by hand: no model to ask, no W
    if (!trace.made_by) return &kNoModel;
    const Entry* e = lookup(trace.made_by, layer, head);
    return e ? &e->projection : nullptr;
}

}  // namespace attnscope::gui
