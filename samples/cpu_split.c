// cpu_split [SECONDS]: spends 75% of its CPU time in hot_75 and 25% in hot_25, by
// construction: each round runs the same loop body 3 times as often in hot_75 as in hot_25.
// Runs for SECONDS (default 5) of wall time, then prints the CPU time it used on stderr.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

// The same body in both: the split is the ratio of iterations, nothing else. The empty asm
// keeps the compiler from folding iterations together, so each one costs the same.
__attribute__((noinline)) void hot_75(unsigned long iterations) {
  unsigned long x = sink;
  for (unsigned long i = 0; i < iterations; ++i) {
    x = x * 6364136223846793005ul + i;
    __asm__ volatile("" : "+r"(x));
  }
  sink = x;
}

__attribute__((noinline)) void hot_25(unsigned long iterations) {
  unsigned long x = sink;
  for (unsigned long i = 0; i < iterations; ++i) {
    x = x * 6364136223846793005ul + i;
    __asm__ volatile("" : "+r"(x));
  }
  sink = x;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 5.0;
  const unsigned long round = 5000000;  // a few ms of hot_25 per round
  const double end = now() + seconds;
  while (now() < end) {
    hot_75(3 * round);
    hot_25(round);
  }
  struct timespec cpu;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  fprintf(stderr, "cpu_split: %.3f s of CPU\n", cpu.tv_sec + cpu.tv_nsec / 1e9);
  return 0;
}
