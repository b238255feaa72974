// The built-in trained models (builtin:bank-decoder, builtin:bank-encoder), as embedded in the
// binary: evidence that they learned to look at the word that fixes what "bank" means. Every
// sentence here was written for this test; the test checks that none of them is in the corpus,
// not even as the start of a corpus sentence.
//
//   [SECTION] Helpers
//   [SECTION] The corpus
//   [SECTION] bank-decoder
//   [SECTION] bank-encoder
//   [SECTION] Both
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "attnscope/builtin_models.h"
#include "attnscope/forward.h"
#include "attnscope/model.h"
#include "cached_model.h"
#include "attnscope/word_tokenizer.h"

namespace attnscope {
namespace {

// [SECTION] Helpers

struct Probe {
    std::string text;
    std::string to;  // the sense word; the query is the last "bank"
};

const Model& model(const std::string& spec) { return testing::cached_model(spec); }

std::shared_ptr<const Trace> trace_of(const Model& m, const std::string& text) {
    auto trace = compute_trace(m, text);
    EXPECT_TRUE(trace.ok()) << text << ": " << trace.error().message;
    for (const Token& t : trace.value()->tokens) EXPECT_FALSE(t.unknown) << text << ": '" << t.piece << "' is not in the vocabulary";
    return trace.value();
}

int token_index(const Trace& trace, const std::string& piece, bool last) {
    int found = -1;
    for (int i = 0; i < trace.n_tokens(); ++i)
        if (trace.tokens[static_cast<std::size_t>(i)].piece == piece && (last || found < 0)) found = i;
    EXPECT_GE(found, 0) << "no '" << piece << "' in \"" << trace.text << "\"";
    return found;
}

// The largest weight over every layer and head from the last "bank" (query) to `to` (key).
float best_head_weight(const Trace& trace, const std::string& from, const std::string& to) {
    const int i = token_index(trace, from, true), j = token_index(trace, to, false);
    if (i < 0 || j < 0) return 0.0f;
    float best = 0.0f;
    for (const LayerTrace& layer : trace.layers)
        for (const HeadTrace& head : layer.heads) best = std::max(best, head.weights(i, j));
    return best;
}

// Softmax of one token's logits (1 x vocab), summed over a set of words.
float probability_of(const Model& m, const RowVector& l, const std::vector<std::string>& words) {
    const RowVector p = (l.array() - l.maxCoeff()).exp();
    float sum = 0.0f;
    for (const std::string& w : words) {
        const auto id = m.tokenizer().find(w);
        EXPECT_TRUE(id.has_value()) << w;
        if (id) sum += p(*id);
    }
    return sum / p.sum();
}

// Runs the probes, prints them, and returns the share with a best-head weight >= 0.4.
double share_attending(const Model& m, const std::vector<Probe>& probes) {
    int hits = 0;
    for (const Probe& p : probes) {
        const float w = best_head_weight(*trace_of(m, p.text), "bank", p.to);
        hits += w >= 0.4f ? 1 : 0;
        std::printf("  %.3f  %-55s bank -> %s\n", static_cast<double>(w), p.text.c_str(), p.to.c_str());
    }
    return static_cast<double>(hits) / static_cast<double>(probes.size());
}

// Sense words come before "bank"; the sentence around it says nothing about the sense.
const std::vector<Probe>& sense_word_before_bank() {
    static const std::vector<Probe> probes = {
        {"after work my father carried his coins to the bank", "coins"},
        {"we put the savings in the bank", "savings"},
        {"yesterday my friend carried her salary to the bank", "salary"},
        {"the girl took the gold to the bank", "gold"},
        {"they counted the money and went to the bank", "money"},
        {"the old man walked along the stream toward the bank", "stream"},
        {"yesterday she walked past the stream to the bank", "stream"},
        {"after work they walked past the river to the bank", "river"},
        {"on monday the girl brought her canoe to the bank", "canoe"},
        {"i took the money to the bank", "money"},
        {"you ran along the river toward the bank", "river"},
    };
    return probes;
}

// Sense words come after "bank".
const std::vector<Probe>& sense_word_after_bank() {
    static const std::vector<Probe> probes = {
        {"the bank near the river", "river"},
        {"the bank with my money", "money"},
        {"i walked to the bank with my cash", "cash"},
        {"we walked to the bank with the savings", "savings"},
        {"they waited at the bank of the stream", "stream"},
        {"the bank next to the river", "river"},
        {"he sat down on the bank near the stream", "stream"},
        {"the bank by the water", "water"},
        {"my friend ran to the bank with her salary", "salary"},
        {"from the bank we could see the river", "river"},
    };
    return probes;
}

// What follows "bank" in the corpus, by sense: the decoder's next word after "bank".
const std::vector<std::string> kMoneyNext = {"teller", "clerk",     "manager", "vault",     "account", "counter", "office",
                                             "machine", "statement", "branch", "card", "loan", "fees"};
const std::vector<std::string> kRiverNext = {"near", "where", "by", "under", "fishing", "covered", "that"};

// [SECTION] The corpus

std::vector<std::string> corpus_sentences(const std::string& name = "ambiguous-words.txt") {
    std::ifstream in(std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/corpus/" + name);
    EXPECT_TRUE(in) << "assets/corpus/" << name;
    std::vector<std::string> sentences;
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line[0] != '#') sentences.push_back(line.substr(0, line.find('\t')));
    return sentences;
}

// Every sentence the built-in models read, lowercased: the ambiguous words (and the encoder's
// sentences with them in every role) and WordNet's English.
std::vector<std::string> all_training_sentences() {
    std::vector<std::string> all = corpus_sentences();
    for (std::string& s : corpus_sentences("ambiguous-roles.txt")) all.push_back(s);
    for (std::string& s : corpus_sentences("wordnet-english.txt")) all.push_back(lowercase_utf8(s));
    return all;
}

TEST(BankCorpus, HoldsNoneOfTheTestSentencesNotEvenAsABeginning) {
    const std::vector<std::string> corpus = corpus_sentences();
    ASSERT_GT(corpus.size(), 1000u);
    std::vector<std::string> ours;
    for (const auto* list : {&sense_word_before_bank(), &sense_word_after_bank()})
        for (const Probe& p : *list) ours.push_back(p.text);
    for (const char* t : {"the old man brought the cash to the bank", "the old man brought the canoe to the bank"})
        ours.push_back(t);
    for (const std::string& t : ours)
        for (const std::string& c : corpus)
            EXPECT_NE(c.rfind(t, 0), 0u) << "\"" << t << "\" begins the corpus sentence \"" << c << "\"";
}

// The held-out sets for the classroom models (issue 14), written by hand: at least 60 ambiguous
// sentences, each deciding word before its ambiguous word (a decoder sees it too), and no line of
// any set beginning a sentence of either training corpus (lowercased, as the models read them).
TEST(BankCorpus, HoldsNoneOfTheHeldOutSetsAndEachHeldOutSentenceDecidesFirst) {
    auto lines_of = [](const std::string& name) {
        std::ifstream in(std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/data/" + name);
        EXPECT_TRUE(in) << name;
        std::vector<std::string> lines;
        for (std::string line; std::getline(in, line);)
            if (!line.empty() && line[0] != '#') lines.push_back(line);
        return lines;
    };
    const std::vector<std::string> ambiguous = lines_of("heldout-ambiguous.tsv"), everyday = lines_of("heldout-everyday.txt"),
                                   masked = lines_of("heldout-masked.tsv");
    ASSERT_GE(ambiguous.size(), 60u);
    ASSERT_GE(everyday.size(), 30u);
    ASSERT_GE(masked.size(), 60u);
    const std::vector<std::string> corpus = all_training_sentences();
    std::vector<std::string> sentences;
    for (const std::string& line : everyday) sentences.push_back(lowercase_utf8(line));
    for (const std::string& line : masked) {  // with the masked word put back
        std::string sentence = line.substr(0, line.find('\t'));
        const std::string word = line.substr(line.find('\t') + 1, line.rfind('\t') - line.find('\t') - 1);
        sentence.replace(sentence.find("[MASK]"), 6, word);
        sentences.push_back(sentence);
    }
    for (const std::string& line : ambiguous) {
        std::istringstream fields(line);
        std::string sentence, word, decider, sense;
        ASSERT_TRUE(std::getline(fields, sentence, '\t') && std::getline(fields, word, '\t') && std::getline(fields, decider, '\t') &&
                    std::getline(fields, sense))
            << line;
        std::istringstream in(sentence);
        const std::vector<std::string> w{std::istream_iterator<std::string>(in), {}};
        const auto last = std::find(w.rbegin(), w.rend(), word);
        ASSERT_NE(last, w.rend()) << sentence;
        EXPECT_NE(std::find(w.begin(), last.base() - 1, decider), last.base() - 1) << "\"" << decider << "\" before \"" << word << "\": " << sentence;
        sentences.push_back(sentence);
    }
    for (const std::string& t : sentences)
        for (const std::string& c : corpus) EXPECT_NE(c.rfind(t, 0), 0u) << "\"" << t << "\" begins the corpus sentence \"" << c << "\"";
}

// The later held-out sets: tests/data/heldout2/, written by hand by someone who saw neither the
// generators nor the corpora nor the first sets, heldout3/, written after the supervised-attention
// candidates were compared on the first two, heldout4/, written before the candidates with
// several supervised heads were measured, heldout5/, written blind before the encoder read
// several-cue scenes, heldout6/, written blind before the sense-name rule and the sharded
// encoder, and heldout7/, written blind before the encoder candidates of 2026-12-08: none of their
// sentences begins a training sentence.
TEST(BankCorpus, HoldsNoneOfTheLaterHeldOutSets) {
    std::vector<std::string> sentences;
    for (const char* name : {"heldout2/ambiguous.tsv", "heldout2/masked.tsv", "heldout3/ambiguous.tsv", "heldout4/ambiguous.tsv",
                             "heldout5/ambiguous.tsv", "heldout5/masked.tsv", "heldout6/ambiguous.tsv", "heldout6/masked.tsv",
                             "heldout7/ambiguous.tsv", "heldout7/masked.tsv"}) {
        std::ifstream in(std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/data/" + name);
        ASSERT_TRUE(in) << name;
        for (std::string line; std::getline(in, line);) {
            if (line.empty() || line[0] == '#') continue;
            std::string sentence = line.substr(0, line.find('\t'));
            if (const auto mask = sentence.find("[MASK]"); mask != std::string::npos) {
                const std::size_t word_start = line.find('\t') + 1;
                sentence.replace(mask, 6, line.substr(word_start, line.find('\t', word_start) - word_start));
            }
            sentences.push_back(sentence);
        }
    }
    ASSERT_GE(sentences.size(), 400u);
    const std::vector<std::string> corpus = all_training_sentences();
    for (const std::string& t : sentences)
        for (const std::string& c : corpus) EXPECT_NE(c.rfind(t, 0), 0u) << "\"" << t << "\" begins the corpus sentence \"" << c << "\"";
}

TEST(BankCorpus, PutsEachSenseWordBothBeforeAndAfterItsAmbiguousWord) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"bank", "money"}, {"bank", "river"}, {"bat", "cave"},     {"bat", "baseball"},
        {"bark", "dog"},   {"bark", "tree"},  {"match", "candle"}, {"match", "team"}};
    const std::vector<std::string> corpus = corpus_sentences();
    for (const auto& [word, sense_word] : cases) {
        bool before = false, after = false;
        for (const std::string& s : corpus) {
            std::istringstream in(s);
            const std::vector<std::string> w{std::istream_iterator<std::string>(in), {}};
            const auto at = std::find(w.begin(), w.end(), word);
            if (at == w.end()) continue;
            before = before || std::find(w.begin(), at, sense_word) != at;
            after = after || std::find(at, w.end(), sense_word) != w.end();
        }
        EXPECT_TRUE(before) << sense_word << " before " << word;
        EXPECT_TRUE(after) << sense_word << " after " << word;
    }
}

TEST(BankCorpus, HasPronounSentencesWhereTheLastWordDecidesWhatItIs) {
    const std::vector<std::string> corpus = corpus_sentences();
    for (const char* s : {"the animal didn't cross the street because it was too tired .",
                          "the animal didn't cross the street because it was too wide ."})
        EXPECT_NE(std::find(corpus.begin(), corpus.end(), s), corpus.end()) << s;
}

// [SECTION] bank-decoder

// The decoder's attention from bank to its sense word is measured on tests/data/heldout-ambiguous.tsv
// (classroom_models_test.cpp), which holds the sentences of sense_word_before_bank() too.

TEST(BankDecoder, PredictsTheWordAfterBankFromTheSenseWord) {
    const Model& m = model("builtin:bank-decoder");
    // A pair that differs only in the sense word. (Issue 4's "we sat by the money bank" is gone:
    // the phrase "money bank" is in neither corpus, and "the girl carried the gold to the bank" is
    // now in the generated one.)
    const std::vector<std::pair<std::string, std::string>> pairs = {
        {"the old man brought the cash to the bank", "the old man brought the canoe to the bank"},
    };
    for (const auto& [money_text, river_text] : pairs) {
        const auto money = trace_of(m, money_text), river = trace_of(m, river_text);
        const RowVector after_money = money->logits_of(money->n_tokens() - 1);  // the next word after "bank"
        const RowVector after_river = river->logits_of(river->n_tokens() - 1);
        const float money_after_money = probability_of(m, after_money, kMoneyNext);
        const float river_after_money = probability_of(m, after_money, kRiverNext);
        const float money_after_river = probability_of(m, after_river, kMoneyNext);
        const float river_after_river = probability_of(m, after_river, kRiverNext);
        SCOPED_TRACE(money_text + " | " + river_text);
        EXPECT_GT(money_after_money, money_after_river);
        EXPECT_GT(river_after_river, river_after_money);
        EXPECT_GT(money_after_money, river_after_money) << "after a money word, money-bank words come first";
        EXPECT_GT(river_after_river, money_after_river) << "after a river word, river-bank words come first";
    }
}

// [SECTION] bank-encoder

TEST(BankEncoder, BankAttendsForwardToASenseWordThatComesAfterIt) {
    std::printf("builtin:bank-encoder, best head weight:\n");
    const double share = share_attending(model("builtin:bank-encoder"), sense_word_after_bank());
    EXPECT_GE(share, 0.8) << "bank should look ahead at its sense word (weight >= 0.4) in at least 80% of the sentences";
}

TEST(BankEncoder, AlsoAttendsBackToASenseWordBeforeBank) {
    const double share = share_attending(model("builtin:bank-encoder"), sense_word_before_bank());
    EXPECT_GE(share, 0.8);
}

TEST(BankEncoder, LabelsTheSenseOfBankFromItsContextInBothOrders) {
    const Model& m = model("builtin:bank-encoder");
    const int money = *m.tokenizer().find("<bank:money>"), river = *m.tokenizer().find("<bank:river>");
    const std::vector<std::string> river_words = {"river", "stream", "water", "canoe", "net"};
    int right = 0, total = 0;
    for (const auto* list : {&sense_word_before_bank(), &sense_word_after_bank()}) {
        for (const Probe& p : *list) {
            const auto trace = trace_of(m, p.text);
            const int bank = token_index(*trace, "bank", true);
            const bool is_river = std::find(river_words.begin(), river_words.end(), p.to) != river_words.end();
            const bool says_river = trace->logits_of(bank)(river) > trace->logits_of(bank)(money);
            right += says_river == is_river ? 1 : 0;
            ++total;
        }
    }
    EXPECT_GE(right, total - 1) << right << " of " << total << " labelled right";
}

TEST(BankEncoder, FillsAMaskedWordAfterBankAccordingToTheSenseWord) {
    const Model& m = model("builtin:bank-encoder");
    // "[MASK]" typed after "bank", and the full stop every corpus sentence ends with: the masked
    // word is the one after "bank", not the end of the sentence.
    auto masked_after = [&](const std::string& text) {
        const auto trace = trace_of(m, text + " [MASK] .");
        return RowVector(trace->logits_of(trace->n_tokens() - 2));  // the mask's
    };
    const RowVector money = masked_after("the old man brought the cash to the bank");
    const RowVector river = masked_after("the old man brought the canoe to the bank");
    // The sense word moves the guess its way: more money-bank words after the cash, more
    // river-bank words after the canoe. (Within the canoe sentence the money words still hold
    // 35% against the river words' 25%: the encoder's 'vault' leads there; issue 14 stays open.)
    EXPECT_GT(probability_of(m, money, kMoneyNext), probability_of(m, river, kMoneyNext));
    EXPECT_GT(probability_of(m, river, kRiverNext), probability_of(m, money, kRiverNext));
    EXPECT_GT(probability_of(m, money, kMoneyNext), probability_of(m, money, kRiverNext));
}

// [SECTION] Both

TEST(BankModels, ShipBuiltInWithDescriptionsAndTheDecoderOpensByDefault) {
    EXPECT_STREQ(kDefaultModel, "builtin:bank-decoder");
    std::vector<std::string> names;
    for (const auto& b : builtin_models()) names.push_back(b.name);
    EXPECT_THAT(names, ::testing::IsSupersetOf({"abc-example", "bank-decoder", "bank-encoder"}));
    EXPECT_TRUE(model("builtin:bank-decoder").info().causal);
    EXPECT_FALSE(model("builtin:bank-encoder").info().causal);
    for (const char* spec : {"builtin:bank-decoder", "builtin:bank-encoder"}) {
        EXPECT_THAT(model(spec).info().description, ::testing::HasSubstr("bank")) << spec;
        EXPECT_EQ(model(spec).info().positional, "learned") << spec;
    }
}

TEST(BankModels, KnowEveryWordTheIssueAsksFor) {
    const std::string words =
        "money cash coins savings loan account deposit credit teller river stream water fishing fish boat ducks mud "
        "muddy grassy shore flooded i we you he she they my her his their the a an to at in into on by near along "
        "toward past of from for and was is are put carried took asked opened walked sat swam drifted flowed gave "
        "holds safe";
    for (const char* spec : {"builtin:bank-decoder", "builtin:bank-encoder"}) {
        std::istringstream in(words);
        for (std::string w; in >> w;) EXPECT_TRUE(model(spec).tokenizer().find(w).has_value()) << spec << ": " << w;
    }
}

}  // namespace
}  // namespace attnscope
