// The frame names of one `perf script` stack line: stackcollapse-perf.pl's rules with its bugs
// fixed (README, "perf script input"). Internal to flamegraph/ (PerfScriptReader uses it);
// exposed here for the tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formats/formats.h"

namespace kiln::formats {

// What perf's module column says about a frame.
enum class PerfModuleKind {
  kUser,     // a binary or library
  kKernel,   // [kernel.kallsyms], a kernel module ([ext4], *.ko), vmlinux(-VERSION)
  kJit,      // a perf map (/tmp/perf-PID.map) or a jitdump library (jitted-PID-N.so)
  kInlined,  // perf's "(inlined)" frames (perf script --inline, the default with DWARF)
  kUnknown,  // "[unknown]"
};
PerfModuleKind classify_perf_module(std::string_view module);

// Where the parameter list of a function name starts (the first '(' that is not part of the
// name: "(anonymous namespace)", Go receivers "pkg.(*T).m", "operator()" and parentheses
// inside template arguments are), or name.size() if there is none.
size_t parameter_list_start(std::string_view name);

// One stack line, split: ADDRESS SYMBOL[+0xOFFSET] (MODULE).
struct PerfStackLine {
  std::string_view address;
  std::string_view symbol;  // with its +0x offset, if perf printed one
  std::string_view module;
};

// A frame of a stack line: its name without annotation and its kind (kernel, JIT, inlined as
// the annotation options ask; an annotation the symbol itself ends with is read into the kind).
struct PerfFrame {
  std::string name;
  FrameKind kind = FrameKind::kUser;
};

// Appends the frames of a stack line to `frames`, outermost first (perf maps write inlined Java
// frames as "outer->inner"). Appends nothing for a line naming a process ("(comm)" symbols).
// `java` is true for samples of a process whose comm starts with "java".
void perf_frames(const PerfStackLine& line, const PerfScriptOptions& options, bool java,
                 std::vector<PerfFrame>& frames);

}  // namespace kiln::formats
