// Target selection checks: which CPUs exist, whether -p/-t ids exist, and whether this process
// may load BPF programs and open perf events at all.
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdarg>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "record/errors.h"
#include "record/targets.h"

namespace kiln::record {

std::vector<int> online_cpus() {
  // The format is a list of ranges: "0-3,5,7-8".
  std::ifstream in("/sys/devices/system/cpu/online");
  std::string text;
  std::getline(in, text);
  std::vector<int> cpus;
  std::stringstream ranges(text);
  std::string range;
  while (std::getline(ranges, range, ',')) {
    if (range.empty()) continue;
    const auto dash = range.find('-');
    const int first = std::stoi(range.substr(0, dash));
    const int last = dash == std::string::npos ? first : std::stoi(range.substr(dash + 1));
    for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
  }
  if (cpus.empty())
    throw EnvironmentError("cannot read the online CPUs from /sys/devices/system/cpu/online");
  return cpus;
}

std::vector<int> selected_cpus(const TargetSpec& spec) {
  const std::vector<int> online = online_cpus();
  if (spec.cpus.empty()) return online;
  const std::set<int> available(online.begin(), online.end());
  std::set<int> chosen;
  for (int cpu : spec.cpus) {
    if (!available.count(cpu))
      throw UsageError("-C " + std::to_string(cpu) + ": no such online CPU (online: 0-" +
                       std::to_string(online.back()) + ")");
    chosen.insert(cpu);
  }
  return {chosen.begin(), chosen.end()};
}

void check_targets_exist(const TargetSpec& spec) {
  for (pid_t pid : spec.pids)
    if (pid <= 0 || !std::filesystem::exists("/proc/" + std::to_string(pid)))
      throw EnvironmentError("-p " + std::to_string(pid) +
                             ": no such process (check the id with `ps -e`)");
  for (pid_t tid : spec.tids)
    if (tid <= 0 || !std::filesystem::exists("/proc/" + std::to_string(tid)))
      throw EnvironmentError("-t " + std::to_string(tid) +
                             ": no such thread (check the id with `ps -eL`)");
}

namespace {

bool has_capability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return data[cap / 32].effective & (1u << (cap % 32));
}

}  // namespace

void check_bpf_environment() {
  const bool admin = has_capability(CAP_SYS_ADMIN);
  if (!admin && !(has_capability(CAP_BPF) && has_capability(CAP_PERFMON)))
    throw EnvironmentError(
        "kiln record needs root, or the CAP_BPF and CAP_PERFMON capabilities, to load BPF "
        "programs and open perf events.\n  fix: run it with sudo, or once: sudo setcap "
        "cap_bpf,cap_perfmon+ep $(command -v kiln)");
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux"))
    throw EnvironmentError(
        "this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing), which kiln's BPF "
        "programs need.\n  fix: use a kernel built with CONFIG_DEBUG_INFO_BTF=y (most "
        "distribution kernels since 2020)");
}

namespace {

int print_libbpf(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG || level == LIBBPF_INFO) return 0;
  std::fputs("libbpf: ", stderr);
  return std::vfprintf(stderr, format, args);
}

}  // namespace

void quiet_libbpf() {
  libbpf_set_print(print_libbpf);
}

std::vector<pid_t> watched_targets(const TargetSpec& spec) {
  std::vector<pid_t> watched = spec.pids;
  watched.insert(watched.end(), spec.tids.begin(), spec.tids.end());
  return watched;
}

}  // namespace kiln::record
