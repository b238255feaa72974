#include "attnscope/model_info.h"

#include <iterator>

namespace attnscope {

namespace {
constexpr const char* kArchitectureNames[] = {"attnscope", "gpt2", "bert", "llama", "t5", "bart", "marian", "gpt_neox", "opt"};
static_assert(std::size(kArchitectureNames) == static_cast<std::size_t>(Architecture::Count),
              "every architecture needs its name in the trace JSON");
}  // namespace

const char* architecture_name(Architecture a) { return kArchitectureNames[static_cast<int>(a)]; }

const char* model_kind(const ModelInfo& info) {
    return info.encoder_decoder ? "encoder-decoder" : info.causal ? "decoder" : "encoder";
}

}  // namespace attnscope
