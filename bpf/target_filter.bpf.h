/* SPDX-License-Identifier: GPL-2.0-only */
/* The target filter shared by kiln's BPF programs: which tasks and CPUs are recorded, and the
 * fork/exit programs that keep the tgid set current when children are followed. User space
 * (record/target_filter.cpp) fills `filter_config` before load and the maps after. */
#ifndef KILN_TARGET_FILTER_BPF_H
#define KILN_TARGET_FILTER_BPF_H

#include "stack_key.h"

#define KILN_MAX_TARGETS 8192

const volatile struct kiln_filter_config filter_config = {};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, KILN_MAX_TARGETS);
  __type(key, __u32);
  __type(value, __u8);
} target_tgids SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, KILN_MAX_TARGETS);
  __type(key, __u32);
  __type(value, __u8);
} target_tids SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32);
  __type(value, __u8);
} target_cpus SEC(".maps");

static __always_inline bool kiln_is_target(__u32 tgid, __u32 pid, __u32 cpu) {
  if (pid == 0) return filter_config.include_idle;
  if (tgid == filter_config.self_tgid) return false;
  if (filter_config.filter_tgids && !bpf_map_lookup_elem(&target_tgids, &tgid)) return false;
  if (filter_config.filter_tids && !bpf_map_lookup_elem(&target_tids, &pid)) return false;
  if (filter_config.filter_cpus && !bpf_map_lookup_elem(&target_cpus, &cpu)) return false;
  return true;
}

/* A process forked by a target becomes a target (threads share the tgid already). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(kiln_follow_fork, struct task_struct* parent, struct task_struct* child) {
  __u32 parent_tgid = BPF_CORE_READ(parent, tgid);
  __u32 child_tgid = BPF_CORE_READ(child, tgid);
  __u8 yes = 1;
  if (!filter_config.follow_children || parent_tgid == child_tgid) return 0;
  if (bpf_map_lookup_elem(&target_tgids, &parent_tgid))
    bpf_map_update_elem(&target_tgids, &child_tgid, &yes, BPF_ANY);
  return 0;
}

/* Forget a followed process when its main thread exits, so the set does not fill up. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(kiln_forget_exit, struct task_struct* task) {
  __u32 tgid = BPF_CORE_READ(task, tgid);
  if (!filter_config.follow_children || BPF_CORE_READ(task, pid) != tgid) return 0;
  bpf_map_delete_elem(&target_tgids, &tgid);
  return 0;
}

#endif
