#include "formats/tensor_source.h"

#include <algorithm>

namespace attnscope {

std::optional<GgmlType> ggml_type_of(Dtype dtype) {
    switch (dtype) {
        case Dtype::F32: return GgmlType::F32;
        case Dtype::F16: return GgmlType::F16;
        case Dtype::BF16: return GgmlType::BF16;
        default: return std::nullopt;
    }
}

namespace {

class SafetensorsSource final : public TensorSource {
public:
    explicit SafetensorsSource(SafetensorsCheckpoint checkpoint) : m_checkpoint(std::move(checkpoint)) {}

    std::optional<StoredTensor> find(const std::string& name) const override {
        const TensorInfo* info = m_checkpoint.find(name);
        if (!info) return std::nullopt;
        const TensorView view = m_checkpoint.require_view(name);
        StoredTensor t{info->name, info->shape, GgmlType::F32, view.data, view.n_bytes, {}, {}};
        if (const auto type = ggml_type_of(info->dtype)) t.type = *type;
        else t.unreadable_type = dtype_name(info->dtype);
        return t;
    }

    const std::filesystem::path& path() const override { return m_checkpoint.path(); }

    std::vector<WeightTypeSummary> type_summary() const override {
        std::vector<WeightTypeSummary> out;
        for (const DtypeSummary& s : m_checkpoint.dtype_summary())
            if (const auto type = ggml_type_of(s.dtype)) out.push_back({*type, s.n_elements, s.n_bytes});
        std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.n_bytes > b.n_bytes; });
        return out;
    }

    std::uint64_t file_bytes() const override {
        std::uint64_t total = 0;
        for (const SafetensorsFile& f : m_checkpoint.files()) total += f.file_size();
        return total;
    }

private:
    SafetensorsCheckpoint m_checkpoint;
};

}  // namespace

std::unique_ptr<TensorSource> make_safetensors_source(SafetensorsCheckpoint checkpoint) {
    return std::make_unique<SafetensorsSource>(std::move(checkpoint));
}

}  // namespace attnscope
