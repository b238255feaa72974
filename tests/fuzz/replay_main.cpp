// A main() for a fuzz target without libFuzzer, so the normal (GCC) build and ctest run every
// target: it feeds the target each file of its seed corpus, then a fixed number of pseudo-random
// mutations of them (bit flips, byte changes, insertions, long runs of one byte, deletions,
// truncations, duplicated chunks, splices of two seeds, swapped numbers). The mutations come from
// a fixed seed, so a run is the same on every machine until the time budget cuts it short.
//
//   fuzz_<target> [--mutations N] [--seconds S] [--seed X] [--max-len BYTES] CORPUS_DIR_OR_FILE...
//
// A crash (signal), an exception escaping the target, or a failed check (abort) writes the input
// to ./crash-<target> (in the working folder) before the process dies, and says which seed and
// mutation made it; run the target on that file to reproduce. Exit 0 when every input was taken,
// 2 on bad usage.
//
// [SECTION] The input being run (for the crash report)
// [SECTION] Mutations
// [SECTION] main
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

// [SECTION] The input being run (for the crash report)

// Set before each input; read by the signal handler, which may only use what is prepared here.
struct Current {
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
    char label[512] = {};        // "seed corpus/x.json" or "mutation 17 of corpus/x.json"
    char crash_file[512] = {};   // where the input is written if the target dies on it
};
Current g_current;

void write_all(int fd, const void* data, std::size_t size) {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n <= 0) return;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

void write_text(int fd, const char* text) { write_all(fd, text, std::strlen(text)); }

// Async-signal-safe: write(2), open(2) and the prepared buffers only.
void save_current_input() {
    const int fd = ::open(g_current.crash_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        write_all(fd, g_current.data, g_current.size);
        ::close(fd);
    }
    write_text(2, "replay: the input was ");
    write_text(2, g_current.label);
    write_text(2, "; saved to ");
    write_text(2, g_current.crash_file);
    write_text(2, "\n");
}

void on_fatal_signal(int sig) {
    write_text(2, "\nreplay: the target died (");
    write_text(2, sig == SIGABRT ? "abort: a failed check or assert" : sig == SIGSEGV ? "segmentation fault" : "fatal signal");
    write_text(2, ")\n");
    save_current_input();
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void install_signal_handlers() {
    // An alternate stack, so a stack overflow (deep recursion) still reports its input.
    static std::vector<char> alt_stack(1 << 16);
    stack_t ss{};
    ss.ss_sp = alt_stack.data();
    ss.ss_size = alt_stack.size();
    ::sigaltstack(&ss, nullptr);
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_ONSTACK;
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(sig, &sa, nullptr);
}

void set_label(const std::string& label) {
    std::snprintf(g_current.label, sizeof g_current.label, "%s", label.c_str());
}

void run_one(const std::vector<std::uint8_t>& input) {
    // A copy of exactly `size` bytes, so a read past the end is a read past an allocation (which
    // a sanitizer build catches) and never into the mutator's spare capacity.
    const std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[input.size() + (input.empty() ? 1 : 0)]);
    std::copy(input.begin(), input.end(), copy.get());
    g_current.data = copy.get();
    g_current.size = input.size();
    try {
        LLVMFuzzerTestOneInput(copy.get(), input.size());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "\nreplay: an exception escaped the target: %s\n", e.what());
        save_current_input();
        std::exit(1);
    } catch (...) {
        std::fprintf(stderr, "\nreplay: an exception of unknown type escaped the target\n");
        save_current_input();
        std::exit(1);
    }
    g_current.data = nullptr;
}

// [SECTION] Mutations

// splitmix64: a tiny generator whose output is the same everywhere (std:: distributions are not).
class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
    // A length that is usually small and sometimes large: 1..max.
    std::size_t length(std::size_t max) {
        if (max == 0) return 0;
        const std::size_t cap = std::min<std::size_t>(max, below(4) == 0 ? max : 16);
        return 1 + below(cap);
    }

private:
    std::uint64_t m_state;
};

using Bytes = std::vector<std::uint8_t>;

// Bytes that matter to the formats fuzzed here: JSON punctuation, digits, UTF-8 lead and
// continuation bytes, controls.
constexpr std::uint8_t kInterestingBytes[] = {0x00, 0x01, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xff,
                                              '"',  '\\', '[',  ']',  '{',  '}',  ',',  ':',  '-',  '0',  '9',  'e',
                                              '.',  ' ',  '\t', '\n', '\r', '/',  '*',  '<',  '>',  '#',  '=',  '\''};

// Literals that break parsers that assume sane values.
const char* const kInterestingTokens[] = {
    "null", "true", "false", "[]", "{}", "\"\"", "[[", "]]", "-1", "0", "1", "-0", "1e39", "-1e39", "1e308",
    "4294967296", "2147483648", "9223372036854775807", "18446744073709551616", "1.5", "NaN", "\"\\u0000\"",
    "\"\\ud800\"", "\xc3\xa9", "\xe2\x80\x99", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc0\xaf", "[MASK]", "<mask>",
    "<unk>", "//", "/*", "\t", "\r\n"};

// The mutations, one small function each: (input, seeds, rng, room left before max_len, max_len).
struct Mutation {
    Bytes& b;
    const std::vector<Bytes>& seeds;
    Rng& rng;
    std::size_t max_len;
    std::size_t room() const { return b.size() < max_len ? max_len - b.size() : 0; }
    std::ptrdiff_t anywhere() { return static_cast<std::ptrdiff_t>(rng.below(b.size() + 1)); }
};

void flip_a_bit(Mutation& m) {
    if (!m.b.empty()) m.b[m.rng.below(m.b.size())] ^= static_cast<std::uint8_t>(1u << m.rng.below(8));
}

void set_a_byte(Mutation& m) {  // to an interesting or random value
    if (m.b.empty()) return;
    m.b[m.rng.below(m.b.size())] = m.rng.below(2) ? kInterestingBytes[m.rng.below(std::size(kInterestingBytes))]
                                                  : static_cast<std::uint8_t>(m.rng.next());
}

void insert_random_bytes(Mutation& m) {
    const std::size_t n = std::min(m.room(), m.rng.length(8));
    const std::ptrdiff_t at = m.anywhere();
    Bytes ins;
    while (ins.size() < n) ins.push_back(static_cast<std::uint8_t>(m.rng.next()));
    m.b.insert(m.b.begin() + at, ins.begin(), ins.end());
}

void insert_a_long_run(Mutation& m) {  // a 10,000-word sentence, a huge number, deep nesting
    const std::size_t n = std::min(m.room(), m.rng.length(20000));
    const std::uint8_t value = kInterestingBytes[m.rng.below(std::size(kInterestingBytes))];
    m.b.insert(m.b.begin() + m.anywhere(), n, value);
}

void delete_a_range(Mutation& m) {
    if (m.b.empty()) return;
    const std::size_t at = m.rng.below(m.b.size());
    const std::size_t n = std::min(m.b.size() - at, m.rng.length(m.b.size()));
    m.b.erase(m.b.begin() + static_cast<std::ptrdiff_t>(at), m.b.begin() + static_cast<std::ptrdiff_t>(at + n));
}

void truncate(Mutation& m) { m.b.resize(m.rng.below(m.b.size() + 1)); }

void copy_a_chunk(Mutation& m) {  // repeats: lists of many items
    if (m.b.empty()) return;
    const std::size_t from = m.rng.below(m.b.size());
    const std::size_t n = std::min({m.b.size() - from, m.rng.length(m.b.size()), m.room()});
    const Bytes chunk(m.b.begin() + static_cast<std::ptrdiff_t>(from), m.b.begin() + static_cast<std::ptrdiff_t>(from + n));
    const std::size_t copies = 1 + (m.rng.below(4) == 0 ? m.rng.below(64) : 0);
    for (std::size_t c = 0; c < copies && m.b.size() + chunk.size() <= m.max_len; ++c)
        m.b.insert(m.b.begin() + m.anywhere(), chunk.begin(), chunk.end());
}

void splice_another_seed(Mutation& m) {  // this input's head, another seed's tail
    const Bytes& other = m.seeds[m.rng.below(m.seeds.size())];
    const std::size_t cut = m.rng.below(m.b.size() + 1);
    const std::size_t from = m.rng.below(other.size() + 1);
    m.b.resize(cut);
    m.b.insert(m.b.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
    if (m.b.size() > m.max_len) m.b.resize(m.max_len);
}

void replace_a_number(Mutation& m) {  // a run of digits becomes an interesting literal
    if (m.b.empty()) return;
    auto digit = [&](std::size_t i) { return m.b[i] >= '0' && m.b[i] <= '9'; };
    std::size_t at = m.rng.below(m.b.size());
    while (at < m.b.size() && !digit(at)) ++at;
    std::size_t end = at;
    while (end < m.b.size() && (digit(end) || m.b[end] == '.')) ++end;
    const std::string token = kInterestingTokens[m.rng.below(std::size(kInterestingTokens))];
    m.b.erase(m.b.begin() + static_cast<std::ptrdiff_t>(at), m.b.begin() + static_cast<std::ptrdiff_t>(end));
    m.b.insert(m.b.begin() + static_cast<std::ptrdiff_t>(at), token.begin(), token.end());
}

void insert_a_literal(Mutation& m) {
    const std::string token = kInterestingTokens[m.rng.below(std::size(kInterestingTokens))];
    if (token.size() <= m.room()) m.b.insert(m.b.begin() + m.anywhere(), token.begin(), token.end());
}

void swap_two_bytes(Mutation& m) {
    if (m.b.size() >= 2) std::swap(m.b[m.rng.below(m.b.size())], m.b[m.rng.below(m.b.size())]);
}

// The order is part of the replay: a seed and a count always give the same inputs.
void (*const kMutations[])(Mutation&) = {flip_a_bit,    set_a_byte,          insert_random_bytes, insert_a_long_run,
                                          delete_a_range, truncate,           copy_a_chunk,        splice_another_seed,
                                          replace_a_number, insert_a_literal, swap_two_bytes};

void mutate_once(Bytes& b, const std::vector<Bytes>& seeds, Rng& rng, std::size_t max_len) {
    Mutation m{b, seeds, rng, max_len};
    kMutations[rng.below(std::size(kMutations))](m);
}

// [SECTION] main

struct Options {
    long mutations = 1000;
    double seconds = 10.0;
    std::uint64_t seed = 1;
    std::size_t max_len = 0;  // 0: four times the largest seed, at least 4 KiB
    std::vector<std::string> paths;
};

int usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s [--mutations N] [--seconds S] [--seed X] [--max-len BYTES] CORPUS_DIR_OR_FILE...\n", argv0);
    return 2;
}

bool parse_options(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        char* end = nullptr;
        if (arg == "--mutations" && has_value) o.mutations = std::strtol(argv[++i], &end, 10);
        else if (arg == "--seconds" && has_value) o.seconds = std::strtod(argv[++i], &end);
        else if (arg == "--seed" && has_value) o.seed = std::strtoull(argv[++i], &end, 10);
        else if (arg == "--max-len" && has_value) o.max_len = std::strtoull(argv[++i], &end, 10);
        else if (arg.rfind("--", 0) == 0) return false;
        else o.paths.push_back(arg);
        if (end != nullptr && *end != '\0') return false;
    }
    return !o.paths.empty() && o.mutations >= 0 && o.seconds > 0;
}

// Every file named, or inside a folder named, sorted so the order is the same everywhere.
std::vector<std::filesystem::path> corpus_files(const std::vector<std::string>& paths) {
    std::vector<std::filesystem::path> files;
    for (const std::string& p : paths) {
        if (std::filesystem::is_directory(p)) {
            std::vector<std::filesystem::path> in_dir;
            for (const auto& entry : std::filesystem::directory_iterator(p))
                if (entry.is_regular_file()) in_dir.push_back(entry.path());
            std::sort(in_dir.begin(), in_dir.end());
            files.insert(files.end(), in_dir.begin(), in_dir.end());
        } else if (std::filesystem::is_regular_file(p)) {
            files.emplace_back(p);
        } else {
            std::fprintf(stderr, "replay: %s: no such file or folder\n", p.c_str());
            std::exit(2);
        }
    }
    return files;
}

Bytes read_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse_options(argc, argv, o)) return usage(argv[0]);
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);

    const std::string target = std::filesystem::path(argv[0]).filename().string();
    const auto files = corpus_files(o.paths);
    if (files.empty()) {
        std::fprintf(stderr, "replay: no input files in the corpus\n");
        return 2;
    }
    std::vector<Bytes> seeds;
    std::size_t largest = 0;
    for (const auto& f : files) {
        seeds.push_back(read_bytes(f));
        largest = std::max(largest, seeds.back().size());
    }
    const std::size_t max_len = o.max_len > 0 ? o.max_len : std::max<std::size_t>(4 * largest, 4096);

    install_signal_handlers();
    std::snprintf(g_current.crash_file, sizeof g_current.crash_file, "crash-%s", target.c_str());
    const auto started = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };

    for (std::size_t i = 0; i < files.size(); ++i) {
        set_label("seed " + files[i].string());
        run_one(seeds[i]);
    }

    Rng rng(o.seed);
    long done = 0;
    for (; done < o.mutations && elapsed() < o.seconds; ++done) {
        const std::size_t from = rng.below(seeds.size());
        Bytes input = seeds[from];
        const std::size_t rounds = 1 + rng.below(4);
        for (std::size_t r = 0; r < rounds; ++r) mutate_once(input, seeds, rng, max_len);
        set_label("mutation " + std::to_string(done) + " (--seed " + std::to_string(o.seed) + ") of " + files[from].string());
        run_one(input);
    }
    std::printf("%s: %zu seed inputs and %ld of %ld mutations in %.2f s%s\n", target.c_str(), files.size(), done,
                o.mutations, elapsed(), done < o.mutations ? " (stopped by the time budget)" : "");
    return 0;
}
