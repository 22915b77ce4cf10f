// Fuzzes the `perf script` reader (`kiln collapse perf`) under every combination of its options:
// the first byte of the input chooses them, the rest is the text.
#include <cstdint>
#include <ostream>
#include <string_view>

#include "formats/formats.h"
#include "profile/profile.h"

using namespace kiln::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  PerfScriptOptions options;
  options.root = static_cast<PerfScriptOptions::Root>(flags % 3);
  options.annotate_kernel = flags & 0x04;
  options.annotate_jit = flags & 0x08;
  options.annotate_inline = flags & 0x10;
  options.include_addrs = flags & 0x20;
  options.sample_counts = flags & 0x40;
  options.keep_sample_order = flags & 0x80;
  if (flags % 7 == 1) options.event_filter = "cpu-clock";
  std::ostream discard(nullptr);
  Profile profile;
  PerfScriptReader reader(profile, options, &discard);
  reader.read_text(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  FoldedWriter{}.write(profile, discard);
  return 0;
}
