// The own JSON model format, version 1 (design.md). Loading is all or nothing: an error names
// the JSON path, what was expected and what was found.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "attnscope/model.h"
#include "attnscope/transformer.h"

namespace attnscope {

Result<ModelPtr> load_json_model_file(const std::filesystem::path& file);

// `source` names the text in messages and becomes ModelInfo::source ("builtin:bank-decoder").
Result<ModelPtr> load_json_model_text(std::string_view text, const std::string& source);

// Writes a model in the own format, version 1 (the trainer's output). Floats are written with
// enough digits to read back bit for bit.
std::string write_json_model(const TransformerModel& model);

}  // namespace attnscope
