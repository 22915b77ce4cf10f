// The stderr summary of an on-CPU recording, and the parts every recording's summary shares:
// the top functions by self weight and the files written.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "profile/profile.h"
#include "record/sample_counters.h"
#include "record/unwind_counters.h"

namespace kiln::record {

struct RecordSummary {
  std::string what = "samples";  // what counters.samples counts
  double seconds = 0;
  size_t cpus = 0;
  unsigned hz = 0;  // 0: not a sampler (no "at N Hz")
  SampleCounters counters;
  const UnwindCounters* unwinding = nullptr;  // --unwind dwarf
  std::vector<std::string> written;
};
// The stderr summary: duration, CPUs, samples, lost samples with reasons, top 10 self functions.
void print_summary(std::FILE* out, const RecordSummary& summary, const profile::Profile& profile);
// The summary's ten functions with the most self weight (leaf frames), with their shares.
void print_top_functions(std::FILE* out, const profile::Profile& profile);
// "kiln: wrote PATH" for each file written (not for "-", stdout).
void print_written(std::FILE* out, const std::vector<std::string>& written);

}  // namespace kiln::record
