// One process as libdwfl sees it: a Dwfl with a module for each binary the process maps, and
// thread callbacks that read registers and stack from the copy being unwound.
#pragma once

#include <elfutils/libdwfl.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "process/process.h"
#include "unwind/unwind.h"

namespace kiln::unwind {

// Memory files holding images that have no file of their own (the vDSO), each written once.
class MemoryImages {
 public:
  MemoryImages() = default;
  ~MemoryImages();
  MemoryImages(const MemoryImages&) = delete;
  MemoryImages& operator=(const MemoryImages&) = delete;
  // A file descriptor of a memfd holding ELF's raw image; -1 if it cannot be made.
  int fd_for(Elf* elf);

 private:
  std::vector<std::pair<Elf*, int>> files_;
};

class ProcessDwfl {
 public:
  // Reports every mapped binary of `binaries`; `generation` is the process table's number for them.
  ProcessDwfl(pid_t tgid, const std::vector<process::MappedBinary>& binaries, uint64_t generation,
              MemoryImages& images);
  ~ProcessDwfl();
  ProcessDwfl(const ProcessDwfl&) = delete;
  ProcessDwfl& operator=(const ProcessDwfl&) = delete;

  uint64_t generation() const { return generation_; }
  // True when `pc` is in a mapped binary (one with call frame information to read).
  bool in_binary(uint64_t pc) const;
  UnwindEnd unwind(pid_t tid, const UserStackCopy& copy, std::vector<uint64_t>* pcs);

 private:
  static pid_t next_thread(Dwfl* dwfl, void* arg, void** thread_arg);
  static bool get_thread(Dwfl* dwfl, pid_t tid, void* arg, void** thread_arg);
  static bool memory_read(Dwfl* dwfl, Dwarf_Addr address, Dwarf_Word* result, void* arg);
  static bool set_initial_registers(Dwfl_Thread* thread, void* thread_arg);
  static int on_frame(Dwfl_Frame* frame, void* arg);
  bool read_binary(uint64_t address, Dwarf_Word* result) const;
  const process::MappedBinary* binary_at(uint64_t address) const;
  bool at_entry_point(uint64_t pc, bool return_address) const;

  // The last complete unwind of each thread, and what it depended on: the registers that call
  // frame information computes frame addresses from (rip, rsp, rbp, and r10 and r13, gcc's
  // registers for stack realignment; other registers are only restored, from stack words) and
  // every stack word it read. A thread sampled again where those are the same (a thread that
  // blocks again at the same place, a hot loop) has the same stack.
  struct Remembered {
    std::array<uint64_t, 5> registers{};
    std::vector<std::pair<uint64_t, uint64_t>> reads;  // address, value
    std::vector<uint64_t> pcs;
  };
  static std::array<uint64_t, 5> cache_registers(const uint64_t* regs);
  bool recall(pid_t tid, const UserStackCopy& copy, std::vector<uint64_t>* pcs) const;

  Dwfl* dwfl_ = nullptr;
  bool attached_ = false;
  uint64_t generation_ = 0;
  std::vector<process::MappedBinary> binaries_;
  // The unwind in progress.
  pid_t tid_ = 0;
  const UserStackCopy* copy_ = nullptr;
  std::vector<uint64_t>* pcs_ = nullptr;
  bool read_past_copy_ = false;
  bool read_failed_ = false;
  std::vector<std::pair<uint64_t, uint64_t>> reads_;  // of the unwind in progress
  std::unordered_map<pid_t, Remembered> remembered_;
};

}  // namespace kiln::unwind
