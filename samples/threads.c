// threads [SECONDS]: three threads named alpha, beta and gamma, each burning CPU in its own
// function (work_alpha, work_beta, work_gamma) for SECONDS (default 3) of wall time.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;
static double seconds = 3.0;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void spin(unsigned long iterations) {
  unsigned long x = sink;
  for (unsigned long i = 0; i < iterations; ++i) x = x * 6364136223846793005ul + i;
  sink = x;
}

#define WORKER(name)                                                 \
  __attribute__((noinline)) void work_##name(double end) {           \
    while (now() < end) spin(100000);                                \
    __asm__ volatile("" ::: "memory"); /* keep this frame its own */ \
  }                                                                  \
  static void* run_##name(void* arg) {                               \
    (void)arg;                                                       \
    pthread_setname_np(pthread_self(), #name);                       \
    work_##name(now() + seconds);                                    \
    return NULL;                                                     \
  }

WORKER(alpha)
WORKER(beta)
WORKER(gamma)

int main(int argc, char** argv) {
  if (argc > 1) seconds = atof(argv[1]);
  pthread_t threads[3];
  pthread_create(&threads[0], NULL, run_alpha, NULL);
  pthread_create(&threads[1], NULL, run_beta, NULL);
  pthread_create(&threads[2], NULL, run_gamma, NULL);
  for (int i = 0; i < 3; ++i) pthread_join(threads[i], NULL);
  return 0;
}
