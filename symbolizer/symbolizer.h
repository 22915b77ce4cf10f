// kiln's symbolizer: turns kernel and user-space addresses into frames (function, module,
// file:line, inline chain) through /proc/kallsyms, ELF symbol tables, DWARF, separate debug
// files and JIT perf maps. Not thread-safe: use one Symbolizer per thread. It uses no other
// kiln module; formats/, unwind/ and record/ use it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct Elf;

namespace kiln::symbolizer {

enum class FrameKind { kUser, kKernel, kJit, kInlined };

struct Frame {
  // Demangled, without parameter list unless Options::full_signatures. Without a symbol:
  // "[module]+0xSTART" when the binary's call frame information (.eh_frame) says where the
  // containing function starts (START: its link-time address, e.g. "[python3.11]+0x1b3f20"),
  // else "[module]" (e.g. "[libfoo.so]", "[kernel]", "[anon]", "[unknown]").
  std::string function;
  // The linkage name as the binary has it ("_ZN4kiln5parseEv"), when it differs from `function`.
  std::string mangled;
  // "libc.so.6", "[kernel]", "ext4", "[vdso]", "[anon]", "[unknown]", "perf-PID.map" (JIT).
  std::string module;
  // Source location (Options::want_lines); empty/0 when unknown.
  std::string file;
  unsigned line = 0;
  FrameKind kind = FrameKind::kUser;
};

// A Frame whose strings the Symbolizer owns, for callers that print or copy them at once:
// valid until the Symbolizer's next call. `mangled` is empty when it equals `function`.
struct FrameView {
  std::string_view function{};
  std::string_view mangled{};
  std::string_view module{};
  std::string_view file{};
  unsigned line = 0;
  FrameKind kind = FrameKind::kUser;
};

// How symbolize_file interprets an address.
enum class AddressKind { kFileOffset, kVirtualAddress };

// Debug files asked of the debuginfod servers in DEBUGINFOD_URLS, one per binary (build-id)
// without DWARF and without a local debug file.
struct DebuginfodStats {
  uint64_t fetched = 0;  // downloaded from a server
  uint64_t cached = 0;   // found in libdebuginfod's cache (DEBUGINFOD_CACHE_PATH)
  uint64_t missing = 0;  // no server has it (or the cache remembers that none had)
  uint64_t failed = 0;   // not obtained: the servers could not be reached or were no longer asked
  double seconds = 0;    // time spent waiting for the cache and the servers
  uint64_t asked() const { return fetched + cached + missing + failed; }
};

// Counted problems; each kind is also reported once as a message in Stats::messages.
struct Stats {
  uint64_t addresses = 0;             // addresses asked for
  uint64_t cache_hits = 0;            // answered from the per-address cache
  uint64_t unknown = 0;               // answered with an unnamed "[...]" frame (no symbol)
  uint64_t missing_files = 0;         // binary or perf map that could not be opened
  uint64_t corrupt_files = 0;         // ELF or DWARF that could not be parsed
  uint64_t exited_processes = 0;      // pid gone before it could be snapshotted
  uint64_t unmapped_addresses = 0;    // address in no mapping of its process
  bool kptr_restricted = false;       // /proc/kallsyms shows only zero addresses
  uint64_t binaries_parsed = 0;       // distinct binaries opened, each parsed at most once
  DebuginfodStats debuginfod;         // debug files from DEBUGINFOD_URLS
  std::vector<std::string> messages;  // one line per kind of problem, with the fix
};

// An executable mapping of a process and the binary behind it, as an unwinder needs them.
struct MappedBinary {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t bias = 0;   // run-time address minus link-time address in the binary
  std::string name;    // "libc.so.6", "[vdso]", "[anon]"
  Elf* elf = nullptr;  // owned by the Symbolizer; nullptr: no binary (anonymous, JIT, unreadable)
  int fd = -1;         // the binary's file; -1 for an image read from memory (the vDSO)
  // For profile formats that keep mappings (pprof): the file offset of `start`, the path as
  // the process's /proc/PID/maps gives it ("" for anonymous memory), the binary's build-id
  // (lowercase hex; empty when it has none or could not be read).
  uint64_t offset = 0;
  std::string path;
  std::string build_id;
};

// An executable mapping as the kernel recorded it when a process made it (PERF_RECORD_MMAP2), so
// that a process that exits at once is still symbolized.
struct RecordedMapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t offset = 0;   // file offset of `start`
  std::string path;      // as the process saw it; "[vdso]", "//anon" for anonymous memory
  std::string build_id;  // lowercase hex; empty when the kernel gave the inode instead
  uint64_t inode = 0;    // 0 when the build-id was given
};

struct SymbolizerOptions {
  bool demangle = true;
  bool full_signatures = false;  // keep parameter lists, return types and qualifiers
  bool want_lines = false;       // fill Frame::file and Frame::line
  bool inlines = true;           // report inlined frames (from DWARF)
  // Directories searched for separate debug files, in order.
  std::vector<std::string> debug_directories = {"/usr/lib/debug"};
  // Ask the debuginfod servers in DEBUGINFOD_URLS (when set) for the debug file of a binary
  // that has no DWARF and no local debug file, once per build-id, at its first address.
  bool debuginfod = false;
  // While a debug file downloads, show what and how much on stderr (for a terminal).
  bool debuginfod_progress = false;
};

class Symbolizer {
 public:
  using Options = SymbolizerOptions;

  explicit Symbolizer(Options options = {});
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Snapshots a live process: its mappings, open handles to its binaries (through
  // /proc/PID/map_files, falling back to /proc/PID/root/PATH) and its JIT perf map, so it is
  // still symbolized after it exits. Calling it again refreshes the snapshot; a process gone
  // or a zombie (whose maps are empty) keeps the earlier one. Returns false when the process
  // is gone and no earlier snapshot exists.
  bool snapshot_process(pid_t tgid);
  // Forgets a process snapshot (parsed binaries stay cached for other processes).
  void forget_process(pid_t tgid);

  // What the kernel recorded of processes while recording, in the order it happened. A process
  // that execs, or forks from a process with a snapshot, is symbolized from these records
  // alone, without /proc (which it may have left already). Mappings of processes without a
  // snapshot (started before recording, never asked for) are ignored: /proc tells them.
  void record_exec(pid_t tgid);
  void record_fork(pid_t child, pid_t parent);
  void record_mapping(pid_t tgid, const RecordedMapping& mapping);
  void record_exit(pid_t tgid);
  // The executable mappings of a process's snapshot (taken now if it has none, and again
  // while the process lives when `address` is in none of them). Returns a
  // number that changes whenever they do, 0 when the process is unknown; fills *mappings
  // only when that number differs from `known`.
  uint64_t process_binaries(pid_t tgid, uint64_t address, uint64_t known,
                            std::vector<MappedBinary>* mappings);

  // Frames for an address, innermost first: inlined frames, then the containing function.
  // `address` is a virtual address in the process (callers pass return addresses minus 1 for
  // non-leaf frames). Takes a snapshot first if the process has none. Never empty.
  std::vector<Frame> symbolize_user(pid_t tgid, uint64_t address);
  // Kernel address through /proc/kallsyms (modules included). Never empty.
  std::vector<Frame> symbolize_kernel(uint64_t address);
  // Address in an ELF file, as a file offset or a link-time virtual address. Each path is
  // opened once per Symbolizer. Never empty.
  std::vector<Frame> symbolize_file(const std::string& path, uint64_t address, AddressKind kind);

  // The same answers without copying a string (a profile's or a script's millions of
  // addresses): views into the Symbolizer, valid until its next call.
  const std::vector<FrameView>& view_user(pid_t tgid, uint64_t address);
  const std::vector<FrameView>& view_kernel(uint64_t address);
  const std::vector<FrameView>& view_file(const std::string& path, uint64_t address,
                                          AddressKind kind);

  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "debuginfod: 2 debug files fetched, 1 from the cache, 1 missing (0.4 s)", with the failed
// ones when there are; empty when no debug file was asked for.
std::string describe_debuginfod(const DebuginfodStats& stats);

// "name_[k]", "name_[j]", "name_[i]" or "name": the flamegraph.pl annotation of a frame
// used in folded stacks.
std::string annotated_name(const Frame& frame);

// Finishes a Rust legacy name that was demangled only as far as the Itanium scheme goes (as
// perf prints them): "_$LT$a..B$u20$as$u20$C$GT$::f::h0123456789abcdef" becomes "<a::B as C>::f".
// Names without the trailing hash are returned unchanged.
std::string finish_rust_legacy_name(std::string_view name);

}  // namespace kiln::symbolizer
