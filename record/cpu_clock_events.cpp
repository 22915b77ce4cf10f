// Perf events that fire the sampling program, and the links that attach programs; both are
// undone by their destructors so nothing stays attached, whatever path kiln leaves by.
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "record/bpf_links.h"
#include "record/errors.h"

namespace kiln::record {

Links::~Links() {
  for (auto it = links_.rbegin(); it != links_.rend(); ++it) bpf_link__destroy(*it);
}

void Links::attach(bpf_program* program) {
  bpf_link* link = bpf_program__attach(program);
  if (!link)
    throw EnvironmentError(std::string("cannot attach BPF program ") + bpf_program__name(program) +
                           ": " + strerror(errno) +
                           " (kiln needs tracepoint/BTF program support: kernel 5.5 or later)");
  links_.push_back(link);
}

namespace {

std::string paranoid_level() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  std::string level;
  in >> level;
  return level.empty() ? "?" : level;
}

}  // namespace

CpuClockEvents::CpuClockEvents(const std::vector<int>& cpus, unsigned hz, bpf_program* program) {
  for (int cpu : cpus) {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    // cpu-clock counts nanoseconds: a fixed period gives exactly `hz` samples per second
    // from the start, where frequency mode would need time to settle.
    attr.sample_period = 1000000000ull / hz;
    const int fd =
        static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
    if (fd < 0) {
      const int error = errno;
      if (error == EACCES || error == EPERM)
        throw EnvironmentError(
            "perf_event_open on CPU " + std::to_string(cpu) + ": " + strerror(error) +
            " (kernel.perf_event_paranoid is " + paranoid_level() +
            ").\n  fix: run kiln as root or with CAP_PERFMON (sudo setcap cap_bpf,cap_perfmon+ep "
            "$(command -v kiln)), or lower it: sudo sysctl kernel.perf_event_paranoid=-1");
      throw EnvironmentError("perf_event_open (software cpu-clock) on CPU " + std::to_string(cpu) +
                             ": " + strerror(error));
    }
    // The link owns the event from here: destroying it disables and closes the event.
    bpf_link* link = bpf_program__attach_perf_event(program, fd);
    if (!link) {
      const int error = errno;
      close(fd);
      throw EnvironmentError("cannot attach the sampling program to the perf event on CPU " +
                             std::to_string(cpu) + ": " + strerror(error));
    }
    links_.add(link);
  }
}

}  // namespace kiln::record
