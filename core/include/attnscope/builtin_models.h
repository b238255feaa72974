// Models compiled into the binaries from assets/models/ (the files there are the source of truth).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

struct BuiltinModel {
    std::string name;       // what follows "builtin:"
    std::string_view json;  // the file's text, embedded at build time
};

const std::vector<BuiltinModel>& builtin_models();
std::optional<std::string_view> builtin_model_text(std::string_view name);

}  // namespace attnscope
