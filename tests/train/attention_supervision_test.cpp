// Supervised attention (training.attention_supervision): the gradient of the whole objective
// against central finite differences, the loss of even weights worked by hand, which words decide
// a sense on a hand-made corpus whose counts are worked out beside it, the targets the trainer
// makes (masks, named senses, the purest, rarest, earlier and later words, several heads), a short
// run that teaches the head, and the config.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "attnscope/forward.h"
#include "attnscope/train.h"
#include "tiny_models.h"

namespace attnscope {
namespace {

using ::testing::HasSubstr;
using testing::random_parameters;
using testing::tiny_batch;
using testing::tiny_shape;

// tiny_batch with attention targets for supervised head 0: sentence 0's query 3 should look at
// key 1, sentence 1's query 4 at keys 0 and 2 (both before it, so a causal shape takes them too);
// sentence 2 has none. With `second_head`, head 1 of the list is also taught: sentence 0's query 2
// -> key 0, sentence 1's query 3 -> keys 1 and 5 (1 and 2 for a causal shape).
std::vector<Example> tiny_supervised_batch(const TrainableShape& shape, bool second_head = false) {
    std::vector<Example> batch = tiny_batch(shape);
    batch[0].attention_targets = {{3, {1}}};
    batch[1].attention_targets = {{4, {0, 2}}};
    if (!second_head) return batch;
    batch[0].attention_targets.push_back({2, {0}, 1});
    batch[1].attention_targets.push_back({3, shape.config.causal ? std::vector<int>{1, 2} : std::vector<int>{1, 5}, 1});
    return batch;
}

// The whole objective's gradient against central finite differences: one supervised head of
// weight 0.7, then three (two of them in one layer), whose weighted terms add up.
TEST(SupervisedAttention, GradientMatchesCentralFiniteDifferencesOfTheWholeObjective) {
    struct Case {
        AttentionSupervisions supervision;
        bool causal;
    };
    const AttentionSupervisions one = {{1, 1, 0.7f}}, three = {{1, 1, 0.7f}, {0, 0, 1.3f}, {1, 0, 0.4f}};
    for (const Case& test : {Case{one, true}, Case{one, false}, Case{three, true}, Case{three, false}}) {
        const AttentionSupervisions& supervision = test.supervision;
        const bool causal = test.causal;
        SCOPED_TRACE(std::string(causal ? "causal, " : "bidirectional, ") + std::to_string(supervision.size()) + " heads");
        const TrainableShape shape = tiny_shape(causal);
        const std::vector<Example> batch = tiny_supervised_batch(shape, supervision.size() > 1);
        Parameters<double> p = random_parameters(shape, 7);
        auto objective = [&] { return batch_loss(shape, p, batch) + batch_attention_loss(shape, p, batch, supervision); };
        Parameters<double> grads, plain;
        double attention_loss = -1.0;
        const double loss = batch_loss_and_gradients(shape, p, batch, grads, supervision, &attention_loss);
        EXPECT_NEAR(loss, batch_loss(shape, p, batch), 1e-12) << "it returns the words' loss alone";
        EXPECT_NEAR(attention_loss, batch_attention_loss(shape, p, batch, supervision), 1e-12);
        EXPECT_GT(attention_loss, 0.1) << "random weights are far from the targets";
        batch_loss_and_gradients(shape, p, batch, plain);
        EXPECT_GT((grads.layers[1].wq - plain.layers[1].wq).cwiseAbs().maxCoeff(), 1e-4) << "the supervision moves W_Q";
        if (supervision.size() > 1) {  // head 1 of the list teaches layer 0
            EXPECT_GT((grads.layers[0].wk - plain.layers[0].wk).cwiseAbs().maxCoeff(), 1e-4) << "layer 0's W_K too";
        }

        std::vector<MatrixOf<double>*> analytic;
        for_each_parameter(grads, [&](const std::string&, ParameterKind, MatrixOf<double>& g) { analytic.push_back(&g); });
        std::size_t tensor = 0;
        constexpr double h = 1e-5;
        for_each_parameter(p, [&](const std::string& name, ParameterKind, MatrixOf<double>& m) {
            const MatrixOf<double>& g = *analytic[tensor++];
            double worst = 0.0;
            for (Index i = 0; i < m.size(); ++i) {
                const double saved = m.data()[i];
                m.data()[i] = saved + h;
                const double up = objective();
                m.data()[i] = saved - h;
                const double down = objective();
                m.data()[i] = saved;
                const double numeric = (up - down) / (2 * h);
                worst = std::max(worst, std::abs(numeric - g.data()[i]) / (1e-8 + 1e-6 * std::abs(numeric)));
            }
            EXPECT_LT(worst, 1.0) << name;
        });
    }
}

TEST(SupervisedAttention, LossOfEvenWeightsIsTheLogOfHowManyKeysTheQuerySees) {
    // All-zero weights give q = k = 0, so every row of weights is even: 1/5 over a 5-token
    // sentence, and in a causal model 1/(i+1) for query i. -log of that, whatever the keys.
    for (const bool causal : {true, false}) {
        const TrainableShape shape = tiny_shape(causal);
        const Parameters<double> zero = zero_parameters<double>(shape);
        const double expected = causal ? (std::log(4.0) + std::log(5.0)) / 2 : (std::log(5.0) + std::log(7.0)) / 2;
        EXPECT_NEAR(batch_attention_loss(shape, zero, tiny_supervised_batch(shape), {{0, 1, 1.0f}}), expected, 1e-12);
        EXPECT_NEAR(batch_attention_loss(shape, zero, tiny_supervised_batch(shape), {{0, 1, 0.5f}}), 0.5 * expected, 1e-12)
            << "the term carries its weight";
        EXPECT_EQ(batch_attention_loss(shape, zero, tiny_supervised_batch(shape), {}), 0.0) << "inactive";
        // A second head of weight 2 whose targets are query 2 of a 5-token sentence and query 3 of
        // a 7-token one: 2 * (log 3 + log 4) / 2 causal, 2 * (log 5 + log 7) / 2 bidirectional.
        const double second = causal ? std::log(3.0) + std::log(4.0) : std::log(5.0) + std::log(7.0);
        EXPECT_NEAR(batch_attention_loss(shape, zero, tiny_supervised_batch(shape, true), {{0, 1, 1.0f}, {1, 0, 2.0f}}),
                    expected + second, 1e-12);
        EXPECT_NEAR(batch_attention_loss(shape, zero, tiny_supervised_batch(shape, true), {{0, 1, 1.0f}, {1, 0, 0.0f}}),
                    expected, 1e-12)
            << "a head of weight 0 adds nothing";
    }
}

// 9 money sentences, 9 river ones and 4 with "cash" (the senses are named "finance" and "shore",
// words the sentences lack: else the named word alone would be the target). A word decides a
// sense when it comes in at least 5 sentences labelling "bank" and (count + 1) / (together + 2
// senses) >= 0.9.
//   money, took: 9 of 9 -> 10/11 = 0.91;  to: 13 of 13 -> 14/15;  cash, went: only 4 sentences;
//   the: both senses;  we: 9 of 18 -> 0.5.   river: river, sat, by.
Corpus deciding_corpus() {
    std::string text;
    for (int i = 0; i < 9; ++i) text += "we took the money to the bank\tbank=finance\nwe sat by the river bank\tbank=shore\n";
    for (int i = 0; i < 4; ++i) text += "the cash went to the bank\tbank=finance\n";
    text += "an ordinary sentence without senses\n";
    return parse_corpus(text, "deciding.txt").value();
}

TrainingConfig supervised_config(Objective objective, int steps) {
    TrainingConfig c;
    c.name = "supervised";
    c.objective = objective;
    c.shape.config.d_model = 16;
    c.shape.config.n_heads = 2;
    c.shape.config.n_layers = 1;
    c.shape.config.d_ff = 0;
    c.shape.config.max_len = 8;
    c.shape.config.causal = objective == Objective::NextWord;
    c.options.steps = steps;
    c.options.batch_size = 8;
    c.options.warmup_steps = 10;
    c.options.learning_rate = 1e-2f;
    c.options.attention_supervision = {{0, 1, 1.0f}};
    return c;
}

TEST(SupervisedAttention, DecidingWordsComeAlmostOnlyWithOneSenseInEnoughSentences) {
    for (const Objective objective : {Objective::NextWord, Objective::MaskedWord}) {
        auto t = Trainer::create(supervised_config(objective, 1), deciding_corpus());
        ASSERT_TRUE(t.ok()) << t.error().message;
        EXPECT_EQ(t.value()->deciding_words("bank", "finance"), (std::vector<std::string>{"money", "to", "took"}));
        EXPECT_EQ(t.value()->deciding_words("bank", "shore"), (std::vector<std::string>{"by", "river", "sat"}));
        EXPECT_TRUE(t.value()->deciding_words("bank", "moon").empty());
        // every labelled "bank" has a deciding word before it: the 4 cash sentences have "to"
        EXPECT_EQ(t.value()->supervised_share(), (std::pair<std::size_t, std::size_t>{22, 22}));
    }
    // The corpus's commonest words are the, bank, we, to, then by (9, first alphabetically):
    // skipping five leaves "to" and "by" out, and the cash sentences without a deciding word.
    TrainingConfig common = supervised_config(Objective::NextWord, 1);
    common.options.attention_supervision[0].skip_commonest = 5;
    auto skipping = Trainer::create(common, deciding_corpus());
    ASSERT_TRUE(skipping.ok());
    EXPECT_EQ(skipping.value()->deciding_words("bank", "finance"), (std::vector<std::string>{"money", "took"}));
    EXPECT_EQ(skipping.value()->deciding_words("bank", "shore"), (std::vector<std::string>{"river", "sat"}));
    EXPECT_EQ(skipping.value()->supervised_share(), (std::pair<std::size_t, std::size_t>{18, 22}));
    // A stricter share: took and money (10/11 = 0.909) no longer pass 0.92, "to" (14/15) does.
    TrainingConfig strict = supervised_config(Objective::NextWord, 1);
    strict.options.attention_supervision[0].min_share = 0.92f;
    EXPECT_EQ(Trainer::create(strict, deciding_corpus()).value()->deciding_words("bank", "finance"), (std::vector<std::string>{"to"}));
    TrainingConfig off = supervised_config(Objective::NextWord, 1);
    off.options.attention_supervision = {};  // no head
    EXPECT_TRUE(Trainer::create(off, deciding_corpus()).value()->deciding_words("bank", "finance").empty()) << "inactive";
}

TEST(SupervisedAttention, ExamplesAskBankToLookAtItsDecidingWordsThatAreNotMasked) {
    // "we took the money to the bank": bank (6) -> took (1), money (3), to (4).
    auto decoder = Trainer::create(supervised_config(Objective::NextWord, 1), deciding_corpus()).value();
    const Example e = decoder->example_of(0, 1);
    ASSERT_EQ(e.attention_targets.size(), 1u);
    EXPECT_EQ(e.attention_targets[0].query, 6);
    EXPECT_EQ(e.attention_targets[0].keys, (std::vector<int>{1, 3, 4}));
    EXPECT_TRUE(decoder->example_of(18, 1).attention_targets.size() == 1u) << "the cash sentence: 'to'";
    EXPECT_TRUE(decoder->example_of(22, 1).attention_targets.empty()) << "no senses, no targets";

    // The encoder masks words: a masked bank gets no target, and masked keys are left out.
    auto encoder = Trainer::create(supervised_config(Objective::MaskedWord, 1), deciding_corpus()).value();
    const int mask = *encoder->tokenizer().find("<mask>");
    int whole = 0, fewer = 0, none = 0;
    for (std::uint32_t seed = 0; seed < 200; ++seed) {
        const Example x = encoder->example_of(0, seed);
        if (x.attention_targets.empty()) {
            ++none;
            continue;
        }
        ASSERT_EQ(x.attention_targets.size(), 1u);
        const AttentionTarget& t = x.attention_targets[0];
        EXPECT_EQ(t.query, 6);
        EXPECT_NE(x.ids[6], mask);
        for (int key : t.keys) EXPECT_NE(x.ids[static_cast<std::size_t>(key)], mask) << "seed " << seed;
        whole += t.keys == std::vector<int>{1, 3, 4};
        fewer += t.keys.size() < 3;
    }
    EXPECT_GT(whole, 0);
    EXPECT_GT(fewer, 0) << "some draw masks a deciding word";
    EXPECT_GT(none, 0) << "some draw masks bank itself (or every deciding word)";
}

TEST(SupervisedAttention, AHeadTaughtAtMasksKeepsItsTargetWhereTheAmbiguousWordIsHidden) {
    // The same sentence and draws as above, the head taught at masks too: where bank (6) is shown
    // as <mask>, it still looks at its deciding words that are not masked (took 1, money 3, to 4).
    TrainingConfig c = supervised_config(Objective::MaskedWord, 1);
    c.options.attention_supervision[0].at_masks = true;
    auto encoder = Trainer::create(c, deciding_corpus()).value();
    const int mask = *encoder->tokenizer().find("<mask>");
    int at_masked_bank = 0;
    for (std::uint32_t seed = 0; seed < 200; ++seed) {
        const Example x = encoder->example_of(0, seed);
        for (const AttentionTarget& t : x.attention_targets) {
            EXPECT_EQ(t.query, 6);
            for (int key : t.keys) {
                EXPECT_TRUE(key == 1 || key == 3 || key == 4) << "seed " << seed;
                EXPECT_NE(x.ids[static_cast<std::size_t>(key)], mask) << "seed " << seed;
            }
            if (x.ids[6] == mask) {
                ++at_masked_bank;
                EXPECT_EQ(x.targets[6], *encoder->tokenizer().find("bank")) << "the hidden bank still predicts itself";
            }
        }
        const bool any_key_visible = x.ids[1] != mask || x.ids[3] != mask || x.ids[4] != mask;
        EXPECT_EQ(x.attention_targets.size(), any_key_visible ? 1u : 0u) << "seed " << seed;
    }
    EXPECT_GT(at_masked_bank, 0) << "some draw hides bank";
}

TEST(SupervisedAttention, PurestKeysKeepOnlyTheWordWithTheHighestShare) {
    // money and took 10/11, to 14/15: "to" alone. by, river and sat all 10/11: a tie keeps all three.
    TrainingConfig c = supervised_config(Objective::NextWord, 1);
    c.options.attention_supervision[0].keys = AttentionSupervision::Keys::Purest;
    auto t = Trainer::create(c, deciding_corpus()).value();
    EXPECT_EQ(t->example_of(0, 1).attention_targets[0].keys, (std::vector<int>{4}));
    EXPECT_EQ(t->example_of(1, 1).attention_targets[0].keys, (std::vector<int>{1, 2, 4}));
    EXPECT_EQ(t->deciding_words("bank", "finance"), (std::vector<std::string>{"money", "to", "took"})) << "the words themselves stay";
}

TEST(SupervisedAttention, SeveralHeadsEachLookAtTheirOwnDecidingWords) {
    // "we took the money to the bank and paid" (bank = 6): took, money, to, and, paid decide
    // finance (each 9 of 9 labelled sentences: 10/11); "we" and "the" come with the river too.
    // In the whole corpus took comes 9 times, money, to and "and" 11, paid 18: took is the rarest.
    std::string text;
    for (int i = 0; i < 9; ++i) text += "we took the money to the bank and paid\tbank=finance\nwe sat by the river bank\tbank=shore\n";
    for (int i = 0; i < 3; ++i) text += "paid paid paid\n";
    for (int i = 0; i < 2; ++i) text += "money to and\n";
    TrainingConfig c = supervised_config(Objective::MaskedWord, 1);
    c.shape.config.n_layers = 2;
    c.shape.config.max_len = 12;
    using Keys = AttentionSupervision::Keys;
    c.options.attention_supervision = {{0, 0, 1.0f, 0.9f, 0, Keys::All}, {0, 1, 1.0f, 0.9f, 0, Keys::Before},
                                       {1, 0, 1.0f, 0.9f, 0, Keys::After}, {1, 1, 1.0f, 0.9f, 0, Keys::Rarest}};
    auto created = Trainer::create(c, parse_corpus(text, "heads.txt").value());
    ASSERT_TRUE(created.ok()) << created.error().message;
    const auto& t = created.value();
    const std::vector<std::vector<int>> expected = {{1, 3, 4, 7, 8}, {1, 3, 4}, {7, 8}, {1}};
    for (std::size_t h = 0; h < expected.size(); ++h)
        EXPECT_EQ(t->deciding_words("bank", "finance", h), (std::vector<std::string>{"and", "money", "paid", "to", "took"}));
    EXPECT_EQ(t->supervised_share(), (std::pair<std::size_t, std::size_t>{18, 18})) << "each bank once, however many heads";
    const int mask = *t->tokenizer().find("<mask>");
    int unmasked_draws = 0;
    for (std::uint32_t seed = 0; seed < 300; ++seed) {
        const Example x = t->example_of(0, seed);
        const bool whole = std::find(x.ids.begin(), x.ids.end(), mask) == x.ids.end();
        unmasked_draws += whole;
        std::vector<int> seen(expected.size(), 0);
        for (const AttentionTarget& target : x.attention_targets) {
            ASSERT_LT(static_cast<std::size_t>(target.supervision), expected.size());
            const std::vector<int>& keys = expected[static_cast<std::size_t>(target.supervision)];
            EXPECT_EQ(target.query, 6);
            ++seen[static_cast<std::size_t>(target.supervision)];
            for (int key : target.keys) EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << "seed " << seed;
            if (whole) {
                EXPECT_EQ(target.keys, keys) << "head " << target.supervision;
            }
        }
        if (whole) {
            EXPECT_EQ(seen, std::vector<int>(expected.size(), 1)) << "every head has its target";
        }
    }
    EXPECT_GT(unmasked_draws, 0);
}

TEST(SupervisedAttention, FirstKeysKeepTheEarliestDecidingWordOnEitherSide) {
    // "we took the money to the bank and paid": took (1) comes first of took, money, to, and, paid;
    // "the bank took our money and paid" (bank = 1): every deciding word follows bank, took (2) first.
    std::string text;
    for (int i = 0; i < 9; ++i)
        text += "we took the money to the bank and paid\tbank=finance\nthe bank took our money and paid\tbank=finance\n"
                "we sat by the river bank\tbank=shore\n";
    TrainingConfig c = supervised_config(Objective::MaskedWord, 1);
    c.shape.config.max_len = 12;
    c.options.attention_supervision[0].keys = AttentionSupervision::Keys::First;
    auto created = Trainer::create(c, parse_corpus(text, "first.txt").value());
    ASSERT_TRUE(created.ok()) << created.error().message;
    const auto& t = created.value();
    const int mask = *t->tokenizer().find("<mask>");
    int whole_draws[2] = {0, 0};
    for (std::uint32_t seed = 0; seed < 200; ++seed)
        for (std::size_t sentence : {0, 1}) {
            const Example x = t->example_of(sentence, seed);
            if (std::find(x.ids.begin(), x.ids.end(), mask) != x.ids.end()) continue;
            ++whole_draws[sentence];
            ASSERT_EQ(x.attention_targets.size(), 1u);
            EXPECT_EQ(x.attention_targets[0].keys, (std::vector<int>{sentence == 0 ? 1 : 2})) << "sentence " << sentence;
        }
    EXPECT_GT(whole_draws[0], 0);
    EXPECT_GT(whole_draws[1], 0);
}

TEST(SupervisedAttention, ASenseThatNamesAWordOfTheSentencePointsAtThatWordAlone) {
    // "it=animal" in "the animal did not cross the street because it was tired": "it" is the
    // animal, so the head is taught to look at "animal" (1) alone. "animal" and "street" come with
    // both senses (9 sentences each), so neither decides by itself; without the name the target
    // would be nothing before "it". In "the dog was tired because it slept" (no "animal") the
    // deciding words before "it" are dog (10/11) and tired (19/20); "was", "the" and "because"
    // come with both senses.
    std::string text;
    for (int i = 0; i < 9; ++i)
        text += "the animal did not cross the street because it was tired\tit=animal\n"
                "the animal did not cross the street because it was wide\tit=street\n"
                "the dog was tired because it slept\tit=animal\n";
    TrainingConfig c = supervised_config(Objective::NextWord, 1);
    c.shape.config.max_len = 12;
    auto t = Trainer::create(c, parse_corpus(text, "it.txt").value()).value();
    EXPECT_EQ(t->deciding_words("it", "animal"), (std::vector<std::string>{"dog", "slept", "tired"}));
    EXPECT_EQ(t->deciding_words("it", "street"), (std::vector<std::string>{"wide"}));
    EXPECT_EQ(t->example_of(0, 1).attention_targets[0].keys, (std::vector<int>{1})) << "the animal";
    EXPECT_EQ(t->example_of(1, 1).attention_targets[0].keys, (std::vector<int>{6})) << "the street";
    EXPECT_EQ(t->example_of(2, 1).attention_targets[0].keys, (std::vector<int>{1, 3})) << "dog, tired";
}

TEST(SupervisedAttention, ASenseWhoseNameDecidesItLikeAnyWordIsOneDecidingWordAmongTheRest) {
    // bark=tree: "tree" comes with no other sense of "bark" (19/20 with Laplace), so it is a deciding
    // word like "oak" (10/11), not the whole target. In "the oak tree has rough bark" the first
    // deciding word is oak (1), and the deciding words are oak, tree, has and rough (1-4). With
    // skip_commonest 3 the name stays a deciding word although it is among the three commonest
    // words (the, tree, bark), which the head otherwise skips.
    std::string text;
    for (int i = 0; i < 9; ++i)
        text += "the oak tree has rough bark\tbark=tree\nthe tree lost bark\tbark=tree\nthe dog can bark\tbark=dog\n";
    TrainingConfig c = supervised_config(Objective::MaskedWord, 1);
    c.options.attention_supervision[0].keys = AttentionSupervision::Keys::First;
    c.options.attention_supervision[0].skip_commonest = 3;
    c.options.attention_supervision.push_back(c.options.attention_supervision[0]);
    c.options.attention_supervision[1].head = 0;
    c.options.attention_supervision[1].keys = AttentionSupervision::Keys::All;
    auto created = Trainer::create(c, parse_corpus(text, "tree.txt").value());
    ASSERT_TRUE(created.ok()) << created.error().message;
    const auto& t = created.value();
    EXPECT_EQ(t->deciding_words("bark", "tree", 0), (std::vector<std::string>{"has", "lost", "oak", "rough", "tree"}));
    const int mask = *t->tokenizer().find("<mask>");
    int whole_draws = 0;
    for (std::uint32_t seed = 0; seed < 100; ++seed) {
        const Example x = t->example_of(0, seed);
        if (std::find(x.ids.begin(), x.ids.end(), mask) != x.ids.end()) continue;
        ++whole_draws;
        ASSERT_EQ(x.attention_targets.size(), 2u);
        EXPECT_EQ(x.attention_targets[0].keys, (std::vector<int>{1})) << "first: oak";
        EXPECT_EQ(x.attention_targets[1].keys, (std::vector<int>{1, 2, 3, 4})) << "all: oak, tree, has, rough";
    }
    EXPECT_GT(whole_draws, 0);
}

// supervised_config for masked_word, every word (ambiguous or not) chosen with chance `mask_prob`.
TrainingConfig masked_config(float mask_prob) {
    TrainingConfig c = supervised_config(Objective::MaskedWord, 1);
    c.options.mask_prob = mask_prob;
    c.options.sense_mask_prob = mask_prob;
    return c;
}

TEST(SupervisedAttention, AVariedReadingDropsTheFinalPunctuationAndFirstArticleAndShiftsTheTargets) {
    // Always dropped (chance 1), never masked: "the bank by the river ." is read as
    // "bank by the river", bank (0) predicting its sense and looking at its deciding words by and
    // river (1 and 3, were 2 and 4); "we sat on the bank" has neither and is read whole.
    std::string text;
    for (int i = 0; i < 9; ++i) text += "the bank by the river .\tbank=shore\nwe sat on the bank\tbank=shore\nthe cash went to the bank .\tbank=money\n";
    TrainingConfig c = masked_config(0.0f);
    c.options.drop_end_punctuation = 1.0f;
    c.options.drop_first_article = 1.0f;
    auto created = Trainer::create(c, parse_corpus(text, "varied.txt").value());
    ASSERT_TRUE(created.ok()) << created.error().message;
    const auto& t = created.value();
    const Tokenizer& words = t->tokenizer();
    const int shore = *words.find("<bank:shore>");
    const Example x = t->example_of(0, 1);
    EXPECT_EQ(x.ids, (std::vector<int>{*words.find("bank"), *words.find("by"), *words.find("the"), *words.find("river")}));
    EXPECT_EQ(x.targets, (std::vector<int>{shore, -1, -1, -1}));
    ASSERT_EQ(x.attention_targets.size(), 1u);
    EXPECT_EQ(x.attention_targets[0].query, 0);
    EXPECT_EQ(x.attention_targets[0].keys, (std::vector<int>{1, 3}));
    EXPECT_EQ(t->example_of(1, 1).ids.size(), 5u) << "no article first, no punctuation last";

    c.options.drop_end_punctuation = 0.0f;
    c.options.drop_first_article = 0.0f;
    EXPECT_EQ(Trainer::create(c, parse_corpus(text, "varied.txt").value()).value()->example_of(0, 1).ids.size(), 6u)
        << "chance 0: read whole";
}

TEST(SupervisedAttention, ACroppedReadingStartsAtALaterWordUpToTheAmbiguousWord) {
    // Always cropped (chance 1), never masked: "the cash went to the bank ." (bank = 5) is read
    // from word 1, 2, 3, 4 or 5, each the sentence's own tail, bank still predicting its sense and
    // its deciding words shifted with it (those cut off are gone); "the cat sat on the mat ."
    // (no ambiguous word) from word 1 to 5, keeping at least its last two words.
    std::string text;
    for (int i = 0; i < 9; ++i) text += "the bank by the river .\tbank=shore\nthe cash went to the bank .\tbank=money\n";
    text += "the cat sat on the mat .\n";
    TrainingConfig c = masked_config(0.0f);
    auto whole = Trainer::create(c, parse_corpus(text, "cropped.txt").value()).value();
    c.options.crop_start = 1.0f;
    auto cropped = Trainer::create(c, parse_corpus(text, "cropped.txt").value()).value();
    const Example full = whole->example_of(1, 1);
    ASSERT_EQ(full.ids.size(), 7u);
    ASSERT_EQ(full.attention_targets.size(), 1u);
    const int money = *whole->tokenizer().find("<bank:money>");
    std::set<int> starts, cat_starts;
    for (std::uint32_t seed = 0; seed < 200; ++seed) {
        const Example x = cropped->example_of(1, seed);
        const int start = 7 - static_cast<int>(x.ids.size());
        starts.insert(start);
        EXPECT_TRUE(std::equal(x.ids.begin(), x.ids.end(), full.ids.begin() + start)) << "seed " << seed;
        EXPECT_EQ(x.targets[static_cast<std::size_t>(5 - start)], money);
        std::vector<int> keys;
        for (int key : full.attention_targets[0].keys)
            if (key >= start) keys.push_back(key - start);
        if (keys.empty()) {
            EXPECT_TRUE(x.attention_targets.empty()) << "seed " << seed;
        } else {
            ASSERT_EQ(x.attention_targets.size(), 1u) << "seed " << seed;
            EXPECT_EQ(x.attention_targets[0].query, 5 - start);
            EXPECT_EQ(x.attention_targets[0].keys, keys) << "seed " << seed;
        }
        cat_starts.insert(7 - static_cast<int>(cropped->example_of(18, seed).ids.size()));
    }
    EXPECT_EQ(starts, (std::set<int>{1, 2, 3, 4, 5}));
    EXPECT_EQ(cat_starts, (std::set<int>{1, 2, 3, 4, 5}));
    EXPECT_EQ(cropped->example_of(0, 7).ids.size(), 5u) << "bank is the second word: read from it";
}

TEST(SupervisedAttention, MaskedWordsAreShownAsMaskARandomWordOrThemselvesInTheGivenShares) {
    // Every word chosen (mask_prob 1): of 30 per 100 shown as a random corpus word (never a
    // special token), 30 as themselves and 40 as <mask>; every one predicts its own word, and with
    // every word hidden no head is taught where to look.
    std::string text;
    for (int i = 0; i < 9; ++i) text += "the bank by the river .\tbank=shore\nthe cash went to the bank .\tbank=money\n";
    TrainingConfig c = masked_config(1.0f);
    c.options.mask_random_word = 0.3f;
    c.options.mask_keeps_word = 0.3f;
    auto created = Trainer::create(c, parse_corpus(text, "shown.txt").value());
    ASSERT_TRUE(created.ok()) << created.error().message;
    const auto& t = created.value();
    const int mask = *t->tokenizer().find("<mask>");
    auto ids_of = [&](const std::vector<std::string>& sentence) {
        std::vector<int> ids;
        for (const std::string& w : sentence) ids.push_back(*t->tokenizer().find(w));
        return ids;
    };
    const std::vector<int> originals[2] = {ids_of({"the", "bank", "by", "the", "river", "."}),
                                           ids_of({"the", "cash", "went", "to", "the", "bank", "."})};
    int shown_mask = 0, shown_itself = 0, shown_other = 0, words = 0;
    for (std::uint32_t seed = 0; seed < 400; ++seed) {
        const Example x = t->example_of(seed % 2, seed);
        const std::vector<int>& original = originals[seed % 2];
        EXPECT_EQ(x.targets, original) << "every word predicts itself";
        EXPECT_TRUE(x.attention_targets.empty());
        for (std::size_t i = 0; i < x.ids.size(); ++i, ++words) {
            if (x.ids[i] == mask) {
                ++shown_mask;
                continue;
            }
            EXPECT_NE(t->tokenizer().piece(x.ids[i]).substr(0, 1), "<") << "a random word is a corpus word";
            ++(x.ids[i] == original[i] ? shown_itself : shown_other);
        }
    }
    // the random word is the word itself 1 time in 8 (8 corpus words): 0.3 * 7/8 other, 0.3 + 0.3/8 itself
    EXPECT_NEAR(static_cast<double>(shown_mask) / words, 0.4, 0.03);
    EXPECT_EQ(t->tokenizer().vocab_size(), 1 + 1 + 2 + 8) << "<unk>, <mask>, two sense labels, 8 words";
    EXPECT_NEAR(static_cast<double>(shown_other) / words, 0.3 * 7 / 8, 0.03);
    EXPECT_NEAR(static_cast<double>(shown_itself) / words, 0.3 + 0.3 / 8, 0.03);
}

// The weight the supervised head gives "bank"'s deciding words in the model as it is now.
float weight_on_deciding_words(const Trainer& t) {
    auto trace = compute_trace(*t.export_model(), "we took the money to the bank");
    EXPECT_TRUE(trace.ok());
    const auto& w = *trace.value()->head_weights(0, 1);
    return w(6, 1) + w(6, 3) + w(6, 4);
}

TEST(SupervisedAttention, TrainingTeachesTheHeadToLookAtTheDecidingWords) {
    auto t = Trainer::create(supervised_config(Objective::NextWord, 150), deciding_corpus()).value();
    EXPECT_LT(weight_on_deciding_words(*t), 0.6f) << "about 3/7 at the start";
    t->run();
    EXPECT_GT(weight_on_deciding_words(*t), 0.9f);
    EXPECT_LT(t->last_attention_loss(), 1.5f) << "ln 3 = 1.10 is the least for three even keys";
}

TEST(SupervisedAttention, ConfigNamesAHeadOrLayerTheModelLacks) {
    const std::string model = R"("model": {"d_model": 8, "n_heads": 2, "n_layers": 1, "max_len": 8})";
    auto config = [&](const std::string& objective, const std::string& supervision, const std::string& extra = "") {
        return R"({"name": "x", "objective": ")" + objective + "\", " + model.substr(0, model.size() - 1) + extra +
               R"(}, "training": {"attention_supervision": )" + supervision + "}}";
    };
    const auto good = parse_training_config(config("next_word", R"({"layer": 0, "head": 1, "weight": 0.5})"), "cfg.json");
    ASSERT_TRUE(good.ok()) << good.error().message;
    ASSERT_EQ(good.value().options.attention_supervision.size(), 1u);
    EXPECT_EQ(good.value().options.attention_supervision[0].head, 1);
    EXPECT_FLOAT_EQ(good.value().options.attention_supervision[0].weight, 0.5f);
    const auto list = parse_training_config(
        config("next_word", R"([{"layer": 0, "head": 1, "keys": "before"}, {"layer": 0, "head": 0, "keys": "rarest", "weight": 2}])"),
        "cfg.json");
    ASSERT_TRUE(list.ok()) << list.error().message;
    ASSERT_EQ(list.value().options.attention_supervision.size(), 2u);
    EXPECT_EQ(list.value().options.attention_supervision[0].keys, AttentionSupervision::Keys::Before);
    EXPECT_EQ(list.value().options.attention_supervision[1].keys, AttentionSupervision::Keys::Rarest);
    EXPECT_FLOAT_EQ(list.value().options.attention_supervision[1].weight, 2.0f);
    EXPECT_FALSE(list.value().options.attention_supervision[0].at_masks) << "not at masks unless asked";
    const auto at_masks = parse_training_config(config("masked_word", R"({"layer": 0, "head": 0, "at_masks": true})", R"(, "causal": false)"), "cfg.json");
    ASSERT_TRUE(at_masks.ok()) << at_masks.error().message;
    EXPECT_TRUE(at_masks.value().options.attention_supervision[0].at_masks);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {config("next_word", R"({"layer": 1, "head": 0})"),
         "cfg.json: training.attention_supervision.layer: expected a layer below n_layers 1, got 1"},
        {config("next_word", R"({"layer": 0, "head": 2})"),
         "cfg.json: training.attention_supervision.head: expected a head below n_heads 2, got 2"},
        {config("next_word", R"({"layer": 0, "head": 0, "wieght": 1})"),
         "cfg.json: training.attention_supervision.wieght: unknown key"},
        {config("next_word", R"({"head": 0})"), "cfg.json: training.attention_supervision.layer: missing"},
        {config("next_word", R"({"layer": 0, "head": 0, "keys": "some"})"),
         "cfg.json: training.attention_supervision.keys: expected one of \"all\", \"purest\", \"rarest\", \"before\", \"after\", \"first\", got \"some\""},
        {config("next_word", R"([{"layer": 0, "head": 0}, {"layer": 0, "head": 2}])"),
         "cfg.json: training.attention_supervision[1].head: expected a head below n_heads 2, got 2"},
        {config("next_word", R"([{"layer": 0, "head": 1}, {"layer": 0, "head": 1, "keys": "purest"}])"),
         "cfg.json: training.attention_supervision[1]: expected each head once, got layer 0 head 1 again"},
        {config("next_word", R"([])"), "cfg.json: training.attention_supervision: expected 1 to 64 supervised heads, got 0"},
        {config("next_word", R"([{"layer": 0, "head": 0}, 3])"),
         "cfg.json: training.attention_supervision[1]: expected an object, got number"},
        {config("next_word", R"({"layer": 0, "head": 0, "min_share": 0.2})"),
         "cfg.json: training.attention_supervision.min_share: expected a number from"},
        {config("next_word", R"({"layer": 0, "head": 0, "at_masks": true})"),
         "cfg.json: training.attention_supervision.at_masks: expected true only for the masked_word objective (next_word masks no word)"},
        {config("masked_word", R"({"layer": 0, "head": 0, "at_masks": 1})", R"(, "causal": false)"),
         "cfg.json: training.attention_supervision.at_masks: expected"},
        {config("translate", R"({"layer": 0, "head": 0})", R"(, "encoder_layers": 1)"),
         "cfg.json: training.attention_supervision: expected none for the translate objective"},
    };
    for (const auto& [text, expected] : cases) {
        const auto r = parse_training_config(text, "cfg.json");
        ASSERT_FALSE(r.ok()) << expected;
        EXPECT_THAT(r.error().message, HasSubstr(expected));
    }
}

}  // namespace
}  // namespace attnscope
