#include "formats/tensor_source.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attnscope {

std::optional<GgmlType> ggml_type_of(Dtype dtype) {
    switch (dtype) {
        case Dtype::F32: return GgmlType::F32;
        case Dtype::F16: return GgmlType::F16;
        case Dtype::BF16: return GgmlType::BF16;
        default: return std::nullopt;
    }
}

std::string describe_weight_types(const std::vector<WeightTypeSummary>& types, const std::string& label) {
    std::uint64_t total = 0;
    for (const auto& t : types) total += t.n_bytes;
    if (types.size() == 1) return label.empty() ? ggml_type_name(types[0].type) : label;
    std::string out = label.empty() ? "" : label + " mix: ";
    for (std::size_t i = 0; i < types.size(); ++i) {
        const double share = total ? 100.0 * static_cast<double>(types[i].n_bytes) / static_cast<double>(total) : 0.0;
        char pct[16];
        if (share > 0 && share < 0.5) std::snprintf(pct, sizeof pct, "<1%%");
        else std::snprintf(pct, sizeof pct, "%.0f%%", share);
        out += (i ? ", " : "") + std::string(ggml_type_name(types[i].type)) + " " + pct;
    }
    return out;
}

std::string gguf_file_type_name(std::uint64_t file_type) {
    // llama.cpp's llama_ftype values (LLAMA_FTYPE_ALL_F32 = 0, LLAMA_FTYPE_MOSTLY_F16 = 1, ...);
    // the gaps are types it has retired.
    static const std::pair<std::uint64_t, const char*> kNames[] = {
        {0, "F32"},     {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},    {7, "Q8_0"},    {8, "Q5_0"},     {9, "Q5_1"},
        {10, "Q2_K"},   {11, "Q3_K_S"}, {12, "Q3_K_M"}, {13, "Q3_K_L"}, {14, "Q4_K_S"}, {15, "Q4_K_M"},  {16, "Q5_K_S"},
        {17, "Q5_K_M"}, {18, "Q6_K"},   {19, "IQ2_XXS"}, {20, "IQ2_XS"}, {21, "Q2_K_S"}, {22, "IQ3_XS"}, {23, "IQ3_XXS"},
        {24, "IQ1_S"},  {25, "IQ4_NL"}, {26, "IQ3_S"},  {27, "IQ3_M"},  {28, "IQ2_S"},  {29, "IQ2_M"},   {30, "IQ4_XS"},
        {31, "IQ1_M"},  {32, "BF16"},   {36, "TQ1_0"},  {37, "TQ2_0"},  {38, "MXFP4_MOE"},
    };
    for (const auto& [id, name] : kNames)
        if (id == file_type) return name;
    return "";
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
