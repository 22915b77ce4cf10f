// regress [--slow-checksum] [SECONDS]: the `kiln diff` sample. Each round parses, checksums and
// renders; by construction parse_records, checksum and render_report get 40%, 20% and 40% of
// the CPU time. --slow-checksum makes checksum do 3 times the work (a regression: about 43% of
// the time), the change a CI gate must catch. Runs for SECONDS (default 2) of wall time.
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long sink;

// The same loop body in each function (a macro, not a helper: an inlined helper would own all
// the self samples as an inline frame): the split is the ratio of iterations, nothing else.
#define SPIN(iterations)                               \
  do {                                                 \
    unsigned long x = sink;                            \
    for (unsigned long i = 0; i < (iterations); ++i) { \
      x = x * 6364136223846793005ul + i;               \
      __asm__ volatile("" : "+r"(x));                  \
    }                                                  \
    sink = x;                                          \
  } while (0)

__attribute__((noinline)) void parse_records(unsigned long work) {
  SPIN(2 * work);
}
__attribute__((noinline)) void checksum(unsigned long work, int slow) {
  SPIN((slow ? 3 : 1) * work);
}
__attribute__((noinline)) void render_report(unsigned long work) {
  SPIN(2 * work);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  int slow = 0;
  double seconds = 2.0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--slow-checksum") == 0) {
      slow = 1;
    } else {
      seconds = atof(argv[i]);
    }
  }
  const unsigned long work = 1000000;  // about 1 ms of checksum per round
  const double end = now() + seconds;
  while (now() < end) {
    parse_records(work);
    checksum(work, slow);
    render_report(work);
  }
  return 0;
}
