// Fuzzes what `kiln render` and `kiln diff` do with a file they are given: TextInput's block
// reads, the folded / `perf script` detection, both readers, and the frame tree, layout and SVG
// writer over the names that came in.
#include <cstdint>
#include <ostream>

#include "flamegraph/flamegraph.h"
#include "formats/formats.h"
#include "input_file.h"
#include "profile/profile.h"

using namespace kiln::flamegraph;
using namespace kiln::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kiln::fuzz::InputFile file;
  file.assign(data, size);
  std::ostream discard(nullptr);
  Profile profile;
  StackFileReader reader(profile, &discard, PerfScriptOptions{});
  if (!reader.read_file(file.path()) || profile.empty()) return 0;
  SvgOptions svg;
  write_svg(FrameTree::build(profile, {.min_fraction = min_drawn_fraction(svg)}), svg, discard);
  compute_layout(FrameTree::build(profile, {.reverse = true, .order = SiblingOrder::kWeight}), {});
  compute_layout(FrameTree::build(profile, {.flame_chart = true}), {});
  FoldedWriter{}.write(profile, discard);
  return 0;
}
