// syscall_loop [SECONDS]: writes to /dev/null in a loop for SECONDS (default 3), so most of
// its time is spent in the kernel's write path.
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) void write_loop(int fd, double end) {
  static char buffer[4096];
  while (now() < end)
    for (int i = 0; i < 1000; ++i)
      if (write(fd, buffer, sizeof(buffer)) < 0) return;
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 3.0;
  const int fd = open("/dev/null", O_WRONLY);
  if (fd < 0) return 1;
  write_loop(fd, now() + seconds);
  close(fd);
  return 0;
}
