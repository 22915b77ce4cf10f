// offcpu_blocking: threads that spend their time off CPU in known ways, for `kiln record
// --off-cpu`. Each thread is named (its comm) after what it does:
//   sleeper       nanosleep(10 ms) in a loop: blocked 100% in nanosleep
//   pipe_reader   read() on a pipe that pipe_feeder writes 1 byte to every 5 ms: 100% in read
//   pipe_feeder   nanosleep(5 ms), then write one byte: 100% in nanosleep
//   lock_holder   holds `lock` for 60 ms at a time (sleeping while holding it)
//   lock_waiter   sleeps 20 ms, then waits for `lock` about 40 ms: 1/3 nanosleep, 2/3 mutex
//   fsync_writer  write(4 KiB) + fsync() in a temporary directory: blocked in fsync
// Usage: offcpu_blocking [SECONDS] (default 2). At exit it prints, per thread, its tid, wall
// time and two CPU times, so that blocked time can be checked against wall minus CPU time:
// cpu_ns from CLOCK_THREAD_CPUTIME_ID, and task_clock_ns from a perf task-clock event (-1 when
// perf events are refused), which counts from the context switch that runs the thread to the
// one that stops it. They differ for a thread that wakes often: the scheduler starts a woken
// thread's CPU clock at its wake-up, up to a few microseconds before it runs, and
// fsync_writer wakes some 20000 times a second.
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> running{true};

void sleep_ms(long ms) {
  timespec t{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

long long now_ns(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

// The calling thread's perf task-clock (nanoseconds on CPU between its context switches).
class TaskClock {
 public:
  TaskClock() {
    perf_event_attr attr{};
    attr.type = PERF_TYPE_SOFTWARE;
    attr.size = sizeof(attr);
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    fd_ = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
  }
  ~TaskClock() {
    if (fd_ >= 0) close(fd_);
  }
  TaskClock(const TaskClock&) = delete;
  TaskClock& operator=(const TaskClock&) = delete;

  long long read_ns() const {
    long long value = -1;
    if (fd_ < 0 || read(fd_, &value, sizeof(value)) != sizeof(value)) return -1;
    return value;
  }

 private:
  int fd_ = -1;
};

struct ThreadReport {
  std::string name;
  pid_t tid = 0;
  long long wall_ns = 0;
  long long cpu_ns = 0;
  long long task_clock_ns = -1;
};

// Runs `body` as a named thread and measures its wall and CPU time from inside.
std::thread named_thread(const char* name, ThreadReport& report, void (*body)()) {
  return std::thread([name, &report, body] {
    pthread_setname_np(pthread_self(), name);
    report.name = name;
    report.tid = gettid();
    // Opening the perf event waits for RCU (a few ms blocked): inside the wall time.
    const long long wall_start = now_ns(CLOCK_MONOTONIC);
    const TaskClock task_clock;
    const long long task_clock_start = task_clock.read_ns();
    body();
    report.wall_ns = now_ns(CLOCK_MONOTONIC) - wall_start;
    report.cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID);
    const long long task_clock_end = task_clock.read_ns();
    if (task_clock_start >= 0 && task_clock_end >= 0)
      report.task_clock_ns = task_clock_end - task_clock_start;
  });
}

void sleeper() {
  while (running) sleep_ms(10);
}

int pipe_fds[2];

void pipe_reader() {
  char byte;
  while (read(pipe_fds[0], &byte, 1) == 1) {
  }
}

void pipe_feeder() {
  while (running) {
    sleep_ms(5);
    if (write(pipe_fds[1], "x", 1) != 1) break;
  }
  close(pipe_fds[1]);  // the reader sees end of file and stops
}

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
sem_t lock_taken, lock_returned;
std::atomic<bool> holder_done{false};

void lock_holder() {
  while (running) {
    pthread_mutex_lock(&lock);
    sem_post(&lock_taken);
    sleep_ms(60);
    pthread_mutex_unlock(&lock);
    sem_wait(&lock_returned);  // the waiter has had its turn
  }
  holder_done = true;
  sem_post(&lock_taken);
}

void lock_waiter() {
  for (;;) {
    sem_wait(&lock_taken);
    if (holder_done) break;
    pthread_mutex_lock(&lock);  // held by lock_holder for the rest of its 60 ms
    pthread_mutex_unlock(&lock);
    sem_post(&lock_returned);
    sleep_ms(20);
  }
}

std::string fsync_dir;

void fsync_writer() {
  std::string path = fsync_dir + "/data";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    perror(path.c_str());
    return;
  }
  std::vector<char> block(4096, 'k');
  off_t offset = 0;
  while (running) {
    if (pwrite(fd, block.data(), block.size(), offset) < 0 || fsync(fd) != 0) {
      perror("fsync_writer");
      break;
    }
    offset = (offset + 4096) % (1 << 20);
  }
  close(fd);
  unlink(path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  if (seconds <= 0) {
    std::fprintf(stderr, "usage: %s [SECONDS]\n", argv[0]);
    return 1;
  }
  std::string templ = (std::filesystem::temp_directory_path() / "offcpu_blocking.XXXXXX").string();
  if (!mkdtemp(templ.data())) {
    perror("mkdtemp");
    return 1;
  }
  fsync_dir = templ;
  if (pipe(pipe_fds) != 0 || sem_init(&lock_taken, 0, 0) != 0 ||
      sem_init(&lock_returned, 0, 0) != 0) {
    perror("offcpu_blocking");
    return 1;
  }

  struct Spec {
    const char* name;
    void (*body)();
  };
  const Spec specs[] = {{"sleeper", sleeper},         {"pipe_reader", pipe_reader},
                        {"pipe_feeder", pipe_feeder}, {"lock_holder", lock_holder},
                        {"lock_waiter", lock_waiter}, {"fsync_writer", fsync_writer}};
  std::vector<ThreadReport> reports(std::size(specs));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < std::size(specs); ++i)
    threads.push_back(named_thread(specs[i].name, reports[i], specs[i].body));

  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  running = false;
  for (auto& thread : threads) thread.join();
  rmdir(fsync_dir.c_str());

  for (const auto& r : reports)
    std::printf("thread %s tid %d wall_ns %lld cpu_ns %lld task_clock_ns %lld\n", r.name.c_str(),
                r.tid, r.wall_ns, r.cpu_ns, r.task_clock_ns);
  return 0;
}
