// StackFileReader: folded stacks, `perf script` text or pprof, told apart by their first bytes.
#include <iostream>

#include "formats/formats.h"
#include "formats/text_input.h"

namespace kiln::formats {

StackFileReader::StackFileReader(Profile& into, std::ostream* diagnostics, PerfScriptOptions perf,
                                 PprofReadOptions pprof)
    : folded_(into, diagnostics),
      perf_(into, std::move(perf), diagnostics),
      pprof_(into, std::move(pprof), diagnostics) {}

bool StackFileReader::read_file(const std::string& path) {
  TextInput input(path);
  if (input.ok() && looks_like_pprof(input.head())) {
    if (pprof_.read_input(input)) return true;
    error_ = pprof_.error();
    return false;
  }
  bool perf_script = input.ok() && looks_like_perf_script(input.head());
  bool ok = perf_script ? perf_.read_input(input) : folded_.read_input(input);
  if (!ok) error_ = perf_script ? perf_.error() : folded_.error();
  return ok;
}

}  // namespace kiln::formats
