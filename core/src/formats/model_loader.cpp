// load_model(spec): decides what kind of file a spec names and hands it to the right loader.
#include <algorithm>
#include <fstream>

#include "attnscope/builtin_models.h"
#include "models/hf_model.h"
#include "attnscope/json_model.h"
#include "attnscope/model.h"
#include "formats/safetensors.h"

namespace attnscope {

namespace {

constexpr std::string_view kBuiltinPrefix = "builtin:";

std::string lower_extension(const std::filesystem::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
}

Result<ModelPtr> load_builtin(const std::string& spec) {
    const std::string name = spec.substr(kBuiltinPrefix.size());
    if (auto text = builtin_model_text(name)) return load_json_model_text(*text, spec);
    std::string known;
    for (const auto& m : builtin_models()) known += (known.empty() ? "" : ", ") + m.name;
    return Error{spec + ": no such built-in model (built in: " + known + ")"};
}

}  // namespace

Result<ModelPtr> load_model(const std::string& spec) {
    if (spec.rfind(kBuiltinPrefix, 0) == 0) return load_builtin(spec);

    const std::filesystem::path path(spec);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return Error{spec + ": no such file or directory"};

    if (auto refused = refuse_pickle(path)) return *refused;
    const std::string ext = lower_extension(path);
    if (std::filesystem::is_directory(path, ec) || ext == ".safetensors" || path.filename() == "config.json" ||
        path.filename() == "model.safetensors.index.json")
        return load_hf_model(path);
    return load_json_model_file(path);
}

}  // namespace attnscope
