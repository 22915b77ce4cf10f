// kiln's symbolizer: turns kernel and user-space addresses into frames (function, module,
// file:line, inline chain) through /proc/kallsyms, ELF symbol tables, DWARF, separate debug
// files and JIT perf maps. User addresses are found in the process layer (process/: mappings,
// snapshots, opened binaries, perf maps), the only kiln module it uses; formats/ and record/
// use it. Not thread-safe: use one Symbolizer per thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::process {
class ProcessTable;
}

namespace kiln::symbolizer {

// kUnknown: code without a symbol, named by its module ("[libfoo.so]", "[python3.11]+0x1b3f20").
// kUnmapped: an address in no mapping of its process (or of a process kiln does not know),
// named "[unknown]": for a return address, data that a frame-pointer walk read as one.
enum class FrameKind { kUser, kKernel, kJit, kInlined, kUnknown, kUnmapped };

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

  // The processes whose addresses view_user and symbolize_user name: record/ keeps it current
  // while recording (snapshots, the kernel's records), an unwinder reads its mappings.
  process::ProcessTable& processes();

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
  // addresses): views into the Symbolizer, valid until its next call. symbolize_* copy these
  // views once, into strings of their own.
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

// Finishes a Rust legacy name that was demangled only as far as the Itanium scheme goes (as
// perf prints them): "_$LT$a..B$u20$as$u20$C$GT$::f::h0123456789abcdef" becomes "<a::B as C>::f".
// Names without the trailing hash are returned unchanged.
std::string finish_rust_legacy_name(std::string_view name);

}  // namespace kiln::symbolizer
