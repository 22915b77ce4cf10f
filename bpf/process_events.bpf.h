/* SPDX-License-Identifier: GPL-2.0-only */
/* Announces each process the first time it is recorded (and again after it execs), so that
 * user space snapshots its mappings while it is alive: a process that exits before the end of
 * the profile is still symbolized. Shared by kiln's BPF programs. */
#ifndef KILN_PROCESS_EVENTS_BPF_H
#define KILN_PROCESS_EVENTS_BPF_H

#include "stack_key.h"
#include "target_filter.bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, __u8);
} announced_tgids SEC(".maps");

/* Each record is one __u32 tgid. */
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} new_processes SEC(".maps");

static __always_inline void kiln_announce_process(__u32 tgid) {
  __u8 yes = 1;
  /* Nearly always announced already: a lookup costs less than a failing LRU update, which
   * takes a free node first (it matters at every sched_switch of off-CPU tracing). */
  if (bpf_map_lookup_elem(&announced_tgids, &tgid)) return;
  if (bpf_map_update_elem(&announced_tgids, &tgid, &yes, BPF_NOEXIST) != 0) return;
  __u32* event = bpf_ringbuf_reserve(&new_processes, sizeof(*event), 0);
  if (!event) {
    /* Try again at the next sample rather than never snapshotting this process. */
    bpf_map_delete_elem(&announced_tgids, &tgid);
    return;
  }
  *event = tgid;
  bpf_ringbuf_submit(event, 0);
}

/* After exec the mappings are new: announce a target process right away, which gives user
 * space its whole life (a process of a few milliseconds may never be sampled again), and let
 * any other process be announced again at its next sample. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(kiln_reannounce_exec, struct task_struct* task, pid_t old_pid,
             struct linux_binprm* bprm) {
  __u32 tgid = BPF_CORE_READ(task, tgid);
  bpf_map_delete_elem(&announced_tgids, &tgid);
  if (kiln_is_target(tgid, BPF_CORE_READ(task, pid), bpf_get_smp_processor_id()))
    kiln_announce_process(tgid);
  return 0;
}

#endif
