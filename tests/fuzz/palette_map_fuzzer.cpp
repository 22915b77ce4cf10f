// Fuzzes the palette file reader (`kiln render --palette-file`, flamegraph.pl's palette.map).
#include <cstdint>
#include <ostream>

#include "flamegraph/flamegraph.h"
#include "input_file.h"

using namespace kiln::flamegraph;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kiln::fuzz::InputFile file;
  file.assign(data, size);
  std::ostream discard(nullptr);
  PaletteMap map;
  map.load(file.path(), &discard);
  map.color("main", Palette::kHot);
  return 0;
}
