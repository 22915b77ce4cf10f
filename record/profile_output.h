// The files a recording is written to, chosen by extension: SVG flame graph, folded stacks,
// pprof.
#pragma once

#include <string>
#include <vector>

#include "flamegraph/flamegraph.h"
#include "profile/profile.h"
#include "record/recording_pprof.h"

namespace kiln::record {

// Throws UsageError for an output path of no known extension (checked before recording).
void check_output_paths(const std::vector<std::string>& paths);
// Whether any of the paths is a pprof output (its symbolization needs file:line).
bool wants_pprof(const std::vector<std::string>& paths);
// Writes the profile to each path by extension: .svg flame graph (drawn with `svg`), .folded /
// .txt folded stacks, "-" folded to stdout, .pb.gz/.pb/.pprof pprof (from `pprof` when given,
// else from the folded stacks). An empty list means kiln.svg plus kiln.folded.
// Returns the paths written. Throws UsageError for an unknown extension or a file that cannot
// be written.
std::vector<std::string> write_outputs(const profile::Profile& profile,
                                       const flamegraph::SvgOptions& svg,
                                       std::vector<std::string> paths,
                                       const PprofSource* pprof = nullptr);

}  // namespace kiln::record
