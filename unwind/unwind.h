// kiln's user-space unwinder: turns a copy of a thread's user registers and the top of its
// user stack (taken by bpf/user_stack_copy.bpf.h) into the chain of program counters from the
// leaf to the thread's first function, with the call frame information (.eh_frame,
// .debug_frame) of the binaries the process maps, through elfutils' libdwfl. Code without
// unwind information (JIT code) is stepped through by frame pointer. Reads the mappings and
// opened binaries of the process layer (process/), so it also unwinds processes that have
// exited; uses no other kiln module. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace kiln::process {
class ProcessTable;
}

namespace kiln::unwind {

// How an unwind ended.
enum class UnwindEnd {
  kComplete,        // at the thread's first function (its return address is undefined)
  kStackCopyShort,  // it needed stack beyond the copied bytes (raise --stack-size)
  kNoUnwindInfo,    // a frame could not be unwound (no CFI, and no usable frame pointer)
  kTooDeep,         // more than UserStackUnwinder::kMaxFrames frames
  kNoProcess,       // the process exited before its mappings could be read
  kNoStack,         // no stack could be copied (its pages were not resident)
};
inline constexpr int kUnwindEndCount = 6;

// A thread's state at the sample: x86-64 registers in DWARF numbering (bpf/user_stack.h) and
// the stack copied from regs[7] (the stack pointer) upwards.
struct UserStackCopy {
  const uint64_t* regs = nullptr;  // 17 registers
  std::span<const uint8_t> stack;
};

class UserStackUnwinder {
 public:
  static constexpr size_t kMaxFrames = 512;

  explicit UserStackUnwinder(process::ProcessTable& processes);
  ~UserStackUnwinder();
  UserStackUnwinder(const UserStackUnwinder&) = delete;
  UserStackUnwinder& operator=(const UserStackUnwinder&) = delete;

  // Program counters, innermost first: the leaf's own, then return addresses (as a frame
  // pointer walk gives them). Never empty when the registers are given.
  UnwindEnd unwind(pid_t tgid, pid_t tid, const UserStackCopy& copy, std::vector<uint64_t>* pcs);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What the summary says of an unwind that did not reach the root.
const char* describe(UnwindEnd end);

}  // namespace kiln::unwind
