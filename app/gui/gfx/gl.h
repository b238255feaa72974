// OpenGL 3.3 core for our own GL calls (textures, the colormap shader, screenshots). libGL
// exports every core entry point (glvnd dispatches them to Mesa), so GL_GLEXT_PROTOTYPES (set by
// app/gui/CMakeLists.txt) and glext.h's prototypes are all the loading we need. Dear ImGui's
// OpenGL 3 backend keeps its own loader inside libimgui.a.
#pragma once

#include <GL/gl.h>
#include <GL/glext.h>
