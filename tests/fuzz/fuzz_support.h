// What every fuzz target shares: a scratch folder for inputs that must be files, and the checks
// that turn "did not crash" into "did the right thing". A failed check prints what was wrong and
// aborts, so libFuzzer (or replay_main.cpp) keeps the input that caused it.
//
// The standard: bad input never crashes and never loses data, and each gets a clear message. So
// besides crashes, hangs, sanitizer reports and escaping exceptions, a target fails when
// - an Error has an empty message, or one that is not UTF-8 although its input was (the CLI
//   prints it, the GUI shows it);
// - a token's byte offsets lie outside the text or cut a character in two, or its id and piece
//   disagree with the tokenizer's vocabulary;
// - a trace has the wrong shapes, a weights row that does not sum to 1, or a masked cell whose
//   weight is not exactly 0 (non-finite traces: see kNonFiniteTraceFails).
// Each target adds the properties of its own format (round trips, nothing dropped).
#pragma once

#include <omp.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "attnscope/result.h"
#include "attnscope/text.h"
#include "attnscope/tokenizer.h"
#include "attnscope/trace.h"

namespace attnscope::fuzz {

// [SECTION] Setup

// One thread: the forward pass's per-head loop would otherwise start a thread per core, which
// costs more than the tiny models fuzzing builds, and the machine is shared.
inline void setup_once() {
    static const bool done = [] {
        omp_set_num_threads(1);
        return true;
    }();
    (void)done;
}

// The fuzz input as text (any bytes; the parsers must cope with invalid UTF-8 themselves).
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// [SECTION] Scratch files

// attnscope-fuzz-<pid> in the temp folder, made on first use and removed when the process exits
// normally (a crash leaves it, next to the input that caused it).
class ScratchDir {
public:
    static const std::filesystem::path& path() {
        static ScratchDir dir;
        return dir.m_path;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }

private:
    ScratchDir()
        : m_path(std::filesystem::temp_directory_path() / ("attnscope-fuzz-" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(m_path);
    }
    std::filesystem::path m_path;
};

// Writes `bytes` to the scratch folder as `name`, replacing what was there.
inline std::filesystem::path write_scratch_file(const std::string& name, std::string_view bytes) {
    const std::filesystem::path file = ScratchDir::path() / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
        std::fprintf(stderr, "fuzz: cannot write the scratch file %s\n", file.c_str());
        std::abort();  // the harness's fault, not the parser's; stop rather than test nothing
    }
    return file;
}

// [SECTION] Checks

[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "\nfuzz check failed: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

inline void check(bool ok, const std::string& what) {
    if (!ok) fail(what);
}

// The first 300 bytes of `text`, with bytes outside printable ASCII as \xNN, for failure messages.
inline std::string printable(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size() && i < 300; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        }
    }
    if (text.size() > 300) out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

// A clear message: something to read, in text the CLI and the GUI can show. `input` is what the
// parser was given: a message may quote it, so its UTF-8 is checked only when the input's is valid.
// (nlohmann::json's syntax errors quote the bytes last read, which may stop inside a character:
// the loaders pass them through valid_utf8; corpus/json_model/regression_message_cuts_a_character.json.)
inline void check_error(const Error& error, std::string_view context, std::string_view input) {
    check(!error.message.empty(), std::string(context) + ": an Error with an empty message");
    if (first_invalid_utf8(input)) return;
    if (const auto bad = first_invalid_utf8(error.message))
        fail(std::string(context) + ": the message is not valid UTF-8 at byte " + std::to_string(*bad) + ": " +
             printable(error.message));
}

// Tokens of `text` from `tokenizer`: offsets inside the text, on character boundaries, ids the
// tokenizer knows, pieces that match their ids. (Messages are built only on failure: this runs
// for every token of every input.)
inline void check_tokens(const Tokenizer& tokenizer, std::string_view text, const std::vector<Token>& tokens) {
    const bool valid_text = !first_invalid_utf8(text).has_value();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const Token& t = tokens[i];
        auto at = [&] {
            return "token " + std::to_string(i) + " ('" + printable(t.piece) + "', id " + std::to_string(t.id) +
                   ", bytes " + std::to_string(t.start) + ".." + std::to_string(t.end) + ") of \"" + printable(text) +
                   "\" (" + std::to_string(text.size()) + " bytes, vocabulary " + std::to_string(tokenizer.vocab_size()) + ")";
        };
        if (t.start > t.end || t.end > text.size()) fail(at() + ": offsets outside the text");
        if (t.id < 0) fail(at() + ": negative id");
        // Known and not fixed: a post-processor's special tokens ([CLS]) carry the id and piece the
        // file gives them, which the loader does not check against the vocabulary (the reference
        // implementation does not either); the forward pass refuses an id outside it. And an added
        // token may give an id of the vocabulary another content: either lookup may agree.
        if (!t.special) {
            if (t.id >= tokenizer.vocab_size()) fail(at() + ": id outside the vocabulary");
            if (tokenizer.piece(t.id) != t.piece && tokenizer.find(t.piece) != t.id)
                fail(at() + ": piece(id) is '" + printable(tokenizer.piece(t.id)) + "' and find(piece) is not the id either");
        }
        if (valid_text && first_invalid_utf8(text.substr(t.start, t.end - t.start))) fail(at() + ": offsets cut a character");
    }
}

// Encodes `text`; an error must be a clear message, tokens must pass check_tokens, and decoding
// the ids back must not fail.
inline void encode_and_check(const Tokenizer& tokenizer, std::string_view text, std::string_view context) {
    const Result<std::vector<Token>> tokens = tokenizer.encode(text);
    if (!tokens.ok()) {
        check_error(tokens.error(), context, text);
        return;
    }
    check_tokens(tokenizer, text, tokens.value());
    std::vector<int> ids;
    for (const Token& t : tokens.value()) ids.push_back(t.id);
    ids.push_back(-1);                        // ids the tokenizer never made: ""
    ids.push_back(tokenizer.vocab_size());
    (void)tokenizer.decode(ids);
}

// Weights that are finite but large (1e19 is enough) overflow float32 in the forward pass;
// compute_trace refuses such a trace with a message (corpus/json_model/regression_overflowing_scores.json),
// so a trace that reaches the checks must hold no NaN and no infinity but masked scores.
inline constexpr bool kNonFiniteTraceFails = true;

// A trace the views can draw: every head's matrices have the model's shapes, the weights are a
// probability per row with masked cells exactly 0, and nothing the heatmap colours is NaN.
inline void check_trace(const Trace& trace) {
    const Index n = static_cast<Index>(trace.tokens.size());
    auto where = [&](std::size_t l, std::size_t h) {
        return "trace of \"" + printable(trace.text) + "\" (" + std::to_string(n) + " tokens) layer " + std::to_string(l) +
               " head " + std::to_string(h);
    };
    auto cell = [](Index i, Index j) { return " (" + std::to_string(i) + ", " + std::to_string(j) + ")"; };
    if (static_cast<int>(trace.layers.size()) != trace.model.n_layers)
        fail(where(0, 0) + ": " + std::to_string(trace.layers.size()) + " layers, the model has " +
             std::to_string(trace.model.n_layers));
    const float minus_inf = -std::numeric_limits<float>::infinity();
    for (std::size_t l = 0; l < trace.layers.size(); ++l) {
        const LayerTrace& layer = trace.layers[l];
        // a cross-attention layer's keys are the source's tokens (n x m); self-attention is n x n
        const Index m = trace.n_keys(static_cast<int>(l));
        if (static_cast<int>(layer.heads.size()) != trace.model.n_heads) fail(where(l, 0) + ": wrong number of heads");
        for (std::size_t h = 0; h < layer.heads.size(); ++h) {
            const HeadTrace& head = layer.heads[h];
            if (head.q.rows() != n || head.k.rows() != m || head.v.rows() != m) fail(where(l, h) + ": q is not n rows or k, v not m");
            if (head.scores.rows() != n || head.scores.cols() != m) fail(where(l, h) + ": scores is not n x m");
            if (head.weights.rows() != n || head.weights.cols() != m) fail(where(l, h) + ": weights is not n x m");
            // Causal: keys after the query are masked (-inf), and in a sliding-window layer the keys
            // the window has passed. Every other number is finite, unless it is the known overflow above.
            bool finite = head.q.allFinite() && head.k.allFinite() && head.v.allFinite();
            for (Index i = 0; i < n; ++i)
                for (Index j = 0; j < m; ++j) {
                    const bool masked = layer.causal && (j > i || j < layer.shaping.first_key(i));
                    if (masked && head.scores(i, j) != minus_inf)
                        fail(where(l, h) + ": a causal model, but the cell" + cell(i, j) + " is not masked");
                    if (!masked) finite = finite && std::isfinite(head.scores(i, j));
                }
            if (!finite) {
                if (kNonFiniteTraceFails) fail(where(l, h) + ": q, k, v or the scores hold NaN or infinity");
                continue;
            }
            for (Index i = 0; i < n; ++i) {
                double sum = 0;
                for (Index j = 0; j < m; ++j) {
                    const float s = head.scores(i, j), w = head.weights(i, j);
                    if (!std::isfinite(w) || w < 0.0f || w > 1.0f)
                        fail(where(l, h) + ": weight" + cell(i, j) + " is " + std::to_string(w));
                    if (s == minus_inf && w != 0.0f)
                        fail(where(l, h) + ": masked cell" + cell(i, j) + " has weight " + std::to_string(w));
                    sum += w;
                }
                if (std::abs(sum - 1.0) > 1e-3) fail(where(l, h) + ": weights row " + std::to_string(i) + " sums to " + std::to_string(sum));
            }
        }
    }
    if (kNonFiniteTraceFails && !trace.logits.allFinite())
        fail("trace of \"" + printable(trace.text) + "\": the logits hold NaN or infinity");
}

}  // namespace attnscope::fuzz
