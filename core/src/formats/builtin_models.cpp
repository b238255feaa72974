#include "attnscope/builtin_models.h"

// The bytes of assets/models/*.json, linked in by cmake/embed.cmake.
extern "C" const char attnscope_model_abc_example[];
extern "C" const char attnscope_model_abc_example_end[];
extern "C" const char attnscope_model_bank_decoder[];
extern "C" const char attnscope_model_bank_decoder_end[];
extern "C" const char attnscope_model_bank_encoder[];
extern "C" const char attnscope_model_bank_encoder_end[];
extern "C" const char attnscope_model_translator[];
extern "C" const char attnscope_model_translator_end[];
extern "C" const char attnscope_model_induction_demo[];
extern "C" const char attnscope_model_induction_demo_end[];

namespace attnscope {

namespace {
std::string_view embedded(const char* begin, const char* end) {
    return {begin, static_cast<std::size_t>(end - begin)};
}
}  // namespace

const std::vector<BuiltinModel>& builtin_models() {
    static const std::vector<BuiltinModel> models = {
        {"abc-example", embedded(attnscope_model_abc_example, attnscope_model_abc_example_end)},
        // trained by scripts/train-builtin-models (issue 4)
        {"bank-decoder", embedded(attnscope_model_bank_decoder, attnscope_model_bank_decoder_end)},
        {"bank-encoder", embedded(attnscope_model_bank_encoder, attnscope_model_bank_encoder_end)},
        // English -> French, an encoder-decoder (issue 15)
        {"translator", embedded(attnscope_model_translator, attnscope_model_translator_end)},
        // 2 layers of attention only, on made-up words: the induction-head demo trained (issue 18)
        {"induction-demo", embedded(attnscope_model_induction_demo, attnscope_model_induction_demo_end)},
    };
    return models;
}

std::optional<std::string_view> builtin_model_text(std::string_view name) {
    for (const auto& m : builtin_models())
        if (m.name == name) return m.json;
    return std::nullopt;
}

}  // namespace attnscope
