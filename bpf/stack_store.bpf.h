/* SPDX-License-Identifier: GPL-2.0-only */
/* Stack storage shared by kiln's BPF programs: stacks are stored in a hash map under a 64-bit
 * hash of their addresses. A BPF_MAP_TYPE_STACK_TRACE map has one slot per bucket and drops
 * a stack whose bucket is taken (-EEXIST): with thousands of distinct stacks, as on a busy
 * machine, that lost 15% of the samples. A hash map chains and fails only when full. It is
 * preallocated: allocating on use fails (-ENOMEM) in bursts of new stacks in interrupt
 * context, such as the first samples. Also holds the per-CPU counters of bpf/stack_key.h. */
#ifndef KILN_STACK_STORE_BPF_H
#define KILN_STACK_STORE_BPF_H

#include "stack_key.h"

#define KILN_E2BIG 7
#define KILN_EEXIST 17
#define KILN_ENOMEM 12
#define KILN_PF_KTHREAD 0x00200000 /* task_struct.flags: a kernel thread (no user stack) */

struct kiln_stack {
  __u64 addresses[KILN_MAX_STACK_DEPTH];
};

/* Sizes are set by user space (stack_map_entries). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64);
  __type(value, struct kiln_stack);
} stacks SEC(".maps");

/* bpf_get_stack needs a buffer larger than the BPF stack allows. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct kiln_stack);
} stack_scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, KILN_COUNTER_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

/* Adds AMOUNT to entry INDEX of a per-CPU array of __u64 counters. */
static __always_inline void kiln_add_in(void* array, __u32 index, __u64 amount) {
  __u64* value = bpf_map_lookup_elem(array, &index);
  if (value) *value += amount;
}

static __always_inline void kiln_count(__u32 counter) {
  kiln_add_in(&counters, counter, 1);
}

/* A new counts key was not inserted (ERR from bpf_map_update_elem): its sample is lost. */
static __always_inline void kiln_count_lost_key(long err) {
  kiln_count(err == -KILN_ENOMEM ? KILN_LOST_ALLOCATION : KILN_LOST_COUNTS_MAP_FULL);
}

/* Stores the stack of SIZE bytes (> 0) in the scratch buffer under a hash of its addresses
 * and sets *id to it. Returns false when it is lost, the reason counted (*id stays 0). */
static __always_inline bool kiln_store_scratch(struct kiln_stack* stack, long size, __u64* id) {
  /* bpf_get_stack and bpf_get_task_stack zero the rest of the buffer: equal stacks give equal
   * values. */
  __u32 depth = size / sizeof(__u64);
  __u64 hash = 14695981039346656037ull; /* FNV-1a over the addresses */
  for (__u32 i = 0; i < KILN_MAX_STACK_DEPTH; ++i) {
    if (i >= depth) break;
    hash = (hash ^ stack->addresses[i]) * 1099511628211ull;
  }
  hash |= 1; /* 0 means "no stack" */
  /* Most stacks are stored already: a lookup takes no bucket lock, an update does. */
  if (bpf_map_lookup_elem(&stacks, &hash)) {
    *id = hash;
    return true;
  }
  long err = bpf_map_update_elem(&stacks, &hash, stack, BPF_NOEXIST);
  if (err && err != -KILN_EEXIST) {
    kiln_count(err == -KILN_E2BIG    ? KILN_LOST_STACK_MAP_FULL
               : err == -KILN_ENOMEM ? KILN_LOST_ALLOCATION
                                     : KILN_LOST_OTHER);
    return false;
  }
  *id = hash;
  return true;
}

static __always_inline struct kiln_stack* kiln_scratch_stack(void) {
  __u32 zero = 0;
  struct kiln_stack* stack = bpf_map_lookup_elem(&stack_scratch, &zero);
  if (!stack) kiln_count(KILN_LOST_OTHER);
  return stack;
}

/* Stores the current kernel (flags 0) or user (BPF_F_USER_STACK) stack and sets *id to its
 * hash, or to 0 when there is no such stack (a sample in user mode has no kernel frames; an
 * unwalkable user stack is counted). Returns false when the sample is lost, the reason
 * counted. */
static __always_inline bool kiln_store_stack(void* ctx, __u64 flags, __u64* id) {
  *id = 0;
  struct kiln_stack* stack = kiln_scratch_stack();
  if (!stack) return false;
  long size = bpf_get_stack(ctx, stack->addresses, sizeof(stack->addresses), flags);
  if (size <= 0) {
    if (size < 0 && (flags & BPF_F_USER_STACK)) kiln_count(KILN_USER_STACK_UNREADABLE);
    return true;
  }
  return kiln_store_scratch(stack, size, id);
}

/* The same for the kernel stack of TASK, which is not running (the user stack of another task
 * cannot be read). */
static __always_inline bool kiln_store_task_stack(struct task_struct* task, __u64* id) {
  *id = 0;
  struct kiln_stack* stack = kiln_scratch_stack();
  if (!stack) return false;
  long size = bpf_get_task_stack(task, stack->addresses, sizeof(stack->addresses), 0);
  return size <= 0 || kiln_store_scratch(stack, size, id);
}

#endif
