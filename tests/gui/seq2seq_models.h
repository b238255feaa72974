// The tiny random encoder-decoders (Marian, BART, T5) that
// tests/models/hf_reference/make_seq2seq_reference.py writes: folders with config.json,
// model.safetensors and a WordPiece vocab.txt of made-up words w5 .. w39. Made once per test
// process into its scratch folder (it takes a third of a second), so the GUI tests need no fixture.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "../test_scratch.h"

namespace attnscope::testing {

// The folder of checkpoint `name` ("bart_f16": 2 encoder layers of 2 heads, 3 decoder layers of
// 4), or an empty path when the script could not run (no numpy): callers skip then.
inline std::filesystem::path seq2seq_model(const std::string& name) {
    static const std::filesystem::path dir = [] {
        const std::filesystem::path d = scratch_dir() / "seq2seq";
        const std::string command = std::string(ATTNSCOPE_PYTHON) + " " + ATTNSCOPE_SOURCE_DIR +
                                    "/tests/models/hf_reference/make_seq2seq_reference.py " + d.string() + " > /dev/null 2>&1";
        return std::system(command.c_str()) == 0 ? d : std::filesystem::path();
    }();
    if (dir.empty() || !std::filesystem::exists(dir / name / "config.json")) return {};
    return dir / name;
}

}  // namespace attnscope::testing
