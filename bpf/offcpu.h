/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* What off-CPU tracing (offcpu.bpf.c) adds to the contract in stack_key.h: the state a thread
 * left the CPU in, the task states counted, and the counters of blocks filtered or lost. The
 * counts map holds blocked nanoseconds and blocks (an offcpu_total per kiln_stack_key) instead
 * of samples. */
#ifndef KILN_OFFCPU_H
#define KILN_OFFCPU_H

#include "stack_key.h"

/* Task states counted as blocked (bits of task_struct.__state). */
#define OFFCPU_STATE_INTERRUPTIBLE 0x1   /* TASK_INTERRUPTIBLE: sleeps, waits on fds, futexes */
#define OFFCPU_STATE_UNINTERRUPTIBLE 0x2 /* TASK_UNINTERRUPTIBLE: disk I/O, some locks */
/* Preempted or yielding: still runnable, waiting for a CPU (counted only by --wall). */
#define OFFCPU_STATE_RUNNABLE 0x4
#define OFFCPU_STATE_BLOCKED (OFFCPU_STATE_INTERRUPTIBLE | OFFCPU_STATE_UNINTERRUPTIBLE)

/* What a thread left the CPU with, per thread id; the entry stays while the thread lives, with
 * timestamp 0 while it runs. Threads still blocked when tracing stops are counted from these
 * by user space. */
struct offcpu_start {
  __u64 timestamp_ns;    /* bpf_ktime_get_ns(), CLOCK_MONOTONIC; 0: not blocked */
  __u64 kernel_stack_id; /* ids of stack_store.bpf.h, 0 for none */
  __u64 user_stack_id;
  __u32 tgid;
  __u32 state; /* the OFFCPU_STATE_* bit it blocked in */
  char comm[KILN_COMM_LEN];
};

/* Value of the off-CPU counts map: the blocked time and the number of blocks under one key.
 * Its first field is the weight, as the __u64 of the on-CPU counts map (see RawStack). */
struct offcpu_total {
  __u64 blocked_ns;
  __u64 blocks;
};

/* Indexes of the per-CPU `offcpu_counters` array (the `counters` of stack_key.h count blocks
 * in KILN_SAMPLES and stack losses as for samples). */
enum offcpu_counter {
  OFFCPU_LOST_START_MAP_FULL, /* a blocking thread could not be remembered: block lost */
  OFFCPU_BELOW_MIN,           /* shorter than --min-block-us: filtered, not a loss */
  OFFCPU_ABOVE_MAX,           /* longer than --max-block-us: filtered, not a loss */
  OFFCPU_UNINTERRUPTIBLE_NS,  /* nanoseconds of the counted blocks spent in D state */
  OFFCPU_BLOCKED_AT_START,    /* threads already blocked when tracing started */
  OFFCPU_COUNTER_COUNT,
};

#endif
