#include "attnscope/induction_demo.h"

#include <algorithm>
#include <utility>

namespace attnscope {

namespace {

// A small generator of our own (SplitMix64), so that a seed gives the same corpus everywhere:
// the standard distributions may differ between library implementations.
class DemoRandom {
public:
    explicit DemoRandom(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    int below(int n) { return n <= 1 ? 0 : static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
    int between(int lo, int hi) { return lo + below(hi - lo + 1); }  // inclusive
    double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

private:
    std::uint64_t m_state;
};

// Consonant-vowel-consonant words ending in v, z or k: English has almost none (the few it has
// are left out), so no word reads as a word the class knows.
std::vector<std::string> all_made_up_words() {
    const std::string consonants = "bdfglmnprstvz", vowels = "aeiou", finals = "vzk";
    const std::vector<std::string> english = {"rev", "lav", "biz", "fez", "gov", "sez", "riz", "lek", "dek"};
    std::vector<std::string> words;
    for (char f : finals)
        for (char c : consonants)
            for (char v : vowels) {
                if (f == 'k' && v == 'u') continue;  // keeps clear of a word a class would giggle at
                std::string w{c, v, f};
                if (std::find(english.begin(), english.end(), w) == english.end()) words.push_back(std::move(w));
            }
    // A fixed shuffle, so the first few words of any n already sound different from each other.
    DemoRandom r(12345);
    for (std::size_t i = words.size(); i > 1; --i) std::swap(words[i - 1], words[static_cast<std::size_t>(r.below(static_cast<int>(i)))]);
    return words;
}

}  // namespace

std::vector<std::string> induction_words(int n) {
    static const std::vector<std::string> all = all_made_up_words();
    // Beyond the made-up words, numbered ones keep every word distinct.
    n = std::clamp(n, 1, kMaxInductionWords);
    std::vector<std::string> words(all.begin(), all.begin() + std::min<std::ptrdiff_t>(n, static_cast<std::ptrdiff_t>(all.size())));
    for (int i = static_cast<int>(words.size()); i < n; ++i) words.push_back(all[static_cast<std::size_t>(i) % all.size()] + std::to_string(i));
    return words;
}

Corpus induction_corpus(const InductionCorpusOptions& options) {
    InductionCorpusOptions o = options;
    o.words = std::clamp(o.words, 2, kMaxInductionWords);
    o.length = std::clamp(o.length, 2, 4096);
    o.sentences = std::clamp(o.sentences, 1, 1000000);
    o.first_min = std::clamp(o.first_min, 1, o.length);
    o.first_max = std::clamp(o.first_max, o.first_min, o.length);
    o.span_min = std::clamp(o.span_min, 1, o.length);
    o.span_max = std::clamp(o.span_max, o.span_min, o.length);
    o.fresh_chance = std::clamp(o.fresh_chance, 0.0, 1.0);

    const std::vector<std::string> words = induction_words(o.words);
    DemoRandom r(o.seed);
    Corpus corpus;
    corpus.source = "induction demo (made-up words, seed " + std::to_string(o.seed) + ")";
    corpus.sentences.reserve(static_cast<std::size_t>(o.sentences));
    std::vector<int> s;
    for (int n = 0; n < o.sentences; ++n) {
        s.clear();
        for (int k = r.between(o.first_min, o.first_max); k > 0; --k) s.push_back(r.below(o.words));
        while (static_cast<int>(s.size()) < o.length) {
            if (r.unit() < o.fresh_chance) {
                s.push_back(r.below(o.words));
                continue;
            }
            // A copy starts at any earlier word, so only the word before tells where it goes on.
            const int start = r.below(static_cast<int>(s.size()));
            const int end = std::min(start + r.between(o.span_min, o.span_max), static_cast<int>(s.size()));
            for (int k = start; k < end; ++k) s.push_back(s[static_cast<std::size_t>(k)]);
        }
        s.resize(static_cast<std::size_t>(o.length));
        CorpusSentence sentence;
        sentence.line = n + 1;
        for (int id : s) sentence.text += (sentence.text.empty() ? "" : " ") + words[static_cast<std::size_t>(id)];
        corpus.sentences.push_back(std::move(sentence));
    }
    return corpus;
}

std::string induction_watch_sentence(int half, std::uint32_t seed, int words) {
    std::vector<std::string> pool = induction_words(words);
    half = std::clamp(half, 1, static_cast<int>(pool.size()));
    DemoRandom r(seed);
    for (std::size_t i = pool.size(); i > 1; --i) std::swap(pool[i - 1], pool[static_cast<std::size_t>(r.below(static_cast<int>(i)))]);
    std::string first;
    for (int i = 0; i < half; ++i) first += (i ? " " : "") + pool[static_cast<std::size_t>(i)];
    return first + " " + first;
}

}  // namespace attnscope
