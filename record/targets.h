// What a recording records (processes, threads, CPUs, a command kiln starts) and the checks
// made before anything is loaded: the targets exist, the CPUs are online, BPF may be used.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace kiln::record {

// What to record. Empty lists mean "all"; `command` non-empty means kiln starts that command.
struct TargetSpec {
  std::vector<pid_t> pids;
  std::vector<pid_t> tids;
  std::vector<int> cpus;
  std::vector<std::string> command;
  bool include_idle = false;
};

// The words of a command as one would type them in a shell: words that need it (empty, or with
// blanks, quotes or characters the shell interprets) in single quotes, e.g.
// {"sh", "-c", "exit 7"} -> "sh -c 'exit 7'".
std::string shell_words(const std::vector<std::string>& words);

// Online CPUs from /sys/devices/system/cpu/online.
std::vector<int> online_cpus();
// The CPUs to open events on: spec.cpus (each must be online, else UsageError) or all online.
std::vector<int> selected_cpus(const TargetSpec& spec);
// The -p processes and -t threads whose exit ends a recording (as perf record -p does).
std::vector<pid_t> watched_targets(const TargetSpec& spec);
// Throws EnvironmentError naming the first -p/-t id that does not exist.
void check_targets_exist(const TargetSpec& spec);
// Throws EnvironmentError when BPF recording cannot work here: not root and no CAP_BPF +
// CAP_PERFMON (fix: sudo or setcap), or no kernel BTF. RLIMIT_MEMLOCK is never a problem.
void check_bpf_environment();
// Makes libbpf quiet except for warnings and errors (shown with a "libbpf:" prefix).
void quiet_libbpf();

}  // namespace kiln::record
