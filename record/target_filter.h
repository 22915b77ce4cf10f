// The user-space half of bpf/target_filter.bpf.h: which processes, threads and CPUs the BPF
// programs count.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "bpf/stack_key.h"
#include "record/targets.h"

struct bpf_object;

namespace kiln::record {

// The target filter of bpf/target_filter.bpf.h: `config()` goes into the skeleton's
// rodata->filter_config before load, `populate()` fills the target maps after load.
class TargetFilter {
 public:
  // `command_pid` is the ChildCommand's pid (0 when there is none); it is a followed target.
  TargetFilter(const TargetSpec& spec, pid_t command_pid);
  kiln_filter_config config() const { return config_; }
  void populate(bpf_object* object) const;
  // The fork/exit programs are attached only when processes are followed.
  bool follows_children() const { return config_.follow_children != 0; }

 private:
  kiln_filter_config config_{};
  std::vector<uint32_t> tgids_, tids_, cpus_;
};

}  // namespace kiln::record
