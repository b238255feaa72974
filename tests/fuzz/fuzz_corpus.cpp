// Fuzz target: text as a training corpus (attnscope/train.h: `sentence<TAB>word=sense ...` lines).
// A corpus that parses must keep every sentence line (none lost, none invented), and builds a
// trainer for a tiny encoder and a tiny decoder, or gets a message saying why not; a trainer that
// is built takes one step.
#include <algorithm>
#include <cstdint>
#include <string>

#include "attnscope/train.h"
#include "fuzz_support.h"

namespace {

using namespace attnscope;

TrainingConfig tiny_config(Objective objective) {
    TrainingConfig config;
    config.name = "fuzz";
    config.objective = objective;
    TransformerConfig& c = config.shape.config;
    c.d_model = 8;
    c.n_heads = 2;
    c.n_layers = 1;
    c.d_ff = 8;
    c.max_len = 24;
    c.causal = objective == Objective::NextWord;
    config.options.batch_size = 2;
    config.options.steps = 1;
    return config;
}

// Lines that are neither blank nor comments: what the parser must have kept.
std::size_t sentence_lines(std::string_view text) {
    std::size_t count = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        const std::string_view line = text.substr(pos, end - pos);
        const std::size_t first = line.find_first_not_of(" \r\n\t");
        if (first != std::string_view::npos && line[first] != '#') ++count;
        pos = end + 1;
    }
    return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::setup_once();
    const std::string_view text = fuzz::as_text(data, size);
    const Result<Corpus> corpus = parse_corpus(text, "fuzz-corpus.txt");
    if (!corpus.ok()) {
        fuzz::check_error(corpus.error(), "parse_corpus", text);
        return 0;
    }
    fuzz::check(corpus.value().sentences.size() == sentence_lines(text),
                "the corpus has " + std::to_string(sentence_lines(text)) + " sentence lines, the parser kept " +
                    std::to_string(corpus.value().sentences.size()));
    if (corpus.value().sentences.size() > 200) return 0;  // the parser is what is fuzzed; keep a step cheap
    for (const Objective objective : {Objective::MaskedWord, Objective::NextWord}) {
        auto trainer = Trainer::create(tiny_config(objective), corpus.value());
        if (!trainer.ok()) {
            fuzz::check_error(trainer.error(), "Trainer::create", text);
            continue;
        }
        (void)trainer.value()->step();
    }
    return 0;
}
