// BPF programs attached, and detached on every path: tracing programs' links and the cpu-clock
// perf events the sampler runs on.
#pragma once

#include <vector>

struct bpf_link;
struct bpf_program;

namespace kiln::record {

// Owns BPF links; destroying it detaches them (nothing stays attached on any path).
class Links {
 public:
  Links() = default;
  ~Links();
  Links(const Links&) = delete;
  Links& operator=(const Links&) = delete;
  // Attaches a tracing program (tp_btf, raw_tp); throws EnvironmentError on failure.
  void attach(bpf_program* program);
  void add(bpf_link* link) { links_.push_back(link); }

 private:
  std::vector<bpf_link*> links_;
};

// One software cpu-clock perf event per CPU at `hz`, each attached to `program`; destroying it
// detaches and closes them. Throws EnvironmentError (with the perf_event_paranoid / capability
// fix) when events cannot be opened.
class CpuClockEvents {
 public:
  CpuClockEvents(const std::vector<int>& cpus, unsigned hz, bpf_program* program);

 private:
  Links links_;
};

}  // namespace kiln::record
