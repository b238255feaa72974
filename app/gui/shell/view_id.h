// The views `--view NAME` brings to the front: the enum and its names live in core
// (attnscope/views.h), where lesson and session files name them too.
#pragma once

#include "attnscope/views.h"

namespace attnscope::gui {

using attnscope::ViewId;
using attnscope::ViewNames;

}  // namespace attnscope::gui
