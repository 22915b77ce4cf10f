// The ELF seeds of the elf fuzz target: a few functions (one inlined, one static, one calling
// through the PLT in the shared variant) behind the entry point `kiln_fuzz_entry`, built
// without libc so the binaries stay a few KB (tests/fuzz/CMakeLists.txt).
extern int kiln_fuzz_external(int);

static inline __attribute__((always_inline)) int square(int x) {
  return x * x;
}

__attribute__((noinline)) static int mix(int x) {
  for (int i = 0; i < 8; ++i) x = (x ^ (x >> 3)) * 31 + square(i);
  return x;
}

__attribute__((noinline)) int kiln_fuzz_leaf(int x) {
  return mix(x) + square(x);
}

int kiln_fuzz_entry(int x) {
#ifdef KILN_FUZZ_SHARED
  x += kiln_fuzz_external(x);
#endif
  return kiln_fuzz_leaf(x) + mix(x + 1);
}
