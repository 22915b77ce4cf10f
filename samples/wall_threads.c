// wall_threads: threads whose split of wall-clock time is known, for `kiln record --wall`. Each
// thread is named (its comm) after what it does:
//   half   computes for 20 ms of its own CPU time, then sleeps 20 ms: about half on CPU
//   piped  computes for 2 ms, then reads a pipe that the main thread writes to every 20 ms:
//          about 90% blocked in read
//   spin   only computes
// The main thread sleeps and feeds the pipe. Usage: wall_threads [SECONDS] (default 3). At exit
// each of the three prints what it measured of itself, the truth a profile is checked against:
//   thread NAME wall_ns W cpu_ns C
// (CLOCK_MONOTONIC from its start to its end, and CLOCK_THREAD_CPUTIME_ID).
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int pipe_fds[2];
static int64_t deadline_ns;
static volatile uint64_t sink;

static int64_t clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns) {
  const struct timespec ts = {ns / 1000000000, ns % 1000000000};
  nanosleep(&ts, NULL);
}

// Burns `ns` of the calling thread's CPU time, however long that takes in wall time.
__attribute__((noinline)) static void compute(int64_t ns) {
  const int64_t end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + ns;
  uint64_t x = sink;
  while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
    for (int i = 0; i < 10000; ++i) x = x * 6364136223846793005u + 1442695040888963407u;
  sink = x;
}

__attribute__((noinline)) static void half_compute(void) {
  compute(20000000);
}
__attribute__((noinline)) static void half_sleep(void) {
  sleep_ns(20000000);
}
__attribute__((noinline)) static void piped_compute(void) {
  compute(2000000);
}
__attribute__((noinline)) static void piped_wait(void) {
  char byte;
  if (read(pipe_fds[0], &byte, 1) < 0) perror("read");
}
__attribute__((noinline)) static void spin_compute(void) {
  compute(5000000);
}

static void report(const char* name, int64_t start_ns) {
  printf("thread %s wall_ns %lld cpu_ns %lld\n", name,
         (long long)(clock_ns(CLOCK_MONOTONIC) - start_ns),
         (long long)clock_ns(CLOCK_THREAD_CPUTIME_ID));
}

static void* half(void* arg) {
  (void)arg;
  const int64_t start = clock_ns(CLOCK_MONOTONIC);
  while (clock_ns(CLOCK_MONOTONIC) < deadline_ns) {
    half_compute();
    half_sleep();
  }
  report("half", start);
  return NULL;
}

static void* piped(void* arg) {
  (void)arg;
  const int64_t start = clock_ns(CLOCK_MONOTONIC);
  while (clock_ns(CLOCK_MONOTONIC) < deadline_ns) {
    piped_compute();
    piped_wait();
  }
  report("piped", start);
  return NULL;
}

static void* spin(void* arg) {
  (void)arg;
  const int64_t start = clock_ns(CLOCK_MONOTONIC);
  while (clock_ns(CLOCK_MONOTONIC) < deadline_ns) spin_compute();
  report("spin", start);
  return NULL;
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 3.0;
  if (pipe(pipe_fds) != 0) return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  deadline_ns = clock_ns(CLOCK_MONOTONIC) + (int64_t)(seconds * 1e9);
  void* (*bodies[])(void*) = {half, piped, spin};
  const char* names[] = {"half", "piped", "spin"};
  pthread_t threads[3];
  for (int i = 0; i < 3; ++i) {
    pthread_create(&threads[i], NULL, bodies[i], NULL);
    pthread_setname_np(threads[i], names[i]);
  }
  // Feeds piped every 20 ms, and once more after the deadline so that its last read returns.
  while (clock_ns(CLOCK_MONOTONIC) < deadline_ns) {
    sleep_ns(20000000);
    if (write(pipe_fds[1], "x", 1) != 1) perror("write");
  }
  if (write(pipe_fds[1], "x", 1) != 1) perror("write");
  for (int i = 0; i < 3; ++i) pthread_join(threads[i], NULL);
  return 0;
}
