// Shared library of the symbolizer test program (C, -O2 -g).
#include <stdio.h>

static int scale = 3;

__attribute__((noinline)) static int lib_static_helper(int x) {
  return x * scale + 1;
}

__attribute__((noinline)) int kiln_lib_work(int x) {
  int total = 0;
  for (int i = 0; i < x; ++i) total += lib_static_helper(i);
  return total;
}

__attribute__((noinline)) void kiln_lib_print(int x) {
  printf("lib %d\n", x);
}

// An address inside this library's code: a static function's (a function pointer to an
// exported library function is the executable's PLT stub in a non-PIE program).
void* kiln_lib_code_address(void) {
  return (void*)&lib_static_helper;
}
