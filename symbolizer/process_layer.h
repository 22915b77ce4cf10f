// What the symbolizer's parts take from the process layer, and the kinds of problem the
// symbolizer notes in the process layer's ProblemLog after the process layer's own.
#pragma once

#include "process/process.h"

namespace kiln::symbolizer {

using process::ElfFile;
using process::kCorruptFile;
using process::kMissingFile;
using process::ProblemLog;

enum SymbolizerProblem : unsigned {
  kUnmappedAddress = process::kProcessProblemKinds,
  kKernelRestricted,
  kDebuginfodFailed,
};

}  // namespace kiln::symbolizer
