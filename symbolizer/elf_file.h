// An ELF file opened read-only through libelf (RAII over the fd, the mapping and the Elf
// handle), with the facts the symbolizer needs: build-id, .gnu_debuglink, PT_LOAD segments.
#pragma once

#include <gelf.h>
#include <libelf.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::symbolizer {

struct LoadSegment {
  uint64_t offset = 0;  // p_offset
  uint64_t vaddr = 0;   // p_vaddr
  uint64_t filesz = 0;
};

class ElfFile {
 public:
  // Opens `path` (nullptr when it cannot be opened or is not a readable ELF file; `error`
  // then says why).
  static std::unique_ptr<ElfFile> open(const std::string& path, std::string* error);
  // Takes ownership of `fd`.
  static std::unique_ptr<ElfFile> from_fd(int fd, std::string* error);
  // An ELF image in memory (the vDSO); the bytes are copied.
  static std::unique_ptr<ElfFile> from_memory(const void* data, size_t size, std::string* error);
  ~ElfFile();
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  Elf* elf() const { return elf_; }
  int fd() const { return fd_; }
  const std::string& build_id() const { return build_id_; }  // lowercase hex, or empty
  // .gnu_debuglink: file name and CRC32 of the debug file.
  const std::optional<std::pair<std::string, uint32_t>>& debuglink() const { return debuglink_; }
  // True when the file carries DWARF (.debug_info with contents).
  bool has_dwarf() const { return has_dwarf_; }
  // File offset to link-time virtual address through the PT_LOAD segment holding it.
  std::optional<uint64_t> offset_to_vaddr(uint64_t offset) const;
  // The section named `name` (nullptr when absent); `header` receives its header.
  Elf_Scn* section(const char* name, GElf_Shdr* header) const;
  // Section contents, or an empty view when absent, NOBITS or out of the file's bounds.
  std::pair<const uint8_t*, size_t> section_bytes(Elf_Scn* scn) const;

 private:
  ElfFile() = default;
  bool load(std::string* error);

  int fd_ = -1;
  std::vector<uint8_t> memory_;  // backing store for from_memory
  Elf* elf_ = nullptr;
  std::string build_id_;
  std::vector<LoadSegment> loads_;
  std::optional<std::pair<std::string, uint32_t>> debuglink_;
  bool has_dwarf_ = false;
};

}  // namespace kiln::symbolizer
