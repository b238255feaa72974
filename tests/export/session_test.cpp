// Sessions: a round trip through the file keeps every field; errors name the JSON path; the file
// is replaced whole.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "attnscope/session.h"
#include "test_scratch.h"

namespace attnscope {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

Session example_session() {
    Session s;
    s.model = "builtin:bank-encoder";
    s.text = "we sat on the river bank";
    s.compare = "i took the money to the bank";
    s.view = "tokens";
    s.layer = 1;
    s.head = 3;
    s.token = 5;
    s.key = 4;
    return s;
}

// A file in this process's scratch folder, which goes when the tests end.
fs::path scratch(const std::string& name) { return testing::scratch_dir() / name; }

std::string error_of(const std::string& json) {
    const auto result = parse_session(json, "s.json");
    return result.ok() ? "(parsed)" : result.error().message;
}

TEST(Session, RoundTripsEveryFieldThroughAFile) {
    const fs::path file = scratch("round-trip.json");
    ASSERT_TRUE(save_session(file, example_session()).ok());
    const auto back = load_session(file);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(back.value() == example_session());
}

TEST(Session, ReadsAHandWrittenFile) {
    const auto s = parse_session(R"({"format": "attnscope-session", "version": 1, "model": "builtin:bank-decoder",
        "text": "a b", "view": "overview", "layer": 0, "head": 1, "token": 1})");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s.value().view, "overview");
    EXPECT_EQ(s.value().head, 1);
    EXPECT_EQ(s.value().token, 1);
    EXPECT_EQ(s.value().key, -1);   // absent: no key chosen
    EXPECT_EQ(s.value().compare, "");
}

TEST(Session, NamesThePathOfAWrongView) {
    EXPECT_EQ(error_of(R"({"format": "attnscope-session", "version": 1, "model": "m", "text": "t", "view": "foo",
        "layer": 0, "head": 0, "token": 0})"),
              "s.json: view: expected one of heatmap, tokens, overview, steps, compare, playground, training, heads, lens, got \"foo\"");
}

TEST(Session, NamesAMissingField) {
    EXPECT_EQ(error_of(R"({"format": "attnscope-session", "version": 1, "model": "m", "text": "t", "view": "heatmap",
        "layer": 0, "token": 0})"),
              "s.json: head: missing");
}

TEST(Session, RefusesANegativeHead) {
    EXPECT_THAT(error_of(R"({"format": "attnscope-session", "version": 1, "model": "m", "text": "t", "view": "heatmap",
        "layer": 0, "head": -2, "token": 0})"),
                HasSubstr("s.json: head: expected an integer in 0.."));
}

TEST(Session, RefusesAnotherFormat) {
    EXPECT_THAT(error_of(R"({"format": "attnscope-lesson", "version": 1})"), HasSubstr("s.json: format: expected \"attnscope-session\""));
}

// Found by tests/fuzz (session): nlohmann::json reports a number too large for a double as an
// out_of_range, not a parse_error, and it escaped parse_session.
TEST(Session, SaysWhenANumberIsTooLargeForJson) {
    EXPECT_THAT(error_of(R"({"format": "attnscope-session", "version": 1, "model": "m", "text": "t", "view": "heatmap",
        "layer": 1e999, "head": 0, "token": 0})"),
                HasSubstr("s.json: not valid JSON: [json.exception.out_of_range.406] number overflow parsing '1e999'"));
}

TEST(Session, ReplacesAnOldFileWholeAndLeavesNoTemporaryBehind) {
    const fs::path file = scratch("replace.json");
    { std::ofstream(file) << "old contents that are much longer than any session could ever be ................"; }
    ASSERT_TRUE(save_session(file, example_session()).ok());
    EXPECT_TRUE(load_session(file).ok());
    int entries = 0;
    for (const auto& e : fs::directory_iterator(file.parent_path())) entries += e.path().filename().string().rfind("replace", 0) == 0;
    EXPECT_EQ(entries, 1);
}

}  // namespace
}  // namespace attnscope
