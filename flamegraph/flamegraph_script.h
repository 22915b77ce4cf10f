// The SVG's script: flamegraph.js, embedded at build time by embed_script.cmake.
#pragma once

#include <string_view>

namespace kiln::flamegraph {
extern const std::string_view kFlamegraphScript;
}
