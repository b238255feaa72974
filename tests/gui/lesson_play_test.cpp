// The shipped lessons played end to end by the real app under Xvfb: every step of each lesson
// starts with --lesson FILE --lesson-step N, loads its model, traces its sentence, selects its
// view, layer, head and tokens, draws its caption and exits 0; the report names the step. The
// expected views, models and titles are read from the lesson files here, with the format's
// inheritance rule written out again, not through the app's parser. A broken step must fail.
// Without Xvfb the tests skip with a message.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "app_process.h"
#include "attnscope/forward.h"
#include "attnscope/model.h"
#include "attnscope/word_tokenizer.h"

namespace attnscope {
namespace {

using ::testing::HasSubstr;
using namespace attnscope::testing;

// [SECTION] What each step should show, read from the file with the format's rules

struct ExpectedStep {
    std::string title, model, view;
    int layer = 0, head = 0;
};

// The token typed as `word` (ignoring case), first hit, as a lesson names one; -1 if none.
int token_typed(const Trace& trace, const std::string& word) {
    for (int i = 0; i < trace.n_tokens(); ++i) {
        const Token& t = trace.tokens[static_cast<std::size_t>(i)];
        if (lowercase_utf8(trace.text.substr(t.start, t.end - t.start)) == lowercase_utf8(word)) return i;
    }
    return -1;
}

// "head": "best": the layer and head where `token` looks at `key` most, found here with the core
// library's trace and a loop of its own over every head (first of equals).
std::pair<int, int> best_head(const std::string& model_spec, const std::string& sentence, const std::string& token,
                              const std::string& key) {
    const auto model = load_model(model_spec);
    EXPECT_TRUE(model.ok()) << model_spec;
    if (!model.ok()) return {0, 0};
    const auto trace = compute_trace(*model.value(), sentence);
    EXPECT_TRUE(trace.ok()) << sentence;
    if (!trace.ok()) return {0, 0};
    const Trace& t = *trace.value();
    const int q = token_typed(t, token), k = token_typed(t, key);
    EXPECT_GE(q, 0) << token;
    EXPECT_GE(k, 0) << key;
    if (q < 0 || k < 0) return {0, 0};
    std::pair<int, int> best{0, 0};
    float most = -1.0f;
    for (int l = 0; l < static_cast<int>(t.layers.size()); ++l)
        for (int h = 0; h < t.model.n_heads; ++h)
            if (const float w = (*t.head_weights(l, h))(q, k); w > most) {
                most = w;
                best = {l, h};
            }
    return best;
}

// Inheritance (lesson.h): model, sentence, view, layer and head carry over from the step before;
// the lesson's "model" (else builtin:bank-decoder) and "heatmap" start them off. "head": "best"
// carries over too; a step with it and no key keeps the head the step before chose.
std::vector<ExpectedStep> expected_steps(const fs::path& file) {
    const auto root = nlohmann::json::parse(slurp(file), nullptr, true, /*ignore_comments=*/true);
    ExpectedStep carried{"", root.value("model", std::string("builtin:bank-decoder")), "heatmap"};
    std::string sentence;
    bool best = false;
    std::vector<ExpectedStep> out;
    for (const auto& step : root.at("steps")) {
        carried.title = step.at("caption").at("title").get<std::string>();
        carried.model = step.value("model", carried.model);
        carried.view = step.value("view", carried.view);
        sentence = step.value("sentence", sentence);
        if (step.contains("layer")) {
            carried.layer = step.at("layer").get<int>();
            best = false;
        }
        if (step.contains("head")) {
            best = step.at("head").is_string();
            if (!best) carried.head = step.at("head").get<int>();
        }
        if (best && step.contains("key"))
            std::tie(carried.layer, carried.head) =
                best_head(carried.model, sentence, step.value("token", std::string()), step.at("key").get<std::string>());
        out.push_back(carried);
    }
    return out;
}

fs::path lesson_file(const std::string& name) { return fs::path(ATTNSCOPE_SOURCE_DIR) / "assets/lessons" / name; }

// [SECTION] Fixture

struct AppRun {
    int exit_code = -1;
    std::string out, err;
};

class LessonPlay : public ::testing::Test {
protected:
    void SetUp() override {
        std::string why;
        if (!m_display.start(why)) GTEST_SKIP() << why;
    }

    AppRun run(const std::vector<std::string>& args) {
        const std::string tag = "app-" + std::to_string(++m_runs);
        const std::map<std::string, std::string> env = {
            {"DISPLAY", m_display.name()}, {"HOME", scratch_dir().string()}, {"XDG_CONFIG_HOME", scratch_dir().string()}};
        const Spawned s = spawn(std::string(ATTNSCOPE_BIN_DIR) + "/attnscope", args, env, tag);
        AppRun r;
        if (s.pid < 0) return r;
        r.exit_code = wait_for(s.pid, 120);
        r.out = slurp(s.out);
        r.err = slurp(s.err);
        return r;
    }

    AppRun play(const fs::path& lesson, int step, const std::string& png_name) {
        const fs::path png = scratch_dir() / png_name;
        return run({"--lesson", lesson.string(), "--lesson-step", std::to_string(step), "--screenshot", png.string(),
                    "--frames", "3", "--size", "1600x1000", "--no-settings"});
    }

    // The report of a step that must play (exit 0); on a failure, what the app said instead.
    std::string played(const fs::path& lesson, int step, const std::string& png_name) {
        const AppRun r = play(lesson, step, png_name);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.exit_code == 0 ? r.out : "exit " + std::to_string(r.exit_code) + ": " + r.err;
    }

    // Every step: exit 0, and the report names the step's number, view, model, layer, head and title.
    void expect_every_step_plays(const std::string& name) {
        const auto steps = expected_steps(lesson_file(name));
        ASSERT_GE(steps.size(), 5u);
        for (std::size_t i = 0; i < steps.size(); ++i) {
            const ExpectedStep& e = steps[i];
            SCOPED_TRACE(name + " step " + std::to_string(i + 1) + ": " + e.title);
            const AppRun r = play(lesson_file(name), static_cast<int>(i) + 1, name + "-" + std::to_string(i + 1) + ".png");
            ASSERT_EQ(r.exit_code, 0) << r.err;
            std::ostringstream want;
            want << "lesson step " << i + 1 << "/" << steps.size() << " view " << e.view << " model " << e.model << " layer "
                 << e.layer << " head " << e.head << " token ";
            EXPECT_THAT(r.out, HasSubstr(want.str()));
            EXPECT_THAT(r.out, HasSubstr(": " + e.title + "\n"));
            EXPECT_THAT(r.out, HasSubstr("region caption "));
            EXPECT_TRUE(fs::file_size(scratch_dir() / (name + "-" + std::to_string(i + 1) + ".png")) > 1000);
        }
    }

    fs::path write(const std::string& name, const std::string& text) {
        const fs::path p = scratch_dir() / name;
        std::ofstream(p) << text;
        return p;
    }

    VirtualDisplay m_display;
    int m_runs = 0;
};

const char* kBrokenModelLesson = R"({"format": "attnscope-lesson", "version": 1, "title": "broken",
  "steps": [{"caption": {"title": "fine", "text": "t"}, "sentence": "i took the money to the bank"},
            {"caption": {"title": "broken", "text": "t"}, "model": "builtin:no-such-model"}]})";

// [SECTION] Tests

TEST_F(LessonPlay, QkvBankPlaysEveryStep) { expect_every_step_plays("qkv-bank.json"); }

TEST_F(LessonPlay, EncoderVsDecoderPlaysEveryStep) { expect_every_step_plays("encoder-vs-decoder.json"); }

TEST_F(LessonPlay, EncoderDecoderCrossPlaysEveryStep) { expect_every_step_plays("encoder-decoder-cross.json"); }

TEST_F(LessonPlay, InductionHeadsPlaysEveryStep) { expect_every_step_plays("induction-heads.json"); }

// The cross lesson's steps show the kind of attention they name, with token and key in its rows and
// columns. Worked out by hand: "the woman sees the bank near the river ." is translated "la femme
// voit la rive près de la rivière ." (attnscope-cli predict): target token 4 is the second "la",
// whose step writes "rive"; source token 4 is "bank", 7 "river".
TEST_F(LessonPlay, ACrossStepSelectsItsRowByTheTargetAndItsKeyInTheSource) {
    const fs::path lesson = lesson_file("encoder-decoder-cross.json");
    const std::string encoder = played(lesson, 2, "cross-lesson-2.png");
    EXPECT_THAT(encoder, HasSubstr(" token 4 key 7 attention encoder: "));
    EXPECT_THAT(encoder, HasSubstr("selection: encoder layer 0, head 3, query 4 'bank', key 7 'river'\n"));
    const std::string cross = played(lesson, 6, "cross-lesson-6.png");
    EXPECT_THAT(cross, HasSubstr(" token 4 key 4 attention cross: "));
    EXPECT_THAT(cross, HasSubstr("selection: cross layer 1, head 3, query 4 ' la', key 4 'bank', writes 'rive'\n"));
    EXPECT_THAT(cross, HasSubstr("target shown: la femme voit la rive pr\xC3\xA8s de la rivi\xC3\xA8re .\n"));
}

// "target" forces the decoder: the step's rows are the given French, whatever the model would write.
TEST_F(LessonPlay, AStepsTargetIsTheTranslationShown) {
    const fs::path p = write("forced-target.json", R"({"format": "attnscope-lesson", "version": 1, "title": "t",
      "model": "builtin:translator", "steps": [{"caption": {"title": "a", "text": "t"}, "sentence": "the woman sees the red car .",
      "target": "la femme voit la voiture verte .", "attention": "cross", "layer": 1, "head": 3, "token": 5, "key": "red"}]})");
    const std::string out = played(p, 1, "forced-target.png");
    EXPECT_THAT(out, HasSubstr("target asked: forced 'la femme voit la voiture verte .'\n"));
    EXPECT_THAT(out, HasSubstr("selection: cross layer 1, head 3, query 5 'voiture', key 4 'red', writes 'verte'\n"));
}

TEST_F(LessonPlay, AttentionOnAModelWithoutAnEncoderAndADecoderExits3) {
    const fs::path p = write("attention-decoder-only.json", R"({"format": "attnscope-lesson", "version": 1, "title": "t",
      "steps": [{"caption": {"title": "a", "text": "t"}, "sentence": "i took the money to the bank", "attention": "cross"}]})");
    const AppRun r = play(p, 1, "attention-decoder-only.png");
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_THAT(r.err, HasSubstr("lesson step 1 (\"a\"): attention: builtin:bank-decoder is not an encoder-decoder"));
}

// Worked out by hand: "i took the money to the bank" -> bank is token 6, money token 3;
// "the bank near the river" -> bank 1, river 4.
TEST_F(LessonPlay, SelectsTheStepsWordsAsQueryAndKey) {
    EXPECT_THAT(played(lesson_file("qkv-bank.json"), 1, "words-1.png"), HasSubstr(" token 6 key 3: "));
    EXPECT_THAT(played(lesson_file("encoder-vs-decoder.json"), 3, "words-2.png"), HasSubstr(" token 1 key 4: "));
}

// The Q/K/V lesson's K and V steps open the steps view on the keys (page 4) and on the output
// (page 10); a step may also choose scores and a zoom for the heatmap, once, when it is entered.
TEST_F(LessonPlay, AStepOpensItsStepsPageAndSetsTheHeatmapsFieldAndZoom) {
    EXPECT_THAT(played(lesson_file("qkv-bank.json"), 3, "qkv-k.png"), HasSubstr("views: steps page 4,"));
    EXPECT_THAT(played(lesson_file("qkv-bank.json"), 4, "qkv-v.png"), HasSubstr("views: steps page 10,"));
    const fs::path p = write("scores-zoom.json", R"({"format": "attnscope-lesson", "version": 1, "title": "t",
      "steps": [{"caption": {"title": "a", "text": "t"}, "sentence": "i took the money to the bank", "token": "bank",
                 "field": "scores", "zoom": 2}]})");
    EXPECT_THAT(played(p, 1, "scores-zoom.png"), HasSubstr("heatmap scores at zoom 2.00"));
}

TEST_F(LessonPlay, AStepWhoseModelFailsToLoadExits3) {
    const AppRun first = play(write("broken-model.json", kBrokenModelLesson), 1, "broken-1.png");
    EXPECT_EQ(first.exit_code, 0) << first.err;
    const AppRun r = play(scratch_dir() / "broken-model.json", 2, "broken-2.png");
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_THAT(r.err, HasSubstr("builtin:no-such-model"));
}

TEST_F(LessonPlay, AWordNotInTheSentenceExits3) {
    const fs::path p = write("bad-word.json", R"({"format": "attnscope-lesson", "version": 1, "title": "t",
      "steps": [{"caption": {"title": "a", "text": "t"}, "sentence": "i took the money to the bank", "token": "river"}]})");
    const AppRun r = play(p, 1, "bad-word.png");
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_THAT(r.err, HasSubstr("lesson step 1 (\"a\"): token \"river\" is not in \"i took the money to the bank\""));
}

TEST_F(LessonPlay, AMalformedLessonExits3NamingTheJsonPath) {
    const fs::path p = write("bad-view.json", R"({"format": "attnscope-lesson", "version": 1, "title": "t",
      "steps": [{"caption": {"title": "a", "text": "t"}, "sentence": "x", "view": "foo"}]})");
    const AppRun r = play(p, 1, "bad-view.png");
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_THAT(r.err, HasSubstr("bad-view.json: steps[0].view: expected one of heatmap"));
}

TEST_F(LessonPlay, AStepPastTheEndIsBadUsage) {
    const AppRun r = play(lesson_file("qkv-bank.json"), 99, "past-end.png");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("--lesson-step 99: the lesson has"));
}

// Presentation mode shows the main view alone (no overview beside it) and reads the same
// flags without a lesson.
TEST_F(LessonPlay, PresentationModeShowsOneViewWithoutALesson) {
    const AppRun normal = run({"--screenshot", (scratch_dir() / "normal.png").string(), "--frames", "2", "--no-settings"});
    ASSERT_EQ(normal.exit_code, 0) << normal.err;
    EXPECT_THAT(normal.out, HasSubstr("region overview "));
    const AppRun shown = run({"--presentation", "--screenshot", (scratch_dir() / "presenting.png").string(), "--frames", "2",
                              "--no-settings"});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    EXPECT_THAT(shown.out, HasSubstr("region heatmap "));
    EXPECT_THAT(shown.out, ::testing::Not(HasSubstr("region overview ")));
    EXPECT_THAT(shown.out, ::testing::Not(HasSubstr("region caption ")));
}

// [SECTION] Keys: N and P step through a running lesson (xdotool)

TEST_F(LessonPlay, NAndPStepThroughARunningLesson) {
    if (!on_path("xdotool")) GTEST_SKIP() << "xdotool is not installed (Debian: apt-get install xdotool)";
    const std::map<std::string, std::string> env = {
        {"DISPLAY", m_display.name()}, {"HOME", scratch_dir().string()}, {"XDG_CONFIG_HOME", scratch_dir().string()}};
    auto xdotool = [&](const std::vector<std::string>& args) {
        const Spawned s = spawn("xdotool", args, env, "xdotool");
        return s.pid < 0 ? -1 : wait_for(s.pid, 30);
    };
    const fs::path png = scratch_dir() / "keys.png";
    const Spawned app = spawn(std::string(ATTNSCOPE_BIN_DIR) + "/attnscope",
                              {"--lesson", lesson_file("qkv-bank.json").string(), "--size", "1280x800", "--no-settings",
                               "--screenshot-on-signal", png.string()},
                              env, "keys");
    ASSERT_GT(app.pid, 0);
    ASSERT_EQ(xdotool({"search", "--sync", "--name", "AttnScope"}), 0) << "the window did not appear";
    // One key at a time, each seen on screen before the next: ImGui 1.86 reads keys as states, so
    // two taps of N inside one frame (an app under load) would count once. Each answer is checked
    // by its newest lesson line, the step on screen when that screenshot was taken.
    auto newest_step = [](const std::string& out) {
        const std::size_t at = out.rfind("lesson step ");
        return at == std::string::npos ? out : out.substr(at, out.find('\n', at) - at);
    };
    EXPECT_THAT(newest_step(signal_screenshot(app.pid, app.out, 0)), HasSubstr("lesson step 1/6 view heatmap"));
    EXPECT_EQ(xdotool({"key", "n"}), 0);
    EXPECT_THAT(newest_step(signal_screenshot(app.pid, app.out, 1)), HasSubstr("lesson step 2/6 view tokens"));
    EXPECT_EQ(xdotool({"key", "n"}), 0);
    EXPECT_THAT(newest_step(signal_screenshot(app.pid, app.out, 2)), HasSubstr("lesson step 3/6 view steps"));
    EXPECT_EQ(xdotool({"key", "p"}), 0);
    EXPECT_THAT(newest_step(signal_screenshot(app.pid, app.out, 3)), HasSubstr("lesson step 2/6 view tokens"));
    EXPECT_EQ(xdotool({"key", "ctrl+q"}), 0);
    EXPECT_EQ(wait_for(app.pid, 30), 0) << slurp(app.err);
}

// [SECTION] Sessions: --session FILE is restored at start and saved on exit

using SessionFile = LessonPlay;

TEST_F(SessionFile, SavesWhatTheAppShowedOnExit) {
    const fs::path file = scratch_dir() / "saved-session.json";
    fs::remove(file);
    const AppRun r = run({"--session", file.string(), "--model", "builtin:bank-encoder", "--text", "we sat on the river bank",
                          "--view", "tokens", "--layer", "1", "--head", "2", "--token", "5", "--key", "4", "--screenshot",
                          (scratch_dir() / "session-save.png").string(), "--frames", "2", "--no-settings"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(fs::exists(file));
    const auto saved = nlohmann::json::parse(slurp(file));
    EXPECT_EQ(saved.at("format"), "attnscope-session");
    EXPECT_EQ(saved.at("model"), "builtin:bank-encoder");
    EXPECT_EQ(saved.at("text"), "we sat on the river bank");
    EXPECT_EQ(saved.at("view"), "tokens");
    EXPECT_EQ(saved.at("layer"), 1);
    EXPECT_EQ(saved.at("head"), 2);
    EXPECT_EQ(saved.at("token"), 5);
    EXPECT_EQ(saved.at("key"), 4);
    EXPECT_FALSE(fs::exists(file.string() + ".tmp"));
}

TEST_F(SessionFile, RestoresAHandWrittenSession) {
    const fs::path file = write("restore-session.json", R"({"format": "attnscope-session", "version": 1,
        "model": "builtin:bank-encoder", "text": "the bank near the river", "compare": "",
        "view": "overview", "layer": 1, "head": 3, "token": 1, "key": 4})");
    const AppRun r = run({"--session", file.string(), "--screenshot", (scratch_dir() / "session-restore.png").string(),
                          "--frames", "2", "--no-settings"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("session view overview model builtin:bank-encoder layer 1 head 3 token 1 key 4 text: "
                                 "the bank near the river\n"));
}

TEST_F(SessionFile, IgnoresABrokenSessionAndSaysWhy) {
    const fs::path file = write("broken-session.json", R"({"format": "attnscope-session", "version": 1, "view": "foo"})");
    const AppRun r = run({"--session", file.string(), "--screenshot", (scratch_dir() / "session-broken.png").string(),
                          "--frames", "2", "--no-settings"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("broken-session.json: model: missing (the session is not restored)"));
}

// A session whose model no longer loads (a config the loader refuses) must not stop the app at
// every start: it opens on the built-in model and says why.
TEST_F(SessionFile, OpensTheBuiltInModelWhenTheSessionsModelFailsToLoad) {
    const fs::path folder = scratch_dir() / "broken-model";
    fs::create_directories(folder);
    write("broken-model/config.json", R"({"model_type": "llama", "num_attention_heads": 0})");
    const fs::path file = write("session-broken-model.json", R"({"format": "attnscope-session", "version": 1,
        "model": ")" + folder.string() + R"(", "text": "i took the money to the bank", "compare": "",
        "view": "heatmap", "layer": 0, "head": 0, "token": 6, "key": -1})");
    const AppRun r = run({"--session", file.string(), "--screenshot", (scratch_dir() / "session-broken-model.png").string(),
                          "--frames", "2", "--no-settings"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("broken-model"));
    EXPECT_THAT(r.err, HasSubstr("opening builtin:bank-decoder"));
    EXPECT_THAT(r.out, HasSubstr("model builtin:bank-decoder"));
}

// The sentence box holds C strings: a NUL in a restored text used to cut it there, and the cut text
// was then saved over the session. It is kept, shown as U+2400 SYMBOL FOR NULL.
TEST_F(SessionFile, ATextWithANulCharacterIsKeptVisibleAndNotCut) {
    const fs::path file = write("session-nul.json", R"({"format": "attnscope-session", "version": 1,
        "model": "builtin:bank-decoder", "text": "i took\u0000the money", "compare": "",
        "view": "heatmap", "layer": 0, "head": 0, "token": 0, "key": -1})");
    const AppRun r = run({"--session", file.string(), "--screenshot", (scratch_dir() / "session-nul.png").string(),
                          "--frames", "2", "--no-settings"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(slurp(file)).at("text"), "i took\xE2\x90\x80the money");
}

// A restored text too long for the model never traces, and the session used to wait for a first
// trace before saving anything again. Now what changes is saved, with the selection it restored.
TEST_F(SessionFile, ATextTooLongForTheModelDoesNotStopTheSessionFromSaving) {
    std::string words;
    for (int i = 0; i < 100; ++i) words += "bank ";
    const fs::path file = write("session-long.json", R"({"format": "attnscope-session", "version": 1,
        "model": "builtin:bank-decoder", "text": ")" + words + R"(", "compare": "",
        "view": "heatmap", "layer": 1, "head": 2, "token": 3, "key": -1})");
    const AppRun r = run({"--session", file.string(), "--compare", "the river bank", "--screenshot",
                          (scratch_dir() / "session-long.png").string(), "--frames", "2", "--no-settings"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto saved = nlohmann::json::parse(slurp(file));
    EXPECT_EQ(saved.at("compare"), "the river bank") << "the change was saved";
    EXPECT_EQ(saved.at("text"), words);
    EXPECT_EQ(saved.at("layer"), 1);
    EXPECT_EQ(saved.at("head"), 2);
    EXPECT_EQ(saved.at("token"), 3);
}

// An autosave killed between writing its temporary file and renaming it leaves
// "session.json.tmp-<pid>-<n>" behind; the next start removes it (its writer is gone).
TEST_F(SessionFile, TheNextStartRemovesWhatAKilledSaveLeftBehind) {
    const fs::path file = write("session-stale.json", R"({"format": "attnscope-session", "version": 1,
        "model": "builtin:bank-decoder", "text": "i took the money to the bank", "compare": "",
        "view": "heatmap", "layer": 0, "head": 0, "token": 6, "key": -1})");
    const pid_t ended = fork();
    if (ended == 0) _exit(0);
    waitpid(ended, nullptr, 0);
    const fs::path stale = file.string() + ".tmp-" + std::to_string(ended) + "-1";
    std::ofstream(stale) << "{\"format\": \"attnscope-sess";
    const AppRun r = run({"--session", file.string(), "--screenshot", (scratch_dir() / "session-stale.png").string(),
                          "--frames", "2", "--no-settings"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(stale));
}

}  // namespace
}  // namespace attnscope
