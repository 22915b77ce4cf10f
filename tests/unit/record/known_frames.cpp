#include "tests/unit/record/known_frames.h"

extern "C" __attribute__((noinline)) uintptr_t kiln_test_callee() {
  return reinterpret_cast<uintptr_t>(__builtin_return_address(0));
}

extern "C" __attribute__((noinline)) uintptr_t kiln_test_caller() {
  const uintptr_t return_address = kiln_test_callee();
  asm volatile("");  // not a tail call: the return address stays in this function
  return return_address;
}
