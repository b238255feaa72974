// Hugging Face checkpoints as they are on disk: a folder with config.json, *.safetensors (single
// or sharded) and the tokenizer files. Architectures by config.json's model_type: gpt2, bert,
// distilbert, llama, mistral, qwen2.
#pragma once

#include <filesystem>

#include "attnscope/model.h"

namespace attnscope {

// `path`: the model folder, its config.json, or a .safetensors file inside it. Errors start
// with the file at fault: "…/config.json: model_type: expected one of …, got \"t5\"".
Result<ModelPtr> load_hf_model(const std::filesystem::path& path);

}  // namespace attnscope
