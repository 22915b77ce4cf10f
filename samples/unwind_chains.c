// Known call chains in a program built like Debian's: gcc -O2 without frame pointers, so only
// DWARF unwinding (call frame information) can walk its stacks. Each mode spends its time in
// one leaf function under a fixed chain of calls:
//   qsort      main -> sort_records -> glibc qsort -> compare_records
//   recursion  main -> recurse x 80 -> burn_at_bottom
//   memcpy     thread: start_thread -> copy_thread -> copy_loop -> glibc memcpy
//   signal     main -> spin_main, interrupted by SIGPROF -> on_signal -> burn_in_handler
//   read       main -> wait_for_input -> glibc read (blocks: for --off-cpu)
//   sleep      main -> nap -> glibc nanosleep (blocks: for --off-cpu)
// Usage: unwind_chains MODE SECONDS
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile unsigned long sink;
static double deadline;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

NOINLINE int compare_records(const void* a, const void* b) {
  // Costly on purpose, so that samples land here rather than in qsort itself.
  unsigned long x = *(const unsigned*)a;
  for (int i = 0; i < 200; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  sink += x;
  return (*(const unsigned*)a > *(const unsigned*)b) - (*(const unsigned*)a < *(const unsigned*)b);
}

NOINLINE void sort_records(unsigned* records, size_t count) {
  while (now() < deadline) {
    for (size_t i = 0; i < count; ++i) records[i] = (unsigned)rand();
    qsort(records, count, sizeof(*records), compare_records);
  }
}

NOINLINE void burn_at_bottom(void) {
  unsigned long x = sink;
  for (int i = 0; i < 100000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  sink = x;
}

NOINLINE int recurse(int depth) {
  if (depth == 0) {
    burn_at_bottom();
    return 0;
  }
  // Not a tail call: the addition happens after the return.
  return recurse(depth - 1) + (int)(sink & 1);
}

NOINLINE void copy_loop(char* to, const char* from, size_t size) {
  while (now() < deadline) {
    memcpy(to, from, size);
    __asm__ volatile("" : : "r"(to) : "memory");
  }
}

NOINLINE void* copy_thread(void* arg) {
  (void)arg;
  const size_t size = 1 << 20;
  char* from = malloc(size);
  char* to = malloc(size);
  memset(from, 1, size);
  copy_loop(to, from, size);
  free(from);
  free(to);
  return NULL;
}

static volatile sig_atomic_t in_handler;

NOINLINE void burn_in_handler(void) {
  unsigned long x = sink;
  for (int i = 0; i < 2000000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  sink = x;
}

NOINLINE void on_signal(int signo) {
  (void)signo;
  in_handler = 1;
  burn_in_handler();
  in_handler = 0;
}

NOINLINE void spin_main(void) {
  while (now() < deadline) sink = sink + 1;
}

NOINLINE void wait_for_input(void) {
  char byte;
  while (read(STDIN_FILENO, &byte, 1) > 0) {
  }
}

NOINLINE void nap(void) {
  const struct timespec ten_ms = {0, 10 * 1000 * 1000};
  while (now() < deadline) nanosleep(&ten_ms, NULL);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s qsort|recursion|memcpy|signal|read|sleep SECONDS\n", argv[0]);
    return 2;
  }
  deadline = now() + atof(argv[2]);
  const char* mode = argv[1];
  if (strcmp(mode, "qsort") == 0) {
    static unsigned records[4096];
    sort_records(records, 4096);
  } else if (strcmp(mode, "recursion") == 0) {
    while (now() < deadline) recurse(80);
  } else if (strcmp(mode, "memcpy") == 0) {
    pthread_t thread;
    pthread_create(&thread, NULL, copy_thread, NULL);
    pthread_join(thread, NULL);
  } else if (strcmp(mode, "signal") == 0) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_signal;
    sigaction(SIGALRM, &action, NULL);
    const struct itimerval every_50ms = {{0, 50000}, {0, 50000}};
    setitimer(ITIMER_REAL, &every_50ms, NULL);
    spin_main();
  } else if (strcmp(mode, "read") == 0) {
    wait_for_input();
  } else if (strcmp(mode, "sleep") == 0) {
    nap();
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  return 0;
}
