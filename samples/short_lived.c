// short_lived [CHILDREN [SECONDS]]: prints "parent PID", then starts CHILDREN (default 60)
// processes one after the other, each exec'ing this program again to burn SECONDS (default
// 0.020) of CPU in child_burn and exit. Profilers must still name the frames of children that are
// gone at the end.
// short_lived --exec-chain EXECS SECONDS: one process that burns SECONDS in child_burn, then execs
// this program again, EXECS times in all: each image lives a few milliseconds at another address
// (ASLR) under the same pid.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) void child_burn(double seconds) {
  const double end = cpu_now() + seconds;
  unsigned long x = sink;
  while (cpu_now() < end)
    for (unsigned long i = 0; i < 20000; ++i) x = x * 6364136223846793005ul + i;
  sink = x;
}

// This program's path: exec'd by path (not /proc/self/exe) so that the comm stays "short_lived".
static int self_path(char* path, size_t size) {
  const ssize_t length = readlink("/proc/self/exe", path, size - 1);
  if (length <= 0) return 0;
  path[length] = '\0';
  return 1;
}

int main(int argc, char** argv) {
  char self[4096];
  if (argc > 1 && strcmp(argv[1], "--child") == 0) {
    child_burn(argc > 2 ? atof(argv[2]) : 0.020);
    return 0;
  }
  if (argc > 3 && strcmp(argv[1], "--exec-chain") == 0) {
    child_burn(atof(argv[3]));
    const int left = atoi(argv[2]) - 1;
    if (left <= 0) return 0;
    char count[16];
    snprintf(count, sizeof count, "%d", left);
    if (!self_path(self, sizeof self)) return 1;
    execl(self, argv[0], "--exec-chain", count, argv[3], (char*)NULL);
    return 127;
  }
  const int children = argc > 1 ? atoi(argv[1]) : 60;
  const char* burn = argc > 2 ? argv[2] : "0.020";
  if (!self_path(self, sizeof self)) return 1;
  printf("parent %d\n", (int)getpid());
  fflush(stdout);
  for (int i = 0; i < children; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      execl(self, argv[0], "--child", burn, (char*)NULL);
      _exit(127);
    }
    if (pid > 0) waitpid(pid, NULL, 0);
  }
  return 0;
}
