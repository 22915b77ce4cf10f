// SPDX-License-Identifier: GPL-2.0-only
/* kiln's on-CPU sampler: runs on each cpu-clock sample, records the kernel stack (the kernel's
 * unwinder, ORC here) and the user stack (frame pointers) of the interrupted task and counts
 * the sample under {tgid, pid, comm, kernel stack id, user stack id}. Every sample that cannot
 * be recorded whole is counted by reason in `counters`. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "process_events.bpf.h"
#include "stack_key.h"
#include "target_filter.bpf.h"

#define EEXIST 17
#define ENOMEM 12
#define EFAULT 14
#define PF_KTHREAD 0x00200000

/* Sizes are set by user space from the frequency, CPU count and duration. */
struct {
  __uint(type, BPF_MAP_TYPE_STACK_TRACE);
  __uint(max_entries, 16384);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, KILN_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, struct kiln_stack_key);
  __type(value, __u64);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, KILN_COUNTER_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 counter) {
  __u64* value = bpf_map_lookup_elem(&counters, &counter);
  if (value) *value += 1;
}

/* Returns false when the sample is lost (the reason is counted). */
static __always_inline bool stack_id_usable(long id) {
  if (id >= 0 || id == -EFAULT) return true;
  if (id == -EEXIST)
    count(KILN_LOST_STACK_COLLISION);
  else if (id == -ENOMEM)
    count(KILN_LOST_STACK_MAP_FULL);
  else
    count(KILN_LOST_OTHER);
  return false;
}

SEC("perf_event")
int kiln_sample(struct bpf_perf_event_data* ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  __u32 pid = (__u32)id;
  if (!kiln_is_target(tgid, pid, bpf_get_smp_processor_id())) return 0;
  count(KILN_SAMPLES);

  struct kiln_stack_key key = {.tgid = tgid, .pid = pid};
  bpf_get_current_comm(key.comm, sizeof(key.comm));

  /* -EFAULT for the kernel stack means the sample hit user mode: no kernel frames. */
  long kernel_id = bpf_get_stackid(ctx, &stacks, 0);
  if (!stack_id_usable(kernel_id)) return 0;
  key.kernel_stack_id = kernel_id;

  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  if (pid == 0 || (BPF_CORE_READ(task, flags) & PF_KTHREAD)) {
    count(KILN_NO_USER_STACK);
    key.user_stack_id = -1;
  } else {
    long user_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
    if (!stack_id_usable(user_id)) return 0;
    if (user_id < 0) count(KILN_USER_STACK_UNREADABLE);
    key.user_stack_id = user_id;
    kiln_announce_process(tgid);
  }

  __u64* value = bpf_map_lookup_elem(&counts, &key);
  if (value) {
    __sync_fetch_and_add(value, 1);
    return 0;
  }
  __u64 one = 1;
  long err = bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
  if (err == -EEXIST) {
    /* Another CPU inserted the same key meanwhile. */
    value = bpf_map_lookup_elem(&counts, &key);
    if (value) __sync_fetch_and_add(value, 1);
  } else if (err) {
    count(KILN_LOST_COUNTS_MAP_FULL); /* -E2BIG: no room for a new key */
  }
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
