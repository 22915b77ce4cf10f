// Fills the BPF target filter of bpf/target_filter.bpf.h from the command line's targets.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstring>

#include "record/errors.h"
#include "record/target_filter.h"

namespace kiln::record {

TargetFilter::TargetFilter(const TargetSpec& spec, pid_t command_pid) {
  config_.self_tgid = static_cast<uint32_t>(getpid());
  config_.include_idle = spec.include_idle;
  for (pid_t pid : spec.pids) tgids_.push_back(pid);
  if (command_pid > 0) tgids_.push_back(command_pid);
  for (pid_t tid : spec.tids) tids_.push_back(tid);
  // CPUs are filtered in BPF too: the off-CPU tracer sees switches on every CPU.
  for (int cpu : spec.cpus) cpus_.push_back(cpu);
  config_.filter_tgids = !tgids_.empty();
  config_.filter_tids = !tids_.empty();
  config_.filter_cpus = !cpus_.empty();
  // Processes started by a -p target or by the command are part of what the user asked for.
  config_.follow_children = !tgids_.empty();
}

namespace {

void fill(bpf_object* object, const char* map_name, const std::vector<uint32_t>& keys) {
  bpf_map* map = bpf_object__find_map_by_name(object, map_name);
  if (!map) throw EnvironmentError(std::string("BPF object has no map ") + map_name);
  const uint8_t yes = 1;
  for (uint32_t key : keys)
    if (bpf_map_update_elem(bpf_map__fd(map), &key, &yes, BPF_ANY) != 0)
      throw EnvironmentError(std::string("cannot fill BPF map ") + map_name + ": " +
                             strerror(errno));
}

}  // namespace

void TargetFilter::populate(bpf_object* object) const {
  fill(object, "target_tgids", tgids_);
  fill(object, "target_tids", tids_);
  fill(object, "target_cpus", cpus_);
}

}  // namespace kiln::record
