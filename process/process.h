// kiln's process layer: what a process is made of, kept so that it is still known after the
// process exits. Its executable mappings (from /proc/PID/maps, or from the kernel's records of
// what it mapped while kiln recorded), the ELF binaries behind them, opened once for all the
// processes that map them (through /proc/PID/map_files, falling back to /proc/PID/root/PATH),
// and its JIT perf map. It uses no other kiln module (libelf only): symbolizer/ names
// addresses over it, unwind/ unwinds stacks over it, record/ keeps it current while recording.
// Not thread-safe.
#pragma once

#include <gelf.h>
#include <libelf.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace kiln::process {

// Build-id bytes as lowercase hex, the form kiln keeps and prints them in.
std::string build_id_hex(const uint8_t* bytes, size_t size);
// The running kernel's build-id, from the ELF notes it exports (/sys/kernel/notes); empty when
// unreadable.
std::string kernel_build_id();

// An ELF file opened read-only through libelf (RAII over the fd, the mapping and the Elf
// handle), with the facts every reader needs: build-id, .gnu_debuglink, PT_LOAD segments.
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
  struct LoadSegment {
    uint64_t offset = 0;  // p_offset
    uint64_t vaddr = 0;   // p_vaddr
    uint64_t filesz = 0;
  };
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

// Counts problems by kind and keeps the first message of each kind (with its fix), so a
// profile with thousands of unreadable files prints one line per cause. The process layer
// notes the kinds of Problem; a module over it numbers its own from kProcessProblemKinds on.
enum Problem : unsigned { kMissingFile, kCorruptFile, kExitedProcess, kProcessProblemKinds };
class ProblemLog {
 public:
  void note(unsigned kind, const std::string& message);
  uint64_t count(unsigned kind) const { return kind < counts_.size() ? counts_[kind] : 0; }
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::vector<uint64_t> counts_;
  std::set<unsigned> reported_;
  std::vector<std::string> messages_;
};

// A binary some process maps, opened once for all the processes that map it.
struct Binary {
  std::unique_ptr<ElfFile> file;
  std::string path;  // as the process that mapped it first sees it ("[vdso]" for the vDSO)
  std::string root;  // "" or "/proc/PID/root": reaches that process's files while it lives
  // Never given to another binary of the cache, unlike its address once it is forgotten: a key
  // for what is cached of it elsewhere. From 1.
  uint64_t id = 0;
};

// The opened binaries, keyed by build-id, else by device, inode, size and mtime, so that a
// hundred processes of one binary cost one open.
class BinaryCache {
 public:
  explicit BinaryCache(ProblemLog* log) : log_(log) {}
  // Called once for each binary opened, at once (while its process and root still exist).
  void on_open(std::function<void(const Binary&)> hook) { on_open_ = std::move(hook); }
  // Called with all the binaries forget_unmapped forgets at once, just before they are closed.
  void on_forget(std::function<void(const std::vector<const Binary*>&)> hook) {
    on_forget_ = std::move(hook);
  }
  // The binary of an open file (`fd` is taken over); `path` is the file's path as its process
  // sees it and `root` the prefix that reaches its file system. nullptr if it is not ELF.
  std::shared_ptr<const Binary> from_fd(int fd, const std::string& path, const std::string& root);
  // The binary at `path` in kiln's own file system, opened once per path; nullptr (and a
  // counted problem, once) if none.
  std::shared_ptr<const Binary> from_path(const std::string& path);
  // The binary with this build-id (lowercase hex) if one was opened already.
  std::shared_ptr<const Binary> with_build_id(const std::string& build_id) const;
  // The kernel's vDSO image, read from kiln's own address space (the same for every process).
  std::shared_ptr<const Binary> vdso();
  size_t opened() const { return opened_; }  // binaries opened (again after forgotten)
  // Calls `visit` once for each binary opened and not forgotten.
  void for_each(const std::function<void(const Binary&)>& visit) const;
  // Forgets (closes) the binaries that were in no call's `mapped` for `age`, except those
  // opened by path and the vDSO: a long recording of a machine that builds and runs new
  // binaries all the time keeps only what its processes map. A binary met again later is opened
  // again. Returns how many it forgot.
  size_t forget_unmapped(const std::set<const Binary*>& mapped,
                         std::chrono::steady_clock::duration age);

 private:
  std::shared_ptr<const Binary> add(std::unique_ptr<ElfFile> file, const std::string& path,
                                    const std::string& root);
  ProblemLog* log_;
  std::function<void(const Binary&)> on_open_;
  std::function<void(const std::vector<const Binary*>&)> on_forget_;
  std::map<const Binary*, std::chrono::steady_clock::time_point> unmapped_since_;
  std::map<std::string, std::shared_ptr<const Binary>> by_identity_;  // dev:ino:size:mtime
  std::map<std::string, std::shared_ptr<const Binary>> by_build_id_;
  std::unordered_map<std::string, std::shared_ptr<const Binary>> by_path_;
  std::shared_ptr<const Binary> vdso_;
  bool vdso_tried_ = false;
  size_t opened_ = 0;  // also the last id given
};

// An executable mapping as the kernel recorded it when a process made it (PERF_RECORD_MMAP2), so
// that a process that exits at once is still known.
struct RecordedMapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t offset = 0;   // file offset of `start`
  std::string path;      // as the process saw it; "[vdso]", "//anon" for anonymous memory
  std::string build_id;  // lowercase hex; empty when the kernel gave the inode instead
  uint64_t inode = 0;    // 0 when the build-id was given
};

// One executable mapping of a process and the binary behind it.
struct SnapshotMapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t offset = 0;  // file offset of `start`
  uint64_t inode = 0;
  std::string path;                      // as /proc/PID/maps gives it; "" for anonymous memory
  std::string name;                      // "libc.so.6", "[vdso]", "[anon]", "[heap]"
  std::shared_ptr<const Binary> binary;  // nullptr: anonymous, or the binary was unreadable
  // Recorded by the kernel: the binary's build-id (lowercase hex) to check the file against
  // (empty: the inode is checked), and whether the binary is still to be opened (it is opened
  // once the process is asked for, not for every process on the machine).
  std::string build_id;
  bool unopened = false;
};

// An executable mapping as an unwinder needs it: the libelf handle of its binary and its bias.
struct MappedBinary {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t bias = 0;   // run-time address minus link-time address in the binary
  std::string name;    // "libc.so.6", "[vdso]", "[anon]"
  Elf* elf = nullptr;  // owned by the ProcessTable; nullptr: no binary (anonymous, JIT, unreadable)
  int fd = -1;         // the binary's file; -1 for an image read from memory (the vDSO)
  // For profile formats that keep mappings (pprof): the file offset of `start`, the path as
  // the process's /proc/PID/maps gives it ("" for anonymous memory), the binary's build-id
  // (lowercase hex; empty when it has none or could not be read).
  uint64_t offset = 0;
  std::string path;
  std::string build_id;
};

class ProcessSnapshot;

// Every process kiln was asked about or told of, by pid, and the binaries they map.
class ProcessTable {
 public:
  ProcessTable();
  ~ProcessTable();
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  // Snapshots a live process: its mappings, its binaries and its JIT perf map, so it is still
  // known after it exits. Calling it again refreshes the snapshot; a process gone or a zombie
  // (whose maps are empty) keeps the earlier one. False when the process is gone and no
  // earlier snapshot exists.
  bool snapshot(pid_t tgid);
  // Forgets a process whose exit was recorded (its binaries stay open for other processes); a
  // process that has the pid since is kept. True if it forgot it.
  bool forget(pid_t tgid);
  // The processes whose exit the kernel recorded (record_exit) at least `age` ago: their
  // samples have all been read, and once symbolized they can be forgotten.
  std::vector<pid_t> exited(std::chrono::steady_clock::duration age) const;
  size_t size() const { return processes_.size(); }  // processes known
  // The binaries that no process kept here maps (their exited processes forgotten): forgotten
  // when none has mapped them for `forget_after` (BinaryCache::forget_unmapped), else the pages
  // kiln read of them dropped from its resident memory (they stay in the page cache and are
  // read again if touched). Returns how many it forgot.
  size_t release_unmapped_binaries(std::chrono::steady_clock::duration forget_after);

  // What the kernel recorded of processes while recording, in the order it happened. A process
  // that execs, or forks from a process with a snapshot, is known from these records alone,
  // without /proc (which it may have left already). Mappings of processes without a snapshot
  // (started before recording, never asked for) are ignored: /proc tells them.
  void record_exec(pid_t tgid);
  void record_fork(pid_t child, pid_t parent);
  void record_mapping(pid_t tgid, const RecordedMapping& mapping);
  void record_exit(pid_t tgid);

  // The mapping of a process containing `address` (of the program it ran then, for an address
  // from before an exec); its snapshot is taken now if it has none and again, while it lives,
  // if no mapping contains the address (a library mapped since). nullptr if none does;
  // *known is false when the process is unknown (gone before any snapshot).
  const SnapshotMapping* find(pid_t tgid, uint64_t address, bool* known);
  // The name of the JIT code at `address` from the process's perf map; nullptr if none.
  const std::string* jit_symbol(pid_t tgid, uint64_t address);
  // The executable mappings of a process (taken now if it has none, and again at once while
  // the process lives when `address` is in none of them). Returns a number that changes
  // whenever they do, 0 when the process is unknown; fills *mappings only when that number
  // differs from `known`.
  uint64_t binaries(pid_t tgid, uint64_t address, uint64_t known,
                    std::vector<MappedBinary>* mappings);

  BinaryCache& binary_cache() { return binaries_; }
  ProblemLog& problems() { return log_; }
  const ProblemLog& problems() const { return log_; }

 private:
  ProcessSnapshot* process(pid_t tgid);
  ProblemLog log_;
  BinaryCache binaries_;
  std::map<pid_t, std::unique_ptr<ProcessSnapshot>> processes_;
};

}  // namespace kiln::process
