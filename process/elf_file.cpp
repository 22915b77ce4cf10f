#include "process/process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace kiln::process {
namespace {

constexpr uint32_t kNoteGnuBuildId = 3;

size_t round_up(size_t n, size_t align) {
  return (n + align - 1) & ~(align - 1);
}

// The GNU build-id in a block of ELF notes in host byte order, or "". Each note: namesz,
// descsz and type (4 bytes each), then the name and the desc, each padded to `align` (4, or 8
// in 8-byte aligned note sections).
std::string build_id_in_notes(const uint8_t* notes, size_t size, size_t align) {
  for (size_t at = 0; notes && at + 12 <= size;) {
    uint32_t namesz, descsz, type;
    memcpy(&namesz, notes + at, 4);
    memcpy(&descsz, notes + at + 4, 4);
    memcpy(&type, notes + at + 8, 4);
    const size_t name_at = at + 12;
    if (namesz > size - name_at) break;
    const size_t desc_at = round_up(name_at + namesz, align);
    if (desc_at > size || descsz > size - desc_at) break;
    if (type == kNoteGnuBuildId && namesz == 4 && memcmp(notes + name_at, "GNU", 4) == 0)
      return build_id_hex(notes + desc_at, descsz);
    at = round_up(desc_at + descsz, align);
  }
  return "";
}

// The GNU build-id in a block of notes libelf read (translated to host byte order), or "".
std::string build_id_note(Elf_Data* data) {
  if (!data || !data->d_buf) return "";
  return build_id_in_notes(static_cast<const uint8_t*>(data->d_buf), data->d_size,
                           data->d_type == ELF_T_NHDR8 ? 8 : 4);
}

}  // namespace

std::string build_id_hex(const uint8_t* bytes, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    text += kDigits[bytes[i] >> 4];
    text += kDigits[bytes[i] & 15];
  }
  return text;
}

std::string kernel_build_id() {
  const int fd = ::open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  uint8_t notes[4096];
  const ssize_t size = ::read(fd, notes, sizeof notes);
  ::close(fd);
  return size > 0 ? build_id_in_notes(notes, static_cast<size_t>(size), 4) : "";
}

std::unique_ptr<ElfFile> ElfFile::open(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error) *error = path + ": " + strerror(errno);
    return nullptr;
  }
  return from_fd(fd, error);
}

std::unique_ptr<ElfFile> ElfFile::from_fd(int fd, std::string* error) {
  std::unique_ptr<ElfFile> file(new ElfFile);
  file->fd_ = fd;
  elf_version(EV_CURRENT);
  file->elf_ = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (!file->load(error)) return nullptr;
  return file;
}

std::unique_ptr<ElfFile> ElfFile::from_memory(const void* data, size_t size, std::string* error) {
  std::unique_ptr<ElfFile> file(new ElfFile);
  auto bytes = static_cast<const uint8_t*>(data);
  file->memory_.assign(bytes, bytes + size);
  elf_version(EV_CURRENT);
  file->elf_ = elf_memory(reinterpret_cast<char*>(file->memory_.data()), size);
  if (!file->load(error)) return nullptr;
  return file;
}

ElfFile::~ElfFile() {
  if (elf_) elf_end(elf_);
  if (fd_ >= 0) ::close(fd_);
}

bool ElfFile::load(std::string* error) {
  auto fail = [&](const char* what) {
    if (error) {
      int code = elf_errno();  // 0 for a file libelf read fine but is not ELF (text, empty)
      *error = code ? std::string(what) + ": " + elf_errmsg(code) : std::string(what);
    }
    return false;
  };
  if (!elf_ || elf_kind(elf_) != ELF_K_ELF) return fail("not an ELF file");
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(elf_, &ehdr)) return fail("bad ELF header");
  // A truncated file keeps its header but loses the tables at its end: say so.
  size_t file_size = 0;
  elf_rawfile(elf_, &file_size);
  uint64_t sections_end = ehdr.e_shoff + uint64_t{ehdr.e_shnum} * ehdr.e_shentsize;
  uint64_t segments_end = ehdr.e_phoff + uint64_t{ehdr.e_phnum} * ehdr.e_phentsize;
  if (sections_end > file_size || segments_end > file_size) {
    if (error) *error = "truncated: its headers point past its end";
    return false;
  }

  std::vector<GElf_Phdr> notes;
  size_t phnum = 0;
  if (elf_getphdrnum(elf_, &phnum) != 0) return fail("bad program headers");
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (!gelf_getphdr(elf_, static_cast<int>(i), &phdr)) return fail("bad program header");
    if (phdr.p_type == PT_LOAD) {
      loads_.push_back({phdr.p_offset, phdr.p_vaddr, phdr.p_filesz});
    } else if (phdr.p_type == PT_NOTE) {
      notes.push_back(phdr);
    }
  }

  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf_, &shstrndx) != 0) shstrndx = 0;
  for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn; scn = elf_nextscn(elf_, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr)) continue;
    const char* name = elf_strptr(elf_, shstrndx, shdr.sh_name);
    if (!name) continue;
    if (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0) {
      has_dwarf_ = shdr.sh_type != SHT_NOBITS && shdr.sh_size > 0;
    } else if (strcmp(name, ".gnu_debuglink") == 0) {
      auto [bytes, size] = section_bytes(scn);
      size_t len = bytes ? strnlen(reinterpret_cast<const char*>(bytes), size) : size;
      size_t crc_off = (len + 4) & ~size_t{3};
      if (bytes && len > 0 && crc_off + 4 <= size) {
        uint32_t crc;
        memcpy(&crc, bytes + crc_off, 4);
        debuglink_.emplace(std::string(reinterpret_cast<const char*>(bytes), len), crc);
      }
    } else if (build_id_.empty() && shdr.sh_type == SHT_NOTE) {
      // Sections first: a debug file's program headers point at the original's layout.
      build_id_ = build_id_note(elf_getdata(scn, nullptr));
    }
  }
  for (const GElf_Phdr& note : notes) {
    if (!build_id_.empty()) break;
    build_id_ = build_id_note(elf_getdata_rawchunk(elf_, note.p_offset, note.p_filesz, ELF_T_NHDR));
  }
  return true;
}

std::optional<uint64_t> ElfFile::offset_to_vaddr(uint64_t offset) const {
  for (const LoadSegment& seg : loads_) {
    if (offset >= seg.offset && offset - seg.offset < seg.filesz) {
      return offset - seg.offset + seg.vaddr;
    }
  }
  // The loader maps whole pages: an offset in the page before a segment's start belongs to it.
  for (const LoadSegment& seg : loads_) {
    uint64_t page_start = seg.offset & ~uint64_t{4095};
    if (offset >= page_start && offset < seg.offset + seg.filesz) {
      return offset - seg.offset + seg.vaddr;
    }
  }
  return std::nullopt;
}

Elf_Scn* ElfFile::section(const char* name, GElf_Shdr* header) const {
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf_, &shstrndx) != 0) return nullptr;
  for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn; scn = elf_nextscn(elf_, scn)) {
    if (!gelf_getshdr(scn, header)) continue;
    const char* scn_name = elf_strptr(elf_, shstrndx, header->sh_name);
    if (scn_name && strcmp(scn_name, name) == 0) return scn;
  }
  return nullptr;
}

std::pair<const uint8_t*, size_t> ElfFile::section_bytes(Elf_Scn* scn) const {
  GElf_Shdr shdr;
  if (!scn || !gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS) return {nullptr, 0};
  Elf_Data* data = elf_rawdata(scn, nullptr);
  if (!data || !data->d_buf) return {nullptr, 0};
  return {static_cast<const uint8_t*>(data->d_buf), data->d_size};
}

}  // namespace kiln::process
