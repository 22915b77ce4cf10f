// Fuzzes what `kiln render`, `kiln diff` and `kiln convert` do with a pprof file: the protobuf
// decoder, the profile's checks, gzip, the conversion into folded stacks, and writing those
// back as pprof and reading that again.
#include <cstdint>
#include <ostream>
#include <sstream>
#include <string_view>

#include "formats/formats.h"
#include "profile/profile.h"

using namespace kiln::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::ostream discard(nullptr);
  Profile profile;
  PprofReader reader(profile, {}, &discard);
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!reader.read_bytes(bytes, "input") || profile.empty()) return 0;
  std::ostringstream written;
  std::string warning;
  write_pprof(profile, written, &warning);
  Profile again;
  PprofReader rereader(again, {}, &discard);
  if (!rereader.read_bytes(written.str(), "written")) __builtin_trap();  // kiln's own output
  return 0;
}
