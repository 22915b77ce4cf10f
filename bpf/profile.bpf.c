// SPDX-License-Identifier: GPL-2.0-only
/* kiln's on-CPU sampler: runs on each cpu-clock sample, records the kernel stack (the kernel's
 * unwinder, ORC here) and the user stack (frame pointers) of the interrupted task and counts
 * the sample under {tgid, pid, comm, kernel stack id, user stack id}. With dwarf_unwind, a user
 * thread's sample goes to the user_stacks ring buffer instead, with a copy of its user registers
 * and stack, for user space to unwind and count. Every sample that cannot be recorded whole is
 * counted by reason in `counters`. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "process_events.bpf.h"
#include "stack_key.h"
#include "stack_store.bpf.h"
#include "target_filter.bpf.h"
#include "user_stack_copy.bpf.h"

/* --unwind dwarf: user stacks are copied for user space (user_stack_copy.bpf.h). */
const volatile bool dwarf_unwind = false;

/* Sized by user space like `stacks`. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, struct kiln_stack_key);
  __type(value, __u64);
} counts SEC(".maps");

/* Whether the sampled task was interrupted in user mode. On x86 the low two bits of the saved
 * code segment are the privilege level, 3 in user mode; the context allows only 8-byte reads
 * of its registers. Elsewhere: false, and the kernel stack is always asked for. */
static __always_inline bool sampled_in_user_mode(struct bpf_perf_event_data* ctx) {
#if defined(__TARGET_ARCH_x86)
  return (*(volatile __u64*)&ctx->regs.cs & 3) == 3;
#else
  return false;
#endif
}

/* bpf_get_current_task_btf (Linux 5.11) reads task fields with plain loads, about 60 ns a
 * sample less than a bpf_probe_read_kernel call; on older kernels libbpf resolves the helper's
 * existence to false and the verifier drops that branch. */
static __always_inline bool current_is_kernel_thread(void) {
  if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf))
    return bpf_get_current_task_btf()->flags & KILN_PF_KTHREAD;
  return BPF_CORE_READ((struct task_struct*)bpf_get_current_task(), flags) & KILN_PF_KTHREAD;
}

SEC("perf_event")
int kiln_sample(struct bpf_perf_event_data* ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  __u32 pid = (__u32)id;
  if (!kiln_is_target(tgid, pid, bpf_get_smp_processor_id())) return 0;
  kiln_count(KILN_SAMPLES);

  struct kiln_stack_key key = {.tgid = tgid, .pid = pid};
  bpf_get_current_comm(key.comm, sizeof(key.comm));
  /* The kernel's unwinder finds nothing in a user-mode sample: do not call it. */
  if (!sampled_in_user_mode(ctx) && !kiln_store_stack(ctx, 0, &key.kernel_stack_id)) return 0;

  const bool user_process = pid != 0 && !current_is_kernel_thread();
  if (user_process && dwarf_unwind) {
    struct task_struct* task = bpf_get_current_task_btf();
    struct kiln_user_stack_record* record = kiln_copy_user_stack(
        task, (struct pt_regs*)bpf_task_pt_regs(task), KILN_RECORD_SAMPLE, tgid, pid);
    if (!record) return 0;
    __builtin_memcpy(record->comm, key.comm, KILN_COMM_LEN);
    record->kernel_stack_id = key.kernel_stack_id;
    kiln_announce_process(tgid);
    kiln_submit_user_record(record);
    return 0;
  }
  if (!user_process)
    kiln_count(KILN_NO_USER_STACK);
  else if (!kiln_store_stack(ctx, BPF_F_USER_STACK, &key.user_stack_id))
    return 0;

  __u64* value = bpf_map_lookup_elem(&counts, &key);
  if (value) {
    __sync_fetch_and_add(value, 1);
    return 0;
  }
  /* A process first seen, or seen after an exec, has new keys: announcing it here keeps the
   * announcement's own lookup off the path of the samples whose key is known. */
  if (user_process) kiln_announce_process(tgid);
  __u64 one = 1;
  long err = bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
  if (err == -KILN_EEXIST) {
    /* Another CPU inserted the same key meanwhile. */
    value = bpf_map_lookup_elem(&counts, &key);
    if (value) __sync_fetch_and_add(value, 1);
  } else if (err) {
    kiln_count_lost_key(err);
  }
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
