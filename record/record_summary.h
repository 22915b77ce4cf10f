// The stderr summary of a recording, whichever recorders made it: one printer, and what each
// kind of recording (on-CPU, off-CPU, wall-clock) has it say.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "profile/profile.h"
#include "record/sample_counters.h"
#include "record/unwind_counters.h"

namespace kiln::record {

// What a summary says, in the order printed: the headline, notes (losses with their fixes,
// filters, unwinding), the recording's own table, the top functions, the files written.
struct Summary {
  std::string headline;            // "kiln: ..."
  std::vector<std::string> notes;  // one indented line each
  std::vector<std::string> table;  // one indented line each
  bool top_functions = true;       // the ten functions with the most self weight
  std::vector<std::string> written;
};
// printf into a string, for a summary's lines.
std::string summary_line(const char* format, ...) __attribute__((format(printf, 1, 2)));
// Prints `summary`; `profile` (symbolize_into's result) gives the top functions.
void print_summary(std::FILE* out, const Summary& summary, const profile::Profile& profile);

// What an on-CPU recording's summary is made of.
struct OnCpuFacts {
  double seconds = 0;
  size_t cpus = 0;
  unsigned hz = 0;
  SampleCounters counters;
  UnwindCounters unwinding;  // --unwind dwarf
};
// Duration, CPUs, samples, lost samples with reasons, samples without a user stack, unwinding.
Summary on_cpu_summary(const OnCpuFacts& facts);

}  // namespace kiln::record
