// load_model(spec): decides what kind of file a spec names and hands it to the right loader.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include "attnscope/builtin_models.h"
#include "models/hf_model.h"
#include "attnscope/json_model.h"
#include "attnscope/model.h"
#include "attnscope/text.h"
#include "models/gguf_model.h"
#include "formats/safetensors.h"
#include "util/file_read.h"

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

// The first bytes of a regular file ("" when it cannot be read: the loader that reads it says why).
std::string file_head(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return {};
    std::string head;
    try {
        const OpenedFile file = open_regular_file(path);
        head.resize(8);
        const ssize_t got = ::read(file.fd, head.data(), head.size());
        ::close(file.fd);
        head.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    } catch (const LoadError&) {
        return {};
    }
    return head;
}

// A GGUF file by its name or its magic (a .bin that is really GGUF is read as what it is).
bool is_gguf(const std::filesystem::path& path) {
    return lower_extension(path) == ".gguf" || file_head(path).rfind("GGUF", 0) == 0;
}

// An image or an archive handed over as a model: say what it is instead of the JSON parser's
// "not valid UTF-8 at byte 0".
std::optional<Error> model_format_by_magic(const std::filesystem::path& path) {
    if (lower_extension(path) == ".safetensors") return std::nullopt;
    const std::string head = file_head(path);
    const auto format = binary_format_name(head);
    if (!format || format->find("pickle") != std::string::npos || format->find("zip") != std::string::npos)
        return std::nullopt;  // pickles and zips get refuse_pickle's conversion hint
    return Error{path.string() + ": unsupported format: this is " + *format +
                 "; AttnScope reads .json models, .safetensors and .gguf files and Hugging Face model folders"};
}

// Which loader a spec goes to, and the refusals that need no loader.
Result<ModelPtr> dispatch_load(const std::string& spec) {
    if (spec.rfind(kBuiltinPrefix, 0) == 0) return load_builtin(spec);

    const std::filesystem::path path(spec);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {  // ec says why: a link loop, a folder we may not enter, ...
        const bool missing = !ec || ec == std::errc::no_such_file_or_directory;
        return Error{spec + ": " + (missing ? "no such file or directory" : describe_errno(ec.value()))};
    }
    std::error_code file_ec;
    if (std::filesystem::is_regular_file(path, file_ec) && is_gguf(path)) return load_gguf_model(path);
    if (auto format = model_format_by_magic(path)) return *format;

    if (auto refused = refuse_pickle(path)) return *refused;
    const std::string ext = lower_extension(path);
    if (std::filesystem::is_directory(path, ec) || ext == ".safetensors" || path.filename() == "config.json" ||
        path.filename() == "model.safetensors.index.json")
        return load_hf_model(path);
    return load_json_model_file(path);
}

}  // namespace

// Every load error, from whichever loader, is bounded: a file can quote a 200,000-character
// vocabulary key, and the GUI and the terminal must not have to show it whole.
Result<ModelPtr> load_model(const std::string& spec) {
    Result<ModelPtr> result = dispatch_load(spec);
    if (!result.ok() && result.error().message.size() > kMaxMessageBytes)
        return Error{cut_for_message(result.error().message, kMaxMessageBytes)};
    return result;
}

}  // namespace attnscope
