// Models from GGUF files (llama.cpp's format): the metadata becomes the Hugging Face config the
// architectures already read, the tensors are answered under their Hugging Face names, and the
// tokenizer comes from the tokenizer.* metadata. Architectures: llama (also what llama.cpp
// writes for Mistral), qwen2, qwen3, olmo2, phi3, gemma, gemma2, gemma3, gptneox, gpt2 and bert
// (also what it writes for DistilBERT).
#pragma once

#include <filesystem>

#include "attnscope/model.h"

namespace attnscope {

// Errors start with the path and name the key or tensor at fault:
// "…/m.gguf: key 'llama.block_count': missing".
Result<ModelPtr> load_gguf_model(const std::filesystem::path& path);

}  // namespace attnscope
