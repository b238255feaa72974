// The built-in translator (issue 15, part 1) on tests/data/heldout-translation.tsv: English
// sentences written by hand, apart from the corpus generator (none occurs in the corpus), with
// their French and the words that translate one to one.
//   - greedy translations exactly right for at least 90% of them;
//   - the best cross-attention head: for each one-to-one word, the decoder step that writes it
//     (the row of the token before it: that row's output predicts it) looks hardest at the
//     English word it translates, in at least 80% of the cases.
// ATTNSCOPE_CANDIDATE_TRANSLATOR=PATH measures a retrained file before it is shipped.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "attnscope/forward.h"
#include "attnscope/json_model.h"
#include "attnscope/transformer.h"
#include "attnscope/model.h"
#include "cached_model.h"

namespace attnscope {
namespace {

const Model& translator() {
    const char* candidate = std::getenv("ATTNSCOPE_CANDIDATE_TRANSLATOR");
    return testing::cached_model(candidate && *candidate ? candidate : "builtin:translator");
}

struct Pair {
    std::string english, french;
    std::vector<std::pair<std::string, std::string>> alignments;  // (french word, english word)
};

std::vector<Pair> heldout_pairs() {
    std::ifstream in(std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/data/heldout-translation.tsv");
    EXPECT_TRUE(in) << "tests/data/heldout-translation.tsv";
    std::vector<Pair> pairs;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> fields;
        std::istringstream split(line);
        for (std::string field; std::getline(split, field, '\t');) fields.push_back(field);
        EXPECT_EQ(fields.size(), 3u) << line;
        if (fields.size() != 3) continue;
        Pair p{fields[0], fields[1], {}};
        std::istringstream words(fields[2]);
        for (std::string item; words >> item;) {
            const std::size_t eq = item.find('=');
            p.alignments.emplace_back(item.substr(0, eq), item.substr(eq + 1));
        }
        pairs.push_back(p);
    }
    return pairs;
}

std::string text_of(const Trace& trace, int i) {
    const Token& t = trace.tokens[static_cast<std::size_t>(i)];
    return trace.text.substr(t.start, t.end - t.start);
}
std::string source_text_of(const Trace& trace, int j) {
    const Token& t = trace.source_tokens[static_cast<std::size_t>(j)];
    return trace.source_text.substr(t.start, t.end - t.start);
}

TEST(BuiltinTranslator, TranslatesAtLeast90PercentOfHeldOutSentencesExactly) {
    const auto pairs = heldout_pairs();
    ASSERT_GE(pairs.size(), 40u);
    int exact = 0;
    for (const Pair& p : pairs) {
        auto trace = compute_trace(translator(), p.english, TraceOptions{});
        ASSERT_TRUE(trace.ok()) << p.english << ": " << trace.error().message;
        const bool ok = trace.value()->text == p.french;
        exact += ok ? 1 : 0;
        std::printf("  %s %-52s -> %s%s\n", ok ? " " : "x", p.english.c_str(), trace.value()->text.c_str(),
                    ok ? "" : ("   (expected " + p.french + ")").c_str());
    }
    std::printf("translator: %d of %zu held-out sentences translated exactly\n", exact, pairs.size());
    EXPECT_GE(exact * 10, static_cast<int>(pairs.size()) * 9) << "issue 15 asks at least 90%";
}

// For every cross-attention head, how often the step that writes a one-to-one French word looks
// hardest at its English word (the decoder forced on the reference French).
TEST(BuiltinTranslator, ItsBestCrossHeadPointsEachOneToOneWordAtTheWordItTranslates) {
    const auto pairs = heldout_pairs();
    const Model& m = translator();
    std::map<std::pair<int, int>, int> hits;
    int cases = 0;
    for (const Pair& p : pairs) {
        TraceOptions request;
        request.target = p.french;
        auto traced = compute_trace(m, p.english, request);
        ASSERT_TRUE(traced.ok()) << p.english << ": " << traced.error().message;
        const Trace& trace = *traced.value();
        for (const auto& [french, english] : p.alignments) {
            int row = -1, column = -1, french_count = 0, english_count = 0;
            for (int i = 1; i < trace.n_tokens(); ++i)
                if (text_of(trace, i) == french) row = i - 1, ++french_count;  // the step that writes it
            for (int j = 0; j < static_cast<int>(trace.source_tokens.size()); ++j)
                if (source_text_of(trace, j) == english) column = j, ++english_count;
            if (french_count != 1 || english_count != 1) continue;  // only words that occur once on each side
            ++cases;
            for (int l = 0; l < static_cast<int>(trace.cross_layers.size()); ++l)
                for (int h = 0; h < static_cast<int>(trace.cross_layers[static_cast<std::size_t>(l)].heads.size()); ++h) {
                    const Matrix& w = trace.cross_layers[static_cast<std::size_t>(l)].heads[static_cast<std::size_t>(h)].weights;
                    Index strongest = 0;
                    w.row(row).maxCoeff(&strongest);
                    hits[{l, h}] += strongest == column ? 1 : 0;
                }
        }
    }
    ASSERT_GE(cases, 100);
    std::pair<int, int> best{0, 0};
    for (const auto& [head, count] : hits) {
        std::printf("  cross layer %d head %d: %d of %d\n", head.first, head.second, count, cases);
        if (count > hits[best]) best = head;
    }
    std::printf("translator: best cross head L%d H%d points at the translated word in %d of %d cases\n", best.first,
                best.second, hits[best], cases);
    EXPECT_GE(hits[best] * 10, cases * 8) << "issue 15 asks at least 80%";
}

// The own format's version 2: an encoder-decoder written and read back gives the same
// translation and the same cross-attention, bit for bit.
TEST(BuiltinTranslator, WritesAndReadsBackAsFormatVersion2) {
    const auto* model = dynamic_cast<const TransformerModel*>(&translator());
    ASSERT_NE(model, nullptr);
    const std::string text = write_json_model(*model);
    EXPECT_NE(text.find("\"version\": 2"), std::string::npos);
    auto again = load_json_model_text(text, "again.json");
    ASSERT_TRUE(again.ok()) << again.error().message;
    const std::string english = "the old woman reads the letter near the door .";
    auto a = compute_trace(*model, english, TraceOptions{});
    auto b = compute_trace(*again.value(), english, TraceOptions{});
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a.value()->text, b.value()->text);
    EXPECT_EQ(a.value()->cross_layers[1].heads[2].weights, b.value()->cross_layers[1].heads[2].weights);
    EXPECT_EQ(a.value()->source->layers[0].heads[0].weights, b.value()->source->layers[0].heads[0].weights);
}

// The translator exposes every head's W for the steps view: x W_Q + b_Q is the trace's q (x the
// layer's input; for a cross head the decoder's), and K from the encoder's output for cross heads.
TEST(BuiltinTranslator, ExposesTheWOfEncoderDecoderAndCrossHeads) {
    const Model& m = translator();
    const EncoderDecoder& ed = *m.encoder_decoder();
    auto traced = compute_trace(m, "the red car is near the bank of the river .", TraceOptions{});
    ASSERT_TRUE(traced.ok());
    const Trace& t = *traced.value();
    auto worst = [](const std::vector<LayerTrace>& layers, auto projection) {
        float w = 0;
        for (std::size_t l = 0; l < layers.size(); ++l)
            for (std::size_t h = 0; h < layers[l].heads.size(); ++h) {
                const auto p = projection(static_cast<int>(l), static_cast<int>(h));
                if (!p) return 1e9f;
                const Matrix& key_x = layers[l].cross ? layers[l].key_x : layers[l].x;
                const Matrix q = (layers[l].x * p->w_q).rowwise() + p->b_q, k = (key_x * p->w_k).rowwise() + p->b_k;
                w = std::max({w, (q - layers[l].heads[h].q).cwiseAbs().maxCoeff(), (k - layers[l].heads[h].k).cwiseAbs().maxCoeff()});
            }
        return w;
    };
    EXPECT_LT(worst(t.source->layers, [&](int l, int h) { return ed.encoder_head_projection(l, h); }), 1e-4f);
    EXPECT_LT(worst(t.layers, [&](int l, int h) { return m.head_projection(l, h); }), 1e-4f);
    EXPECT_LT(worst(t.cross_layers, [&](int l, int h) { return ed.cross_head_projection(l, h); }), 1e-4f);
    EXPECT_EQ(t.cross_layers[0].key_x.rows(), static_cast<Index>(t.source_tokens.size()));
}

// A file that says it is an encoder-decoder must carry what one needs.
TEST(BuiltinTranslator, AnEncoderDecoderFileWithoutItsStartTokenOrEncoderIsRefusedByName) {
    const auto* model = dynamic_cast<const TransformerModel*>(&translator());
    ASSERT_NE(model, nullptr);
    std::string text = write_json_model(*model);
    std::string no_start = text;
    no_start.replace(no_start.find("\"<s>\""), 5, "\"<z>\"");
    auto refused = load_json_model_text(no_start, "t.json");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("t.json: tokenizer.vocab: an encoder-decoder needs \"<s>\""), std::string::npos)
        << refused.error().message;
    std::string no_encoder = text;
    const std::string encoder_key = "\"encoder\": {";
    no_encoder.replace(no_encoder.find(encoder_key), encoder_key.size(), "\"encodex\": {");
    auto refused_too = load_json_model_text(no_encoder, "t.json");
    ASSERT_FALSE(refused_too.ok());
    EXPECT_NE(refused_too.error().message.find("t.json: weights"), std::string::npos) << refused_too.error().message;
}

}  // namespace
}  // namespace attnscope
