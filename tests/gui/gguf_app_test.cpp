// A GGUF file in the real app under Xvfb (issue 16): it opens from the command line as File ->
// Open and a drop do (both end in App::open_model), the views draw, and the status bar names the
// weights' types and the file's size; a built-in model, which has no file of weights, shows none.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "../shared_models.h"
#include "app_process.h"
#include "gui_app_fixture.h"

namespace attnscope {
namespace {

using namespace attnscope::testing;

TEST_F(GuiApp, AGgufFileOpensAndTheStatusBarNamesItsWeightTypes) {
    SKIP_WITHOUT_SHARED_MODEL("gguf/stories260K.gguf");
    fs::path png;
    const AppRun r = screenshot("gguf-720", {"--model", shared_model("gguf/stories260K.gguf").string(), "--text",
                                             "Once upon a time there was a cat", "--size", "1280x720"}, png);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto found = regions(r.out);
    ASSERT_TRUE(found.count("heatmap")) << r.out;
    ASSERT_TRUE(found.count("status-weights")) << "the status bar does not show the weights' types:\n" << r.out;
    const Rect weights = found.at("status-weights");
    EXPECT_GT(weights.w, 40) << "too narrow to hold \"F32 · 1.2 MB\"";
    EXPECT_GT(weights.y, 720 - 60) << "not in the status bar at the bottom";
    const Image img = read_png(png);
    EXPECT_GT(distinct_colours(img, weights), 2u) << "no text where the weight types are";
}

TEST_F(GuiApp, ABuiltInModelHasNoWeightTypesInTheStatusBar) {
    fs::path png;
    const AppRun r = screenshot("builtin-weights", {"--size", "1280x720"}, png);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(regions(r.out).count("status-weights")) << r.out;
}

}  // namespace
}  // namespace attnscope
