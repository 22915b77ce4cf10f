// Fuzzes the /proc/PID/maps parser.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "process/process_maps.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const kiln::process::Mapping& m : kiln::process::parse_maps(text)) {
    if (m.path.size() > text.size()) abort();  // a path longer than the text it came from
  }
  return 0;
}
