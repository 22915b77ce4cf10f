// The outputs of a recording, chosen by file extension.
#include <fstream>
#include <iostream>

#include "profiler.h"

namespace kiln::profiler {

namespace {

enum class Format { kSvg, kFolded };

std::optional<Format> format_of(const std::string& path) {
  const auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (path == "-" || ends_with(".folded") || ends_with(".txt")) return Format::kFolded;
  if (ends_with(".svg")) return Format::kSvg;
  return std::nullopt;
}

}  // namespace

void check_output_paths(const std::vector<std::string>& paths) {
  for (const std::string& path : paths)
    if (!format_of(path))
      throw UsageError("-o " + path +
                       ": unknown output format; use .svg (flame graph), .folded or .txt (folded "
                       "stacks) or - (folded stacks to standard output)");
}

std::vector<std::string> write_outputs(const flamegraph::Profile& profile,
                                       const flamegraph::SvgOptions& svg,
                                       std::vector<std::string> paths) {
  if (paths.empty()) paths = {"kiln.svg", "kiln.folded"};
  check_output_paths(paths);
  for (const std::string& path : paths) {
    if (path == "-") {
      flamegraph::FoldedWriter{}.write(profile, std::cout);
      std::cout.flush();
      continue;
    }
    std::ofstream out(path, std::ios::binary);
    if (!out) throw UsageError(path + ": cannot open for writing");
    if (*format_of(path) == Format::kSvg) {
      const flamegraph::FrameTree tree = flamegraph::FrameTree::build(profile);
      flamegraph::write_svg(tree, svg, out);
    } else {
      flamegraph::FoldedWriter{}.write(profile, out);
    }
    out.close();
    if (!out) throw UsageError(path + ": write failed (disk full?)");
  }
  return paths;
}

}  // namespace kiln::profiler
