// The parts of the desktop app that need no window: the command line, the settings file, the
// background worker mechanism, the trace worker, the model loader and the thumbnail atlas.
// Encoder-decoders' (issue 15) are in cross_attention_unit_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <new>
#include <set>
#include <stdexcept>
#include <thread>

#include "app_process.h"
#include "attnscope/forward.h"
#include "gui_unit_helpers.h"
#include "shell/examples.h"
#include "shell/history.h"
#include "shell/options.h"
#include "shell/script.h"
#include "shell/settings.h"
#include "widgets/draw_util.h"
#include "widgets/loss_plot.h"
#include "workers/background_worker.h"
#include "workers/model_loader.h"
#include "workers/thumbnails.h"
#include "workers/trace_worker.h"

#include <imgui.h>

namespace attnscope::gui {
namespace {

using ::testing::HasSubstr;
using namespace unit;  // gui_unit_helpers.h: parse, script_of, abc_model, wait_until_idle, scratch_dir, fs

// [SECTION] Command line

TEST(LaunchOptions, ReadsEveryFlagOfTheDesign) {
    const ParsedOptions p = parse({"--model", "builtin:abc-example", "--text", "A B C", "--compare", "C B A", "--layer", "0",
                                   "--head", "0", "--token", "2", "--view", "overview", "--theme", "projector",
                                   "--font-scale", "1.5", "--size", "1024x768", "--screenshot", "x.png", "--frames", "4"});
    ASSERT_TRUE(p.options);
    const LaunchOptions& o = *p.options;
    EXPECT_EQ(*o.model, "builtin:abc-example");
    EXPECT_EQ(*o.text, "A B C");
    EXPECT_EQ(o.compare, "C B A");
    EXPECT_EQ(*o.token, 2);
    EXPECT_EQ(o.view, ViewId::Overview);
    EXPECT_EQ(*o.theme, ThemeId::Projector);
    EXPECT_FLOAT_EQ(*o.font_scale, 1.5f);
    EXPECT_EQ(*o.width, 1024);
    EXPECT_EQ(*o.height, 768);
    EXPECT_EQ(o.screenshot, "x.png");
    EXPECT_EQ(o.frames, 4);
}

TEST(LaunchOptions, AcceptsTheViewsOfLaterVersions) {
    for (const char* view : {"steps", "compare", "playground", "training"}) {
        const ParsedOptions p = parse({"--view", view});
        ASSERT_TRUE(p.options) << view;
        EXPECT_STREQ(view_name(p.options->view), view);
    }
}

TEST(LaunchOptions, BadUsageExitsTwo) {
    EXPECT_EQ(parse({"--no-such-flag"}).exit_code, kExitUsage);
    EXPECT_EQ(parse({"--view", "sideways"}).exit_code, kExitUsage);
    EXPECT_EQ(parse({"--theme", "neon"}).exit_code, kExitUsage);
    EXPECT_EQ(parse({"--size", "big"}).exit_code, kExitUsage);
    EXPECT_EQ(parse({"--size", "10x10"}).exit_code, kExitUsage);
    EXPECT_EQ(parse({"--font-scale", "9"}).exit_code, kExitUsage);
    EXPECT_EQ(parse({"--frames", "3"}).exit_code, kExitUsage);  // --frames needs --screenshot
    EXPECT_EQ(parse({"--layer", "-1"}).exit_code, kExitUsage);
    EXPECT_EQ(parse({"stray"}).exit_code, kExitUsage);
    EXPECT_FALSE(parse({"--view", "sideways"}).options);
}

TEST(LaunchOptions, HelpExitsZero) {
    const ParsedOptions p = parse({"--help"});
    EXPECT_FALSE(p.options);
    EXPECT_EQ(p.exit_code, kExitOk);
}

// [SECTION] Settings

TEST(Settings, RoundTripThroughTheFile) {
    Settings s;
    s.width = 1600;
    s.height = 900;
    s.theme = ThemeId::Projector;
    s.font_scale = 1.75f;
    s.colormap = Colormap::Cividis;
    s.recent_models = {"/models/bank.json", "/models/gpt2"};
    const fs::path file = scratch_dir() / "nested" / "settings.json";
    ASSERT_TRUE(save_settings(file, s).ok());
    std::string warning;
    EXPECT_EQ(load_settings(file, warning), s);
    EXPECT_EQ(warning, "");
}

TEST(Settings, ABadFieldKeepsItsDefaultAndTheOthersLoad) {
    std::string warning;
    const Settings s = parse_settings(R"({"width": "wide", "theme": "light", "font_scale": 99})", warning);
    EXPECT_EQ(s.width, Settings{}.width);
    EXPECT_EQ(s.theme, ThemeId::Light);
    EXPECT_FLOAT_EQ(s.font_scale, 1.0f);
    EXPECT_THAT(warning, HasSubstr("'width'"));
}

TEST(Settings, AFileThatIsNotJsonGivesTheDefaults) {
    std::string warning;
    EXPECT_EQ(parse_settings("{{{ not json", warning), Settings{});
    EXPECT_THAT(warning, HasSubstr("not a JSON object"));
}

TEST(Settings, AMissingFileIsTheFirstRunNotAProblem) {
    std::string warning = "stale";
    EXPECT_EQ(load_settings(scratch_dir() / "absent.json", warning), Settings{});
    EXPECT_EQ(warning, "");
}

TEST(Settings, LiveUnderXdgConfigHome) {
    const char* old = std::getenv("XDG_CONFIG_HOME");
    const std::string saved = old ? old : "";
    ::setenv("XDG_CONFIG_HOME", "/tmp/xdg-test", 1);
    EXPECT_EQ(default_settings_path(), fs::path("/tmp/xdg-test/attnscope/settings.json"));
    if (old) ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
    else ::unsetenv("XDG_CONFIG_HOME");
}

TEST(Settings, RecentFilesAreNewestFirstWithoutDuplicates) {
    Settings s;
    for (int i = 0; i < 12; ++i) remember_recent(s, "m" + std::to_string(i));
    remember_recent(s, "m5");
    ASSERT_EQ(s.recent_models.size(), Settings::kMaxRecent);
    EXPECT_EQ(s.recent_models[0], "m5");
    EXPECT_EQ(s.recent_models[1], "m11");
    EXPECT_EQ(std::count(s.recent_models.begin(), s.recent_models.end(), "m5"), 1);
}

// [SECTION] Background worker

using Clock = std::chrono::steady_clock;

// Polls `done` every 2 ms for up to 10 s.
template <class F>
bool eventually(F done) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!done() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return done();
}

TEST(BackgroundWorker, AnswersOnlyTheNewestRequest) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    BackgroundWorker<int, int> worker(
        [released](const int& x, std::uint64_t, const StaleCheck&) -> Result<int> {
            if (x == 1) released.wait();  // the first job holds the thread while the others queue up
            return x * 10;
        },
        {}, OnShutdown::Join);
    worker.request(1);
    ASSERT_TRUE(eventually([&] { return worker.latest().running != nullptr; }));
    worker.request(2);
    const std::uint64_t newest = worker.request(3);  // replaces 2 in the slot before it starts
    release.set_value();
    ASSERT_TRUE(eventually([&] { return !worker.latest().busy(); }));
    const auto s = worker.latest();
    ASSERT_TRUE(s.newest);
    EXPECT_EQ(s.newest->id, newest);
    EXPECT_EQ(*s.newest->request, 3);
    EXPECT_EQ(s.newest->result.value(), 30);  // 1's answer came back stale and was dropped, 2 never ran
}

// An allocation that fails inside a job (a trace too big for what the machine has left) used to
// end the worker thread and with it the app (std::terminate); now it is the answer's message,
// the last good answer stays, and the next request is served.
TEST(BackgroundWorker, AJobThatRunsOutOfMemoryAnswersWithAMessageAndTheWorkerGoesOn) {
    BackgroundWorker<int, int> worker(
        [](const int& x, std::uint64_t, const StaleCheck&) -> Result<int> {
            if (x == 2) throw std::bad_alloc();
            if (x == 3) throw std::runtime_error("a library's own error");
            return x * 10;
        },
        {}, OnShutdown::Join);
    const auto answer_to = [&](int x) {
        const std::uint64_t id = worker.request(x);
        EXPECT_TRUE(eventually([&] { return worker.latest().newest && worker.latest().newest->id == id; }));
        return worker.latest();
    };
    EXPECT_EQ(answer_to(1).newest->result.value(), 10);
    const auto failed = answer_to(2);
    ASSERT_FALSE(failed.newest->result.ok());
    EXPECT_THAT(failed.newest->result.error().message, ::testing::HasSubstr("out of memory"));
    EXPECT_EQ(failed.newest_ok->result.value(), 10) << "the last good answer stays";
    EXPECT_THAT(answer_to(3).newest->result.error().message, ::testing::HasSubstr("a library's own error"));
    EXPECT_EQ(answer_to(4).newest->result.value(), 40);
}

// A job blocked in a system call (a FIFO nobody writes to) cannot poll anything; with
// OnShutdown::Detach the destructor must return anyway, and nothing is published afterwards.
TEST(BackgroundWorker, ShutdownReturnsWhileADetachedJobIsBlocked) {
    auto gate = std::make_shared<std::promise<void>>();
    std::shared_future<void> opened = gate->get_future().share();
    auto publishes = std::make_shared<std::atomic<int>>(0);
    auto finished = std::make_shared<std::atomic<bool>>(false);
    Clock::time_point shut_down;
    {
        BackgroundWorker<int, int> worker(
            [opened, finished](const int& x, std::uint64_t, const StaleCheck&) -> Result<int> {
                opened.wait();  // blocked until the test opens the gate, long after shutdown
                finished->store(true);
                return x;
            },
            [publishes] { ++*publishes; }, OnShutdown::Detach);
        worker.request(7);
        ASSERT_TRUE(eventually([&] { return worker.latest().running != nullptr; }));
        shut_down = Clock::now();
    }  // the destructor: the job is still blocked here
    EXPECT_LT(Clock::now() - shut_down, std::chrono::milliseconds(500));
    EXPECT_FALSE(finished->load()) << "the destructor must not have waited for the job";
    gate->set_value();
    ASSERT_TRUE(eventually([&] { return finished->load(); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(publishes->load(), 0) << "a worker that was shut down wakes nobody";
}

// [SECTION] Trace ids

// The sentence's worker, the compare view's worker and the CLI's compute_trace all draw from
// next_trace_id(): no two traces share an id, so no cache keyed by id can mix them up.
TEST(TraceIds, TracesFromDifferentProducersNeverShareAnId) {
    TraceWorker sentence, compare;
    std::set<std::uint64_t> ids;
    int traces = 0;
    for (const char* text : {"A", "A B", "A B C"}) {
        sentence.request(abc_model(), text);
        compare.request(abc_model(), text);
        for (const TraceWorker* w : {&sentence, &compare}) {
            const TraceStatus s = wait_until_idle(*w);
            ASSERT_TRUE(s.good);
            ids.insert(s.good->id());
            ++traces;
        }
        const auto direct = compute_trace(*abc_model(), text);
        ASSERT_TRUE(direct.ok());
        ids.insert(direct.value()->id);
        ++traces;
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(traces));
    EXPECT_EQ(ids.count(0), 0u);
}

// [SECTION] Trace worker

// An encoder's guesses for [MASK] come with the bundle: the five likeliest words, each with its
// softmax probability worked out here over the whole vocabulary from the trace's logits.
TEST(TraceWorker, PublishesTheEncodersGuessesForEachMask) {
    auto model = load_model("builtin:bank-encoder");
    ASSERT_TRUE(model.ok());
    TraceWorker worker;
    worker.request(model.value(), "i took the money to the [MASK] .");
    const TraceStatus s = wait_until_idle(worker);
    ASSERT_TRUE(s.good);
    const auto& guesses = s.good->mask_guesses;
    ASSERT_EQ(guesses.size(), 1u);
    EXPECT_EQ(guesses[0].token, 6);
    ASSERT_EQ(guesses[0].top.size(), 5u);
    const Trace& t = *s.good->trace;
    const auto logits = t.logits_of(6);
    double sum = 0.0;
    const double top = logits.maxCoeff();
    for (int v = 0; v < logits.size(); ++v) sum += std::exp(static_cast<double>(logits(v)) - top);
    int best = 0;
    for (int v = 1; v < logits.size(); ++v)
        if (logits(v) > logits(best)) best = v;
    EXPECT_EQ(guesses[0].top[0].first, model.value()->tokenizer().decode({best}));
    EXPECT_NEAR(guesses[0].top[0].second, 1.0 / sum, 1e-5);
    for (std::size_t k = 1; k < 5; ++k) EXPECT_LE(guesses[0].top[k].second, guesses[0].top[k - 1].second);
    worker.request(model.value(), "i took the money to the bank .");
    EXPECT_TRUE(wait_until_idle(worker).good->mask_guesses.empty()) << "no [MASK], no guesses";
}

TEST(TraceWorker, TheNewestRequestWins) {
    TraceWorker worker;
    const char* texts[] = {"A", "A B", "A B C", "C B A", "B"};
    for (const char* t : texts) worker.request(abc_model(), t);
    const TraceStatus s = wait_until_idle(worker);
    ASSERT_TRUE(s.good);
    EXPECT_EQ(s.good->trace->text, "B");
    EXPECT_EQ(s.good->id(), worker.newest_id());
    EXPECT_EQ(s.error, "");
}

TEST(TraceWorker, AnErrorKeepsTheLastGoodTrace) {
    TraceWorker worker;
    worker.request(abc_model(), "A B C");
    ASSERT_TRUE(wait_until_idle(worker).good);
    worker.request(abc_model(), "   ");
    const TraceStatus s = wait_until_idle(worker);
    EXPECT_THAT(s.error, HasSubstr("empty"));
    ASSERT_TRUE(s.good);
    EXPECT_EQ(s.good->trace->text, "A B C");
}

TEST(TraceWorker, PublishesStatisticsAndThumbnailsWithTheTrace) {
    TraceWorker worker;
    worker.request(abc_model(), "A B C A");
    const TraceStatus s = wait_until_idle(worker);
    ASSERT_TRUE(s.good);
    EXPECT_EQ(s.good->stats->trace_id, s.good->id());
    EXPECT_EQ(s.good->thumbnails->trace_id, s.good->id());
    EXPECT_EQ(s.good->thumbnails->rows, 2);  // 1 layer + the average row
    EXPECT_EQ(s.good->thumbnails->cols, 2);  // 1 head + the average column
}

// The typing path: the worker hands its last good trace on, so a decoder computes only the rows
// after the words already traced; the trace must equal one computed from nothing.
TEST(TraceWorker, TypingReusesTheLastTraceOfTheSameModelObjectOnly) {
    const auto decoder = load_model("builtin:bank-decoder"), reloaded = load_model("builtin:bank-decoder");
    ASSERT_TRUE(decoder.ok() && reloaded.ok());
    ASSERT_TRUE(decoder.value()->info().causal);
    TraceWorker worker;
    worker.request(decoder.value(), "i took the money");
    ASSERT_TRUE(wait_until_idle(worker).good);
    const std::string typed = "i took the money to the bank";
    worker.request(decoder.value(), typed);
    const TraceStatus s = wait_until_idle(worker);
    ASSERT_TRUE(s.good);
    EXPECT_GE(s.good->trace->reused_rows, 4) << "the four words traced before";
    const auto fresh = compute_trace(*decoder.value(), typed);
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(fresh.value()->reused_rows, 0);
    for (std::size_t l = 0; l < fresh.value()->layers.size(); ++l)
        for (std::size_t h = 0; h < fresh.value()->layers[l].heads.size(); ++h)
            EXPECT_TRUE(s.good->trace->layers[l].heads[h].weights.isApprox(fresh.value()->layers[l].heads[h].weights, 1e-5f))
                << "layer " << l << " head " << h;

    worker.request(reloaded.value(), typed + " again");  // another model object: nothing reused
    const TraceStatus other = wait_until_idle(worker);
    ASSERT_TRUE(other.good);
    EXPECT_EQ(other.good->trace->reused_rows, 0);
}

// [SECTION] Thumbnails

TEST(ThumbnailAtlas, MaxPoolsLongSentencesIntoTilesOfAtMost64Texels) {
    Trace t;
    const int n = 100;
    HeadTrace h;
    h.weights = Matrix::Zero(n, n);
    h.scores = Matrix::Zero(n, n);
    h.weights(99, 0) = 0.8f;  // one strong weight in a 100 x 100 head survives the pooling
    t.tokens.resize(n);
    t.layers.push_back(LayerTrace{Matrix(), {h}});
    HeadStats stats;
    stats.n_layers = 1;
    stats.n_heads = 1;
    stats.mean_over_heads = {h.weights};
    stats.mean_over_layers = {h.weights};
    stats.mean_over_all = h.weights;
    const ThumbnailAtlas a = build_thumbnail_atlas(t, stats);
    EXPECT_EQ(a.tile, 50);  // pooled by 2
    EXPECT_EQ(a.width, 2 * (50 + 2 * ThumbnailAtlas::kPad));
    // Texel (row 49, column 0) of tile (0, 0) holds max(weights[98..99][0..1]) = 0.8.
    const std::size_t texel = 2 * (static_cast<std::size_t>(ThumbnailAtlas::kPad + 49) * a.width + ThumbnailAtlas::kPad);
    EXPECT_EQ(a.texels[texel], 204);  // round(0.8 * 255)
    const UvRect uv = a.tile_uv(1, 1);
    EXPECT_GT(uv.u0, a.tile_uv(0, 0).u1);  // tiles never share texels
    EXPECT_LE(uv.u1, 1.0f);
}

// A trace that did not keep its n x n matrices (a long text) draws its tiles from the heads'
// pooled maps: 300 tokens -> 10 cells of 32 tokens per side; the cell of queries 288..299 on keys
// 0..31 holds its largest weight, and the cells above the diagonal of a causal head are masked.
TEST(ThumbnailAtlas, ALongTraceWithoutItsMatricesUsesThePooledMaps) {
    Trace t;
    const int n = 300;
    HeadTrace h;
    h.q = Matrix::Zero(n, 4);
    h.summary.pooled = Matrix::Zero(10, 10);
    h.summary.pooled(9, 0) = 0.6f;
    t.tokens.resize(n);
    t.layers.push_back(LayerTrace{Matrix(), {h}});
    t.layers[0].causal = true;
    ASSERT_FALSE(t.keeps_attention());
    HeadStats stats;
    stats.n_layers = 1;
    stats.n_heads = 1;
    stats.averages_pooled = true;
    stats.mean_over_heads = {h.summary.pooled};
    stats.mean_over_layers = {h.summary.pooled};
    stats.mean_over_all = h.summary.pooled;
    const ThumbnailAtlas a = build_thumbnail_atlas(t, stats);
    EXPECT_EQ(a.tile, 10);
    const auto texel = [&](int row, int col) {
        return 2 * (static_cast<std::size_t>(ThumbnailAtlas::kPad + row) * a.width + ThumbnailAtlas::kPad + col);
    };
    EXPECT_EQ(a.texels[texel(9, 0)], 153);  // round(0.6 * 255)
    EXPECT_EQ(a.texels[texel(0, 5) + 1], 255) << "above the diagonal: masked";
    EXPECT_EQ(a.texels[texel(5, 5) + 1], 0) << "the diagonal cell holds queries that see their keys";
}

// [SECTION] Model loader

TEST(ModelLoader, SuggestsTheExampleTheModelKnowsBest) {
    LoadedModel loaded;
    ModelLoader::rate_examples(*abc_model(), loaded);
    EXPECT_EQ(loaded.suggested_text, "A B C");
    ASSERT_EQ(loaded.example_unknowns.size(), example_sentences().size());
    EXPECT_GT(loaded.example_unknowns.front(), 0);  // "I took the money to the bank": unknown words
}

// The translator opens on its own example (its vocabulary has no "I took"); the Examples menu's
// sentences are still rated for it.
TEST(ModelLoader, ATranslatorOpensOnItsTranslationExample) {
    const auto model = load_model("builtin:translator");
    ASSERT_TRUE(model.ok()) << model.error().message;
    LoadedModel loaded;
    ModelLoader::rate_examples(*model.value(), loaded);
    EXPECT_EQ(loaded.suggested_text, "the woman sees the bank near the river .");
    EXPECT_EQ(loaded.example_unknowns.size(), example_sentences().size());
    EXPECT_EQ(translation_example_for_text(" The woman sees the bank near the river . "), &translation_examples().front());
}

TEST(ModelLoader, AFailedLoadReportsTheLoadersMessage) {
    ModelLoader loader;
    const auto id = loader.request("/no/such/model.json");
    std::optional<LoadOutcome> out;
    for (int i = 0; i < 3000 && !out; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        out = loader.take_finished();
    }
    ASSERT_TRUE(out);
    EXPECT_EQ(out->id, id);
    ASSERT_FALSE(out->result.ok());
    EXPECT_THAT(out->result.error().message, HasSubstr("/no/such/model.json"));
}

// A FIFO named config.json used to block the loader (and a quit joining it) forever. Files are
// now opened without blocking and refused by kind; shutdown with a load that does block is
// BackgroundWorker.ShutdownReturnsWhileADetachedJobIsBlocked (the loader detaches its thread).
TEST(ModelLoader, AFifoNamedConfigJsonFailsAtOnceSayingWhatItIs) {
    const fs::path dir = scratch_dir() / "fifo_model";
    fs::create_directories(dir);
    const fs::path config = dir / "config.json";
    fs::remove(config);
    ASSERT_EQ(mkfifo(config.c_str(), 0600), 0) << "mkfifo " << config;
    ModelLoader loader;
    loader.request(config.string());
    std::optional<LoadOutcome> outcome;
    ASSERT_TRUE(eventually([&] {
        if (!outcome) outcome = loader.take_finished();
        return outcome.has_value();
    }));
    ASSERT_FALSE(outcome->result.ok());
    EXPECT_THAT(outcome->result.error().message, HasSubstr("config.json: is a named pipe (FIFO), expected a regular file"));
    EXPECT_FALSE(loader.busy());
}

// [SECTION] Text of any length, drawn without a window (ImGui needs only a font atlas)

// An ImGui context with the default font and the OpenGL 3 backend's "large meshes" flag, and no
// window: NewFrame/Render build draw lists that the test reads instead of a GPU.
class HeadlessImGui {
public:
    HeadlessImGui() {
        m_context = ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.DisplaySize = ImVec2(1280, 720);
        io.DeltaTime = 1.0f / 60.0f;
        io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;
        io.Fonts->AddFontDefault();
        unsigned char* pixels = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    }
    ~HeadlessImGui() { ImGui::DestroyContext(m_context); }
    HeadlessImGui(const HeadlessImGui&) = delete;
    HeadlessImGui& operator=(const HeadlessImGui&) = delete;

    // One frame of a 400 x 300 scrolling window showing `draw_text`, scrolled to its end when
    // `to_end`; returns the height of what the text took (the window's content height).
    template <class Draw>
    float frame(Draw draw_text, bool to_end) {
        ImGui::NewFrame();
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImVec2(400, 300));
        ImGui::Begin("caption", nullptr, ImGuiWindowFlags_NoDecoration);
        const float top = ImGui::GetCursorPosY();
        draw_text();
        const float height = ImGui::GetCursorPosY() - top;
        if (to_end) ImGui::SetScrollY(ImGui::GetScrollMaxY());
        ImGui::End();
        ImGui::Render();  // ImGui asserts (and aborts) here when a draw list passes 65,536 vertices
        return height;
    }

private:
    ImGuiContext* m_context;
};

std::string long_caption() {
    std::string text;
    for (int i = 0; i < 1500; ++i) text += "The query asks and the key answers; word " + std::to_string(i) + ". ";
    text += "\n\nA second paragraph after a blank line.\n";
    for (int i = 0; i < 300; ++i) text += std::string(37, 'x') + " ";  // long words too
    return text;
}

// A 75,000-character caption scrolled to its end: every line above the view is still laid out by
// one ImGui text item, which ended the app with "Too many vertices in ImDrawList using 16-bit
// indices". Drawn by text_wrapped_any_length it renders, and every draw list stays in range.
TEST(TextWrappedAnyLength, ACaptionOfAnyLengthScrolledToItsEndStaysWithin16BitIndices) {
    HeadlessImGui imgui;
    const std::string text = long_caption();
    ASSERT_GT(text.size(), 60000u);
    for (int i = 0; i < 4; ++i) imgui.frame([&] { text_wrapped_any_length(text); }, true);
    ImDrawData* data = ImGui::GetDrawData();
    ASSERT_NE(data, nullptr);
    for (int l = 0; l < data->CmdListsCount; ++l)
        for (const ImDrawCmd& cmd : data->CmdLists[l]->CmdBuffer)
            for (unsigned e = 0; e < cmd.ElemCount; ++e)
                EXPECT_LT(data->CmdLists[l]->IdxBuffer[static_cast<int>(cmd.IdxOffset + e)], 65536);
}

// The pieces read as one text: the same height as ImGui's own measure of the whole text wrapped
// at the same width (CalcTextSize, which draws nothing and so has no vertex limit).
TEST(TextWrappedAnyLength, LaysOutExactlyAsOneWrappedText) {
    HeadlessImGui imgui;
    const std::string text = long_caption();
    float drawn = 0.0f, measured = 0.0f;
    for (int i = 0; i < 3; ++i)
        drawn = imgui.frame([&] {
            measured = ImGui::CalcTextSize(text.c_str(), text.c_str() + text.size(), false, ImGui::GetContentRegionAvail().x).y;
            text_wrapped_any_length(text);
        }, false);
    EXPECT_NEAR(drawn, measured + ImGui::GetStyle().ItemSpacing.y, 0.5f);
    EXPECT_GT(measured, 100 * ImGui::GetFontSize()) << "the text is long enough to be cut in several pieces";
}

// [SECTION] Script

TEST(Script, SelectAndZoomReadTheirNumbers) {
    const auto steps = script_of("select-zoom", "3 select 1 2 300 -1\n4 zoom 12.5\n");
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    ASSERT_EQ(steps.value().size(), 2u);
    const ScriptStep& select = steps.value()[0];
    EXPECT_EQ(select.kind, ScriptStep::Kind::Select);
    EXPECT_EQ(select.frame, 3);
    EXPECT_EQ(select.select[0], 1);
    EXPECT_EQ(select.select[1], 2);
    EXPECT_EQ(select.select[2], 300);
    EXPECT_EQ(select.select[3], -1);
    EXPECT_EQ(steps.value()[1].kind, ScriptStep::Kind::Zoom);
    EXPECT_EQ(steps.value()[1].zoom, 12.5f);
}

TEST(Script, BadSelectAndZoomArgumentsNameTheLine) {
    for (const char* bad : {"1 select 1 2 3", "1 select 1 2 3 4 5", "1 select -1 0 0 0", "1 select 0 0 0 -2", "1 select a b c d",
                            "1 zoom", "1 zoom 0.5", "1 zoom nan", "1 zoom 1e9", "1 zoom 2 3"}) {
        const auto steps = script_of("bad-select-zoom", std::string("# first\n") + bad + "\n");
        ASSERT_FALSE(steps.ok()) << bad;
        EXPECT_THAT(steps.error().message, ::testing::HasSubstr("bad-select-zoom.script:2: '")) << bad;
    }
}

// [SECTION] History

TEST(History, GoesBackAndForwardAndDropsWhatWasAheadOnANewStep) {
    History<int> h(10);
    EXPECT_FALSE(h.back());
    for (int v : {1, 2, 2, 3}) h.record(v);  // a repeat is not a step
    EXPECT_EQ(*h.current(), 3);
    EXPECT_EQ(h.back(), 2);
    EXPECT_EQ(h.back(), 1);
    EXPECT_FALSE(h.back()) << "nothing before the first";
    EXPECT_EQ(h.forward(), 2);
    h.record(7);  // a new step after going back: 3 is gone
    EXPECT_FALSE(h.can_forward());
    EXPECT_EQ(h.back(), 2);
    EXPECT_EQ(h.forward(), 7);
}

TEST(History, KeepsTheNewestEntriesAndFoldsChangesIntoTheCurrentStep) {
    History<int> h(3);
    for (int v = 1; v <= 5; ++v) h.record(v);
    EXPECT_EQ(h.back(), 4);
    EXPECT_EQ(h.back(), 3);
    EXPECT_FALSE(h.back()) << "1 and 2 went when 4 and 5 came";
    History<int> f;
    f.replace_current(1);  // empty: it is the first step
    f.record(2);
    f.replace_current(3);  // 2 becomes 3: still two steps
    EXPECT_EQ(f.back(), 1);
    EXPECT_EQ(f.forward(), 3);
}

// [SECTION] Loss plot

TEST(RoundTicks, AreOneTwoOrFiveTimesAPowerOfTenFromZeroPastTheTop) {
    EXPECT_EQ(round_ticks(3.7, 5), (std::vector<double>{0, 1, 2, 3, 4}));
    EXPECT_EQ(round_ticks(1500, 5), (std::vector<double>{0, 500, 1000, 1500}));
    EXPECT_EQ(round_ticks(0.42, 5), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001}));
    EXPECT_EQ(round_ticks(10, 5), (std::vector<double>{0, 5, 10}));
    for (double hi : {0.013, 2.5, 7.0, 99.0, 12345.0}) {
        const auto t = round_ticks(hi, 5);
        EXPECT_LE(t.size(), 6u) << hi;
        EXPECT_GE(t.back(), hi) << hi;
        EXPECT_EQ(t.front(), 0.0);
    }
    EXPECT_EQ(round_ticks(0.0, 5), (std::vector<double>{0.0}));
    EXPECT_EQ(round_ticks(std::nan(""), 5), (std::vector<double>{0.0}));
}

}  // namespace
}  // namespace attnscope::gui
