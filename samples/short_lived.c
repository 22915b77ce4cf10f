// short_lived [CHILDREN [SECONDS]]: prints "parent PID", then starts CHILDREN (default 60)
// processes one after the other, each exec'ing this program again to burn SECONDS (default
// 0.020) of CPU in child_burn and exit. Profilers must still name the frames of children that are
// gone at the end.
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

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--child") == 0) {
    child_burn(argc > 2 ? atof(argv[2]) : 0.020);
    return 0;
  }
  const int children = argc > 1 ? atoi(argv[1]) : 60;
  const char* burn = argc > 2 ? argv[2] : "0.020";
  // exec by path (not /proc/self/exe) so that the children's comm is "short_lived" too.
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length <= 0) return 1;
  self[length] = '\0';
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
