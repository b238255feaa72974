// Saves killed with SIGKILL at random moments (30 times each) always leave the old or the new
// complete file: sessions, head exports and trained models (the CLI trainer's and the app's saves,
// and the app's settings, all go through the same write_file_atomically). A child process saves
// one version after another; the parent kills it after a random few milliseconds and compares the
// file, byte for byte, with what a complete save of each version writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "attnscope/atomic_file.h"
#include "attnscope/forward.h"
#include "attnscope/heatmap_export.h"
#include "attnscope/json_model.h"
#include "attnscope/model.h"
#include "attnscope/random_model.h"
#include "attnscope/session.h"
#include "test_scratch.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

constexpr int kKills = 30;

std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// save(file, version) writes version 0, 1 or 2 of the document to `file`.
using Save = std::function<void(const fs::path&, int)>;

// The complete bytes of each version, from saves nobody interrupted.
std::vector<std::string> complete_versions(const Save& save, const fs::path& dir) {
    std::vector<std::string> versions;
    for (int v = 0; v < 3; ++v) {
        const fs::path reference = dir / ("reference-" + std::to_string(v));
        save(reference, v);
        versions.push_back(slurp(reference));
    }
    return versions;
}

// Kills a child that saves versions 1 and 2 in turn over `file` (which holds version 0 first).
void kill_saves_at_random(const Save& save, const std::string& what) {
    const fs::path dir = testing::test_scratch_dir();
    const std::vector<std::string> versions = complete_versions(save, dir);
    ASSERT_NE(versions[1], versions[2]);
    const fs::path file = dir / "target";
    save(file, 0);
    std::mt19937 rng(12345);
    for (int kill = 0; kill < kKills; ++kill) {
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            for (int v = 1;; v = 3 - v) save(file, v);  // until killed
        }
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(200, 30000)(rng)));
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
        const std::string now = slurp(file);
        EXPECT_THAT(versions, ::testing::Contains(now)) << what << ": kill " << kill << " left " << now.size()
                                                        << " bytes that are no complete version";
    }
}

TEST(KillDuringSave, ASessionIsAlwaysTheOldOrTheNewFile) {
    kill_saves_at_random(
        [](const fs::path& file, int version) {
            Session s;
            s.text = std::string(200000, static_cast<char>('a' + version));  // big enough to be caught mid-write
            s.layer = version;
            ASSERT_TRUE(save_session(file, s).ok());
        },
        "session");
}

TEST(KillDuringSave, AHeadExportIsAlwaysTheOldOrTheNewFile) {
    TransformerConfig config;
    config.d_model = 16;
    config.n_heads = 2;
    config.n_layers = 1;
    config.d_ff = 0;
    config.max_len = 256;
    config.causal = true;
    const auto model = make_random_transformer(config, 50, 7);
    std::vector<std::shared_ptr<const Trace>> traces;
    for (int v = 0; v < 3; ++v) {
        std::string text;
        for (int i = 0; i < 200; ++i) text += "w" + std::to_string(1 + (i * (v + 1)) % 49) + " ";
        const auto trace = compute_trace(*model, text);
        ASSERT_TRUE(trace.ok()) << trace.error().message;
        traces.push_back(trace.value());
    }
    kill_saves_at_random(
        [&](const fs::path& file, int version) {
            const fs::path csv = file.string() + ".csv";  // export_head picks the format by extension
            ASSERT_TRUE(export_head(*traces[static_cast<std::size_t>(version)], 0, 0, csv).ok());
            fs::rename(csv, file);
        },
        "export");
}

TEST(KillDuringSave, ATrainedModelIsAlwaysTheOldOrTheNewFile) {
    std::vector<std::string> models;
    for (int v = 0; v < 3; ++v) {
        TransformerConfig config;
        config.d_model = 32;
        config.n_heads = 4;
        config.n_layers = 2;
        config.d_ff = 64;
        config.max_len = 32;
        models.push_back(write_json_model(*make_random_transformer(config, 400, static_cast<std::uint32_t>(v + 1))));
    }
    kill_saves_at_random(
        [&](const fs::path& file, int version) {  // as attnscope-cli train --out saves its model
            ASSERT_TRUE(write_file_atomically(file, models[static_cast<std::size_t>(version)]).ok());
        },
        "trained model");
}

}  // namespace
}  // namespace attnscope
