// Fuzz target: text as a training config (attnscope/train.h, assets/configs/*.json). A config
// that parses and describes a small model is trained for one step on a fixed corpus, and the
// trained model must survive being written in the own format and read back (the trainer's output
// is a file the app loads).
#include <cstdint>
#include <string>

#include "attnscope/json_model.h"
#include "attnscope/train.h"
#include "fuzz_support.h"

namespace {

using namespace attnscope;

constexpr const char* kCorpus =
    "i took the money to the bank .\tbank=money\n"
    "we sat on the river bank .\tbank=river\n"
    "# a comment\n"
    "the bat flew out of the cave\tbat=animal\n"
    "he swung the bat at the ball\tbat=sport\n";

// Parameters of the model the config describes, roughly; the fixed corpus has about 30 words.
double parameter_count(const TrainingConfig& c) {
    const double d = c.shape.config.d_model, f = c.shape.config.d_ff, layers = c.shape.config.n_layers;
    return layers * (4 * d * d + 2 * d * f + 8 * d + f) + (30 + c.shape.config.max_len) * d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::setup_once();
    const std::string_view text = fuzz::as_text(data, size);
    const Result<TrainingConfig> parsed = parse_training_config(text, "fuzz-config.json");
    if (!parsed.ok()) {
        fuzz::check_error(parsed.error(), "parse_training_config", text);
        return 0;
    }
    TrainingConfig config = parsed.value();
    const TransformerConfig& c = config.shape.config;
    fuzz::check(c.d_model > 0 && c.n_heads > 0 && c.d_model % c.n_heads == 0 && c.n_layers > 0 && c.max_len > 0,
                "a config with impossible sizes parsed");
    if (parameter_count(config) > 200'000) return 0;  // training time grows with it; the parser is what is fuzzed
    config.options.batch_size = std::min(config.options.batch_size, 4);

    const Result<Corpus> corpus = parse_corpus(kCorpus, "fixed-corpus.txt");
    fuzz::check(corpus.ok(), "the fixed corpus does not parse");
    auto trainer = Trainer::create(config, corpus.value());
    if (!trainer.ok()) {
        fuzz::check_error(trainer.error(), "Trainer::create", text);
        return 0;
    }
    (void)trainer.value()->step();
    const std::string written = write_json_model(*trainer.value()->export_model());
    const Result<ModelPtr> reloaded = load_json_model_text(written, "trained.json");
    // Weights that trained to NaN or infinity are refused by the loader with a message; anything
    // else the trainer writes must load.
    if (!reloaded.ok()) {
        fuzz::check_error(reloaded.error(), "reload", written);
        fuzz::check(reloaded.error().message.find("finite") != std::string::npos,
                    "the trainer wrote a model the loader refuses: " + reloaded.error().message);
    }
    return 0;
}
