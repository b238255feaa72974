// The trainer on big corpora (issue 14): a vocabulary limited to the most frequent words
// (vocabulary.max_words, min_count), several corpora read as one, and what each position is
// asked to predict: never "<unk>", and an encoder's masked ambiguous word is the word itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attnscope/train.h"

namespace attnscope {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TrainingConfig config_for(Objective objective) {
    TrainingConfig c;
    c.name = "t";
    c.objective = objective;
    c.shape.config.d_model = 4;
    c.shape.config.n_heads = 1;
    c.shape.config.n_layers = 1;
    c.shape.config.d_ff = 4;
    c.shape.config.max_len = 16;
    c.shape.config.causal = objective == Objective::NextWord;
    c.options.steps = 1;
    return c;
}

Corpus corpus_of(const std::string& text, const std::string& source = "c.txt") {
    auto c = parse_corpus(text, source);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.value();
}

std::unique_ptr<Trainer> trainer_of(const TrainingConfig& config, const std::vector<Corpus>& corpora) {
    auto t = Trainer::create(config, corpora);
    EXPECT_TRUE(t.ok()) << t.error().message;
    return t.ok() ? std::move(t).value() : nullptr;
}

// "a" 4 times, "b" 3, "c" 2, "d" once.
const char* kCounts = "a b c a\nb a d\nc b a\n";

TEST(TrainerVocabulary, KeepsEveryWordByFallingFrequencyWithoutLimits) {
    const auto t = trainer_of(config_for(Objective::NextWord), {corpus_of(kCounts)});
    EXPECT_THAT(t->tokenizer().vocab(), ElementsAre("<unk>", "a", "b", "c", "d"));
}

TEST(TrainerVocabulary, KeepsAtMostMaxWordsAndOnlyWordsSeenMinCountTimes) {
    TrainingConfig config = config_for(Objective::NextWord);
    config.vocabulary.max_words = 2;
    EXPECT_THAT(trainer_of(config, {corpus_of(kCounts)})->tokenizer().vocab(), ElementsAre("<unk>", "a", "b"));
    config.vocabulary = {};
    config.vocabulary.min_count = 2;
    EXPECT_THAT(trainer_of(config, {corpus_of(kCounts)})->tokenizer().vocab(), ElementsAre("<unk>", "a", "b", "c"));
}

TEST(TrainerVocabulary, ALeftOutWordIsUnkInTrainingAndNeverATarget) {
    TrainingConfig config = config_for(Objective::NextWord);
    config.vocabulary.min_count = 2;  // "d" is left out
    const auto t = trainer_of(config, {corpus_of(kCounts)});
    const Example e = t->example_of(1, 1);  // "b a d"
    EXPECT_THAT(e.ids, ElementsAre(2, 1, 0));
    EXPECT_THAT(e.targets, ElementsAre(1, -1, -1)) << "b predicts a; a would predict <unk>: no target; the last word none";
}

TEST(TrainerVocabulary, AnAmbiguousWordTooRareForTheVocabularyIsAnErrorNamingTheLine) {
    TrainingConfig config = config_for(Objective::MaskedWord);
    config.vocabulary.max_words = 2;
    const auto t = Trainer::create(config, corpus_of("a a a\nb b b\nthe bank .\tbank=river\n"));
    ASSERT_FALSE(t.ok());
    EXPECT_THAT(t.error().message, HasSubstr("c.txt:3: the ambiguous word \"bank\" is too rare for the vocabulary"));
}

TEST(TrainerCorpora, ReadsSeveralCorporaAsOneAndCountsAFileGivenTwiceTwice) {
    const Corpus first = corpus_of("a b c a\n", "first.txt"), second = corpus_of("b a d\nc b a\n", "second.txt");
    const auto t = trainer_of(config_for(Objective::NextWord), {first, second, first});
    EXPECT_EQ(t->n_sentences(), 4u);
    EXPECT_THAT(t->tokenizer().vocab(), ElementsAre("<unk>", "a", "b", "c", "d")) << "a: 6, b: 4, c: 4 (c after b)";
}

TEST(TrainerCorpora, AnErrorNamesTheCorpusAndLineItIsIn) {
    TrainingConfig config = config_for(Objective::NextWord);
    config.shape.config.max_len = 3;
    const auto t = Trainer::create(config, std::vector<Corpus>{corpus_of("a b\n", "first.txt"), corpus_of("a b\na b c d\n", "second.txt")});
    ASSERT_FALSE(t.ok());
    EXPECT_THAT(t.error().message, HasSubstr("second.txt:2: the sentence has 4 tokens; model.max_len is 3"));
}

TEST(TrainerTargets, AVisibleAmbiguousWordPredictsItsSenseAndAMaskedOneTheWordItself) {
    TrainingConfig config = config_for(Objective::MaskedWord);
    const Corpus corpus = corpus_of("the bank by the river\tbank=river\n");
    config.options.mask_prob = 0.0f;
    auto t = trainer_of(config, {corpus});
    const int mask = *t->tokenizer().find("<mask>"), label = *t->tokenizer().find("<bank:river>"),
              bank = *t->tokenizer().find("bank");
    Example e = t->example_of(0, 1);
    EXPECT_EQ(e.ids[1], bank);
    EXPECT_THAT(e.targets, ElementsAre(-1, label, -1, -1, -1));
    config.options.mask_prob = 1.0f;
    t = trainer_of(config, {corpus});
    e = t->example_of(0, 1);
    EXPECT_EQ(e.ids[1], mask);
    EXPECT_EQ(e.targets[1], bank) << "\"i took the money to the [MASK]\" must be answerable with bank";
    EXPECT_EQ(e.targets[0], *t->tokenizer().find("the"));
    config.options.mask_prob = 0.0f;  // only the ambiguous word, at its own rate
    config.options.sense_mask_prob = 1.0f;
    t = trainer_of(config, {corpus});
    e = t->example_of(0, 1);
    EXPECT_THAT(e.ids, ElementsAre(*t->tokenizer().find("the"), mask, *t->tokenizer().find("by"), *t->tokenizer().find("the"),
                                   *t->tokenizer().find("river")));
    EXPECT_THAT(e.targets, ElementsAre(-1, bank, -1, -1, -1));
}

TEST(TrainingConfigVocabulary, ReadsTheLimitsAndNamesAWrongOne) {
    const std::string head = R"({"name": "x", "objective": "next_word", "model": {"d_model": 4, "n_heads": 1, "n_layers": 1, "max_len": 8, "causal": true}, )";
    auto ok = parse_training_config(head + R"("vocabulary": {"max_words": 100, "min_count": 2}})", "v.json");
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok.value().vocabulary.max_words, 100);
    EXPECT_EQ(ok.value().vocabulary.min_count, 2);
    auto bad = parse_training_config(head + R"("vocabulary": {"min_count": 0}})", "v.json");
    ASSERT_FALSE(bad.ok());
    EXPECT_THAT(bad.error().message, HasSubstr("vocabulary.min_count"));
    bad = parse_training_config(head + R"("vocabulary": {"max_word": 10}})", "v.json");
    ASSERT_FALSE(bad.ok());
    EXPECT_THAT(bad.error().message, HasSubstr("max_word"));
}

}  // namespace
}  // namespace attnscope
