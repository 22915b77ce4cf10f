#include "symbolizer/debug_file_locator.h"

#include <unistd.h>
#include <zlib.h>

namespace kiln::symbolizer {

bool file_crc32(int fd, uint32_t* crc) {
  uLong value = crc32(0L, Z_NULL, 0);
  unsigned char buf[1 << 16];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof buf, off);
    if (n < 0) return false;
    if (n == 0) break;
    value = crc32(value, buf, static_cast<uInt>(n));
    off += n;
  }
  *crc = static_cast<uint32_t>(value);
  return true;
}

std::unique_ptr<ElfFile> DebugFileLocator::find(const ElfFile& binary,
                                                const std::string& binary_path,
                                                const std::string& root) const {
  // A debug file must carry DWARF or at least a symbol table with the same build-id.
  auto usable = [&](std::unique_ptr<ElfFile>& file) {
    return file && (binary.build_id().empty() || file->build_id().empty() ||
                    file->build_id() == binary.build_id());
  };
  const std::string& id = binary.build_id();
  if (id.size() > 2) {
    for (const std::string& dir : debug_directories_) {
      std::string path = dir + "/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
      auto file = ElfFile::open(path, nullptr);
      if (usable(file)) return file;
    }
  }
  if (!binary.debuglink()) return nullptr;
  const auto& [name, crc] = *binary.debuglink();
  std::string folder;
  if (size_t slash = binary_path.rfind('/'); slash != std::string::npos) {
    folder = binary_path.substr(0, slash);
  }
  std::vector<std::string> candidates;
  if (!folder.empty()) {
    candidates.push_back(root + folder + "/" + name);
    candidates.push_back(root + folder + "/.debug/" + name);
  }
  for (const std::string& dir : debug_directories_) candidates.push_back(dir + folder + "/" + name);
  for (const std::string& path : candidates) {
    if (path == root + binary_path) continue;  // the binary's own name
    auto file = ElfFile::open(path, nullptr);
    uint32_t actual = 0;
    if (usable(file) && file_crc32(file->fd(), &actual) && actual == crc) return file;
  }
  return nullptr;
}

}  // namespace kiln::symbolizer
