#include "attnscope/head_detectors.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "kernels/attention.h"

namespace attnscope {

namespace {

constexpr const char* kDetectorNames[] = {"previous", "duplicate", "induction", "first", "self", "entropy", "distance"};
static_assert(std::size(kDetectorNames) == static_cast<std::size_t>(HeadDetector::Count));

// For each query row, the earlier rows holding the same token: the duplicate pattern's ones.
std::vector<std::vector<int>> earlier_occurrences(const std::vector<Token>& tokens) {
    std::map<int, std::vector<int>> seen;
    std::vector<std::vector<int>> out(tokens.size());
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto& before = seen[tokens[i].id];
        out[i] = before;
        before.push_back(static_cast<int>(i));
    }
    return out;
}

// previous, first, self, entropy and distance from the summary the forward pass made of every row
// (HeadSummary): no weights are read again for them.
void add_summary_scores(const HeadSummary& s, int n, HeadDetectorScores& out) {
    const double rows = n;
    out.previous = s.previous.head(n).cast<double>().sum() / rows;   // sum(A * P) / sum(A), sum(A) = n rows of 1
    out.first = s.first.head(n).cast<double>().sum() / rows;
    out.self = s.same.head(n).cast<double>().sum() / rows;
    out.entropy = s.entropy.head(n).cast<double>().sum() / rows;
    out.distance = s.distance.head(n).cast<double>().sum() / rows;
}

// duplicate and induction: the rows whose token came earlier, read a block of rows at a time.
void add_repeat_scores(const Trace& trace, int layer, int head, const std::vector<std::vector<int>>& earlier,
                       HeadDetectorScores& out) {
    const int n = trace.n_tokens();
    double duplicate = 0, induction = 0;
    Matrix block;
    for (int r0 = 0; r0 < n; r0 += static_cast<int>(kAttentionBlock)) {
        const int r1 = std::min(n, r0 + static_cast<int>(kAttentionBlock));
        const bool any = std::any_of(earlier.begin() + r0, earlier.begin() + r1, [](const auto& e) { return !e.empty(); });
        if (!any) continue;
        trace.head_attention_rows(layer, head, r0, r1, nullptr, &block);
        for (int i = r0; i < r1; ++i)
            for (int j : earlier[static_cast<std::size_t>(i)]) {   // j < i, the same token
                duplicate += block(i - r0, j);
                induction += block(i - r0, j + 1);                 // the token after it (j + 1 <= i)
            }
    }
    out.duplicate = duplicate / n;
    out.induction = induction / n;
}

}  // namespace

const char* head_detector_name(HeadDetector d) { return kDetectorNames[static_cast<int>(d)]; }

double head_detector_value(const HeadDetectorScores& s, HeadDetector d) {
    switch (d) {
        case HeadDetector::Previous: return s.previous;
        case HeadDetector::Duplicate: return s.duplicate;
        case HeadDetector::Induction: return s.induction;
        case HeadDetector::First: return s.first;
        case HeadDetector::Self: return s.self;
        case HeadDetector::Entropy: return s.entropy;
        case HeadDetector::Distance: return s.distance;
        case HeadDetector::Count: break;
    }
    return 0;
}

Result<std::vector<HeadDetectorScores>> detect_heads(const Trace& trace, const std::function<bool()>& cancelled) {
    const int n = trace.n_tokens();
    const auto earlier = earlier_occurrences(trace.tokens);
    std::vector<HeadDetectorScores> out;
    if (n == 0) return out;
    for (int l = 0; l < static_cast<int>(trace.layers.size()); ++l)
        for (int h = 0; h < static_cast<int>(trace.layers[static_cast<std::size_t>(l)].heads.size()); ++h) {
            HeadDetectorScores s;
            s.layer = l;
            s.head = h;
            out.push_back(s);
        }
    // One head per core: a long trace that did not keep its weights computes the rows it reads
    // (GPT-2-small at 512 tokens: 4.8 GFLOP over the 144 heads).
    bool stopped = false;
#pragma omp parallel for schedule(dynamic) reduction(|| : stopped)
    for (std::size_t k = 0; k < out.size(); ++k) {
        if (stopped || (cancelled && cancelled())) { stopped = true; continue; }
        HeadDetectorScores& s = out[k];
        add_summary_scores(trace.head(s.layer, s.head).summary, n, s);
        add_repeat_scores(trace, s.layer, s.head, earlier, s);
    }
    if (stopped) return Error{"cancelled"};
    return out;
}

// [SECTION] The induction probe

namespace {

// Everyday English for the probe's ordinary tokens: whichever pieces a model's tokenizer makes
// of it, none special and none unknown.
constexpr const char* kOrdinaryText =
    "We walked to the market early in the morning because the bread is fresh before nine. My sister bought "
    "apples, cheese and a small cake for her friend's birthday. On the way home it started to rain, so we "
    "waited under a tree and talked about school, football, music and the long summer holiday. The old man "
    "who sells newspapers told us the weather would be better tomorrow. Later that evening our teacher "
    "called to say the river trip was moved to Friday, which made everyone happy. I think water, money, "
    "books, dogs, cars, houses, windows, doors, gardens and children are found in every town.";

}  // namespace

Result<InductionProbe> make_induction_probe(const Model& model, int n_sequences, int max_half, unsigned seed) {
    // An encoder-decoder's forward pass translates its input: the probe's sequence would be the
    // source, and the self-attention traced the translation's.
    if (model.info().encoder_decoder)
        return Error{"the induction probe reads one sequence's self-attention: model '" + model.info().name + "' is an encoder-decoder"};
    const Tokenizer& tokenizer = model.tokenizer();
    const auto encoded = tokenizer.encode(kOrdinaryText);
    if (!encoded.ok()) return encoded.error();
    const std::vector<Token>& all = encoded.value();
    std::vector<Token> leading, trailing, pool;
    std::set<int> ids;
    std::size_t first = 0, last = all.size();
    while (first < last && all[first].special) leading.push_back(all[first++]);
    while (last > first && all[last - 1].special) --last;
    trailing.assign(all.begin() + static_cast<long>(last), all.end());
    for (std::size_t i = first; i < last; ++i)
        if (!all[i].special && !all[i].unknown && ids.insert(all[i].id).second) pool.push_back(all[i]);
    // A model whose vocabulary is not English (one trained on made-up words): its own entries, each
    // one that encodes back to itself as one ordinary token; never the unknown token, whose piece
    // ("<unk>") a word tokenizer reads back as itself.
    if (const auto gibberish = tokenizer.encode("qzxqzvxq"); gibberish.ok())
        for (const Token& t : gibberish.value())
            if (t.unknown) ids.insert(t.id);
    for (int id = 0; pool.size() < 32 && id < std::min(tokenizer.vocab_size(), 4096); ++id) {
        const auto again = tokenizer.encode(tokenizer.piece(id));
        if (!again.ok()) continue;
        std::vector<Token> ordinary;
        for (const Token& t : again.value())
            if (!t.special) ordinary.push_back(t);
        if (ordinary.size() == 1 && ordinary[0].id == id && !ordinary[0].unknown && ids.insert(id).second) pool.push_back(ordinary[0]);
    }
    if (pool.size() < 2)
        return Error{"the induction probe needs ordinary tokens, and model '" + model.info().name + "' knows fewer than 2 of its words"};
    const int room = model.info().max_len - static_cast<int>(leading.size() + trailing.size());
    InductionProbe probe;
    probe.half = std::min(max_half, room / 2);
    probe.leading = static_cast<int>(leading.size());
    if (probe.half < 2)
        return Error{"the induction probe needs 4 tokens or more and model '" + model.info().name + "' takes " +
                     std::to_string(model.info().max_len)};
    std::mt19937 rng(seed);   // mt19937 is specified to the bit: the same sequences on every platform
    for (int s = 0; s < n_sequences; ++s) {
        std::vector<Token> half;
        for (int t = 0; t < probe.half; ++t) {
            Token token = pool[rng() % pool.size()];
            token.start = token.end = 0;   // no typed text behind a probe token
            half.push_back(token);
        }
        std::vector<Token> sequence = leading;
        sequence.insert(sequence.end(), half.begin(), half.end());
        sequence.insert(sequence.end(), half.begin(), half.end());
        sequence.insert(sequence.end(), trailing.begin(), trailing.end());
        probe.sequences.push_back(std::move(sequence));
    }
    return probe;
}

Result<std::vector<HeadDetectorScores>> probe_heads(const Model& model, const InductionProbe& probe,
                                                    const std::function<bool()>& cancelled) {
    std::vector<HeadDetectorScores> mean;
    const int L = probe.half, second_half = probe.leading + L;
    for (const std::vector<Token>& sequence : probe.sequences) {
        ForwardOptions options;
        options.cancelled = cancelled;
        options.logits = ForwardOptions::Logits::None;
        auto forward = model.forward(sequence, options);
        if (!forward.ok()) return forward.error();
        Trace trace = std::move(forward).value();
        trace.tokens = sequence;
        auto scores = detect_heads(trace, cancelled);
        if (!scores.ok()) return scores.error();
        // The probe's induction score: from each second-half token to the one after its first
        // occurrence, L - 1 back.
        for (HeadDetectorScores& s : scores.value()) {
            const Matrix rows = trace.head_weight_rows(s.layer, s.head, second_half, second_half + L);
            double sum = 0;
            for (int i = 0; i < L; ++i) sum += rows(i, second_half + i - L + 1);
            s.induction = sum / L;
        }
        if (mean.empty()) mean.assign(scores.value().size(), HeadDetectorScores{});
        for (std::size_t k = 0; k < mean.size(); ++k) {
            const HeadDetectorScores& s = scores.value()[k];
            HeadDetectorScores& m = mean[k];
            m.layer = s.layer;
            m.head = s.head;
            for (double HeadDetectorScores::*field : {&HeadDetectorScores::previous, &HeadDetectorScores::duplicate,
                                                      &HeadDetectorScores::induction, &HeadDetectorScores::first,
                                                      &HeadDetectorScores::self, &HeadDetectorScores::entropy,
                                                      &HeadDetectorScores::distance})
                m.*field += s.*field / static_cast<double>(probe.sequences.size());
        }
    }
    return mean;
}

}  // namespace attnscope
