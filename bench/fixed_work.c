// fixed_work ROUNDS: a fixed amount of CPU-bound work (no clock reads, no system calls), for
// measuring what a profiler adds to it. About 10 s on this machine with ROUNDS=500.
#include <stdlib.h>

static volatile unsigned long sink;

__attribute__((noinline)) unsigned long mix(unsigned long x, unsigned long n) {
  for (unsigned long i = 0; i < n; ++i) {
    x = x * 6364136223846793005ul + i;
    __asm__ volatile("" : "+r"(x));
  }
  return x;
}

__attribute__((noinline)) unsigned long stage_a(unsigned long x) {
  return mix(x, 12000000);
}
__attribute__((noinline)) unsigned long stage_b(unsigned long x) {
  return mix(x, 4000000);
}

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? atol(argv[1]) : 500;
  unsigned long x = 1;
  for (long r = 0; r < rounds; ++r) x = stage_b(stage_a(x));
  sink = x;
  return 0;
}
