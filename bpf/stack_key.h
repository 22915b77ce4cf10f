/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* The contract between kiln's BPF programs and user space: the key under which samples (or
 * off-CPU nanoseconds) are counted, the per-CPU counters that account for every sample, the
 * target filter configuration and the event announcing a process to snapshot. Shared by
 * profile.bpf.c, offcpu.bpf.c and record/. */
#ifndef KILN_STACK_KEY_H
#define KILN_STACK_KEY_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KILN_COMM_LEN 16
/* The kernel's PERF_MAX_STACK_DEPTH: one stored stack holds this many addresses. */
#define KILN_MAX_STACK_DEPTH 127

/* Counts map key. A stack id is the key of the stack in the `stacks` hash map
 * (stack_store.bpf.h), 0 when there is no such stack (a sample taken in user mode has no
 * kernel stack, a kernel thread no user stack). */
struct kiln_stack_key {
  __u32 tgid;
  __u32 pid;
  char comm[KILN_COMM_LEN];
  __u64 kernel_stack_id;
  __u64 user_stack_id;
  __u32 state;    /* off-CPU: the OFFCPU_STATE_* bit the thread left the CPU in; 0 on-CPU */
  __u32 reserved; /* zero: keys are compared byte by byte */
};

/* Indexes of the per-CPU `counters` array: every sample that passed the filter is counted in
 * KILN_SAMPLES and, if it could not be recorded whole, in exactly one loss kind. */
enum kiln_counter {
  KILN_SAMPLES = 0,           /* samples (or switches) of the selected targets */
  KILN_LOST_STACK_MAP_FULL,   /* the stacks map had no room for a new stack */
  KILN_LOST_ALLOCATION,       /* -ENOMEM: no kernel memory for a new entry at that moment */
  KILN_LOST_COUNTS_MAP_FULL,  /* the counts hash had no room for a new key */
  KILN_LOST_OTHER,            /* any other helper failure */
  KILN_LOST_RINGBUF_FULL,     /* --unwind dwarf: no room in the user_stacks ring buffer */
  KILN_NO_USER_STACK,         /* kernel thread: no user stack, not a loss */
  KILN_USER_STACK_UNREADABLE, /* user stack could not be walked; kernel part kept */
  KILN_COUNTER_COUNT,
};

/* Read-only configuration of the target filter (see target_filter.bpf.h), set before load. */
struct kiln_filter_config {
  __u32 self_tgid;      /* kiln itself: never sampled */
  __u8 filter_tgids;    /* only tgids in the target_tgids map */
  __u8 filter_tids;     /* only thread ids in the target_tids map */
  __u8 filter_cpus;     /* only CPUs in the target_cpus map */
  __u8 include_idle;    /* also the idle task (pid 0) */
  __u8 follow_children; /* new processes forked by a target tgid become targets */
  __u8 padding[3];
};

#endif
