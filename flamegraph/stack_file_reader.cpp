// StackFileReader: folded stacks or `perf script` text, told apart by their first lines.
#include <iostream>

#include "flamegraph.h"
#include "text_input.h"

namespace kiln::flamegraph {

StackFileReader::StackFileReader(Profile& into, std::ostream* diagnostics, PerfScriptOptions perf)
    : folded_(into, diagnostics), perf_(into, std::move(perf), diagnostics) {}

bool StackFileReader::read_file(const std::string& path) {
  TextInput input(path);
  bool perf_script = input.ok() && looks_like_perf_script(input.head());
  bool ok = perf_script ? perf_.read_input(input) : folded_.read_input(input);
  if (!ok) error_ = perf_script ? perf_.error() : folded_.error();
  return ok;
}

}  // namespace kiln::flamegraph
