// Fuzz target: text as a saved session (attnscope/session.h). A session that parses must come
// back unchanged after serialize_session and parse_session: saving never loses what was loaded.
#include <cstdint>
#include <string>

#include "attnscope/lesson.h"
#include "attnscope/session.h"
#include "attnscope/views.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace attnscope;
    fuzz::setup_once();
    const std::string_view text = fuzz::as_text(data, size);
    const Result<Session> session = parse_session(text, "fuzz-session.json");
    if (!session.ok()) {
        fuzz::check_error(session.error(), "parse_session", text);
        return 0;
    }
    const Session& s = session.value();
    const bool known_view = view_from_name(s.view).has_value();
    fuzz::check(known_view, "a session with the unknown view \"" + fuzz::printable(s.view) + "\" parsed");
    fuzz::check(s.layer >= 0 && s.head >= 0 && s.token >= 0 && s.key >= -1, "a session with a negative index parsed");

    const std::string saved = serialize_session(s);
    const Result<Session> again = parse_session(saved, "saved");
    fuzz::check(again.ok(), "a saved session does not parse: " + (again.ok() ? "" : again.error().message));
    fuzz::check(again.value() == s, "a session changed when saved and read back:\n" + fuzz::printable(saved));
    return 0;
}
