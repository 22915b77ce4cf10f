// The outputs of a recording, chosen by file extension.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "formats/formats.h"
#include "record/errors.h"
#include "record/profile_output.h"

namespace kiln::record {

namespace {

enum class Format { kSvg, kFolded, kPprof };

std::optional<Format> format_of(const std::string& path) {
  const auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (path == "-" || ends_with(".folded") || ends_with(".txt")) return Format::kFolded;
  if (ends_with(".svg")) return Format::kSvg;
  if (formats::is_pprof_path(path)) return Format::kPprof;
  return std::nullopt;
}

}  // namespace

void check_output_paths(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    if (!format_of(path))
      throw UsageError("-o " + path +
                       ": unknown output format; use .svg (flame graph), .folded or .txt (folded "
                       "stacks), .pb.gz (pprof) or - (folded stacks to standard output)");
    // Said before a recording, not after it: its samples would be lost.
    const std::filesystem::path directory = std::filesystem::path(path).parent_path();
    if (path != "-" && access(directory.empty() ? "." : directory.c_str(), W_OK) != 0)
      throw UsageError("-o " + path + ": cannot write into " +
                       (directory.empty() ? std::string(".") : directory.string()) + ": " +
                       std::strerror(errno));
  }
}

bool wants_pprof(const std::vector<std::string>& paths) {
  for (const std::string& path : paths)
    if (format_of(path) == Format::kPprof) return true;
  return false;
}

std::vector<std::string> write_outputs(const profile::Profile& profile,
                                       const flamegraph::SvgOptions& svg,
                                       std::vector<std::string> paths, const PprofSource* pprof) {
  if (paths.empty()) paths = {"kiln.svg", "kiln.folded"};
  check_output_paths(paths);
  for (const std::string& path : paths) {
    if (path == "-") {
      formats::FoldedWriter{}.write(profile, std::cout);
      std::cout.flush();
      continue;
    }
    std::ofstream out(path, std::ios::binary);
    if (!out) throw UsageError(path + ": cannot write: " + std::strerror(errno));
    if (*format_of(path) == Format::kSvg) {
      const flamegraph::FrameTree tree = flamegraph::FrameTree::build(profile);
      flamegraph::write_svg(tree, svg, out);
    } else if (*format_of(path) == Format::kPprof) {
      if (pprof) {
        pprof->samples.write(pprof->facts, out);
      } else {
        formats::write_pprof(profile, out, nullptr);
      }
    } else {
      formats::FoldedWriter{}.write(profile, out);
    }
    out.close();
    if (!out) throw UsageError(path + ": write failed: " + std::strerror(errno));
  }
  return paths;
}

}  // namespace kiln::record
