// Fuzzes the JIT perf map reader (/tmp/perf-PID.map) on a file that grows while it is read: the
// first half of the input, lookups, then the rest appended (a line may be cut anywhere), lookups.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "input_file.h"
#include "process/perf_map.h"

using kiln::process::PerfMap;

namespace {

// Addresses near the input's first number (a start address when the input is a perf map), and
// the extremes.
void look_up(PerfMap& map, const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const uint64_t first = strtoull(text.c_str(), nullptr, 16);
  for (uint64_t address : {first, first + 1, first + 0x40, first - 1, uint64_t{0}, ~uint64_t{0}}) {
    if (const PerfMap::Entry* entry = map.find(address)) {
      if (address - entry->start >= entry->size) abort();  // an entry that does not contain it
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kiln::fuzz::InputFile file;
  const size_t half = size / 2;
  file.assign(data, half);
  PerfMap map;
  if (!map.open(file.path())) abort();
  look_up(map, data, size);
  file.append(data + half, size - half);
  look_up(map, data, size);
  return 0;
}
