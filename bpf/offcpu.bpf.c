// SPDX-License-Identifier: GPL-2.0-only
/* Off-CPU time at sched_switch: when a target thread blocks, remember when and with which
 * stacks; when it runs again, add the time it was away to {thread, stacks}. One program per
 * attach type (tp_btf, and raw_tp for kernels without it); user space loads only one. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "offcpu.h"
#include "process_events.bpf.h"
#include "stack_key.h"
#include "stack_store.bpf.h"
#include "target_filter.bpf.h"
#include "user_stack_copy.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define TASK_DEAD_STATE 0x80 /* TASK_DEAD: the thread's last switch */

const volatile __u64 min_block_ns = 1000;
const volatile __u64 max_block_ns = ~0ULL;
const volatile __u32 state_mask = OFFCPU_STATE_INTERRUPTIBLE | OFFCPU_STATE_UNINTERRUPTIBLE;
const volatile bool include_kernel_threads = false;
/* --unwind dwarf (tp_btf only): a user thread's stack is copied at switch-out into user_stacks
 * and its counted blocks are sent there too, for user space to unwind and count. */
const volatile bool dwarf_unwind = false;

/* Sizes are set by user space before loading (and for `stacks` of stack_store.bpf.h). */
/* Blocked nanoseconds and blocks per thread and stacks. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, struct kiln_stack_key);
  __type(value, struct offcpu_total);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 32768);
  __type(key, __u32);
  __type(value, struct offcpu_start);
} start SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, OFFCPU_COUNTER_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} offcpu_counters SEC(".maps");

/* Kernels before 5.14 call the field `state`. */
struct task_struct___pre_5_14 {
  long state;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_state(struct task_struct* task) {
  if (bpf_core_field_exists(task->__state)) return BPF_CORE_READ(task, __state);
  return BPF_CORE_READ((struct task_struct___pre_5_14*)task, state);
}

static __always_inline bool is_blocked_state(__u32 state) {
  return (state & state_mask & OFFCPU_STATE_BLOCKED) != 0;
}

/* What the programs need of a task, read once. tp_btf and iterators get trusted task pointers
 * and read fields directly (plain loads); raw_tp must use bpf_probe_read_kernel (BPF_CORE_READ),
 * a helper call per field, which at every context switch adds up. */
struct task_facts {
  __u32 tgid;
  __u32 pid;
  bool kernel_thread;
};

#define TASK_FIELD(direct, task, field) ((direct) ? (task)->field : BPF_CORE_READ(task, field))

static __always_inline struct task_facts read_task(struct task_struct* task, bool direct) {
  struct task_facts facts = {.tgid = TASK_FIELD(direct, task, tgid),
                             .pid = TASK_FIELD(direct, task, pid),
                             .kernel_thread = TASK_FIELD(direct, task, flags) & KILN_PF_KTHREAD};
  return facts;
}

static __always_inline void read_comm(char* comm, struct task_struct* task, bool direct) {
  if (direct)
    __builtin_memcpy(comm, task->comm, KILN_COMM_LEN);
  else
    BPF_CORE_READ_STR_INTO((char(*)[KILN_COMM_LEN])comm, task, comm);
}

static __always_inline bool is_target(const struct task_facts* task, __u32 cpu) {
  if (!include_kernel_threads && task->kernel_thread) return false;
  return kiln_is_target(task->tgid, task->pid, cpu);
}

/* Returns the stack id, or 0 when there is none or it is lost (the reason is counted by
 * kiln_store_stack); the block itself is kept. */
static __always_inline __u64 stack_id(void* ctx, __u64 flags) {
  __u64 id = 0;
  kiln_store_stack(ctx, flags, &id);
  return id;
}

static __always_inline void add_to_total(struct offcpu_total* total, __u64 blocked) {
  __sync_fetch_and_add(&total->blocked_ns, blocked);
  __sync_fetch_and_add(&total->blocks, 1);
}

static __always_inline void add_block(struct task_struct* task, bool direct,
                                      const struct offcpu_start* start, __u64 blocked) {
  if (blocked < min_block_ns) {
    kiln_add_in(&offcpu_counters, OFFCPU_BELOW_MIN, 1);
    return;
  }
  if (blocked > max_block_ns) {
    kiln_add_in(&offcpu_counters, OFFCPU_ABOVE_MAX, 1);
    return;
  }
  kiln_count(KILN_SAMPLES);
  if (start->state & OFFCPU_STATE_UNINTERRUPTIBLE)
    kiln_add_in(&offcpu_counters, OFFCPU_UNINTERRUPTIBLE_NS, blocked);
  if (direct && dwarf_unwind && !(task->flags & KILN_PF_KTHREAD)) {
    struct kiln_block_record* block = bpf_ringbuf_reserve(&user_stacks, sizeof(*block), 0);
    if (!block) {
      kiln_count(KILN_LOST_RINGBUF_FULL);
      return;
    }
    block->kind = KILN_RECORD_BLOCK_END;
    block->tgid = task->tgid;
    block->pid = task->pid;
    block->state = start->state;
    read_comm(block->comm, task, direct);
    block->kernel_stack_id = start->kernel_stack_id;
    block->switch_out_ns = start->timestamp_ns;
    block->blocked_ns = blocked;
    kiln_announce_process(block->tgid);
    kiln_submit_user_record(block);
    return;
  }
  struct kiln_stack_key key = {};
  key.tgid = TASK_FIELD(direct, task, tgid);
  key.pid = TASK_FIELD(direct, task, pid);
  read_comm(key.comm, task, direct);
  key.kernel_stack_id = start->kernel_stack_id;
  key.user_stack_id = start->user_stack_id;
  key.state = start->state;

  struct offcpu_total* total = bpf_map_lookup_elem(&counts, &key);
  if (total) {
    add_to_total(total, blocked);
    return;
  }
  /* A process first seen, or seen after an exec, has new keys: announcing it here keeps the
   * announcement's own lookup off the path of the blocks whose key is known. */
  if (!(TASK_FIELD(direct, task, flags) & KILN_PF_KTHREAD)) kiln_announce_process(key.tgid);
  const struct offcpu_total first = {.blocked_ns = blocked, .blocks = 1};
  long err = bpf_map_update_elem(&counts, &key, &first, BPF_NOEXIST);
  if (err == -KILN_EEXIST) {
    /* Another CPU inserted the same key meanwhile. */
    total = bpf_map_lookup_elem(&counts, &key);
    if (total) add_to_total(total, blocked);
  } else if (err) {
    kiln_count_lost_key(err);
  }
}

/* `next`'s wake-up is accounted first, at one clock reading; `prev` is blocked only from after
 * its stacks are taken: the tracepoint's own time is never counted as blocked. A thread keeps
 * its `start` entry while it lives (timestamp 0 while it runs): filling it in place and clearing
 * its timestamp takes no bucket lock and no allocation, where an update and a delete per block
 * took about 140 ns more per switch. The entry goes at the thread's last switch. */
static __always_inline int on_switch(void* ctx, bool direct, bool preempt, struct task_struct* prev,
                                     struct task_struct* next, __u32 prev_state) {
  const __u64 now = bpf_ktime_get_ns();
  const __u32 next_tid = TASK_FIELD(direct, next, pid);
  struct offcpu_start* blocked = bpf_map_lookup_elem(&start, &next_tid);
  if (blocked && blocked->timestamp_ns) {
    const struct offcpu_start copy = *blocked;
    blocked->timestamp_ns = 0;
    if (copy.timestamp_ns < now) add_block(next, direct, &copy, now - copy.timestamp_ns);
  }

  if (prev_state & TASK_DEAD_STATE) {
    const __u32 prev_tid = TASK_FIELD(direct, prev, pid);
    bpf_map_delete_elem(&start, &prev_tid);
    return 0;
  }
  /* A preempted task is still runnable: it waits for a CPU, it is not blocked. Its wait is
   * counted only when asked for (--wall). */
  const __u32 state =
      preempt || prev_state == 0 ? OFFCPU_STATE_RUNNABLE : prev_state & OFFCPU_STATE_BLOCKED;
  if (!(state & state_mask)) return 0;
  const struct task_facts task = read_task(prev, direct);
  if (!is_target(&task, bpf_get_smp_processor_id())) return 0;
  struct offcpu_start entry = {.tgid = task.tgid, .state = state};
  read_comm(entry.comm, prev, direct);
  entry.kernel_stack_id = stack_id(ctx, 0);
  struct kiln_user_stack_record* copy = NULL;
  if (task.kernel_thread) {
    kiln_count(KILN_NO_USER_STACK);
    entry.user_stack_id = 0;
  } else if (direct && dwarf_unwind) {
    /* Copied now, while the thread's memory is the current one; unwound only if the block is
     * counted. A lost copy leaves the block with its kernel stack. */
    entry.user_stack_id = 0;
    copy = kiln_copy_user_stack(prev, (struct pt_regs*)bpf_task_pt_regs(prev),
                                KILN_RECORD_SWITCH_OUT, task.tgid, task.pid);
  } else {
    entry.user_stack_id = stack_id(ctx, BPF_F_USER_STACK);
  }
  entry.timestamp_ns = bpf_ktime_get_ns();
  if (copy) {
    __builtin_memcpy(copy->comm, entry.comm, KILN_COMM_LEN);
    copy->kernel_stack_id = entry.kernel_stack_id;
    copy->switch_out_ns = entry.timestamp_ns;
    kiln_submit_user_record(copy);
  }
  struct offcpu_start* slot = bpf_map_lookup_elem(&start, &task.pid);
  if (slot)
    *slot = entry;
  else if (bpf_map_update_elem(&start, &task.pid, &entry, BPF_ANY))
    kiln_add_in(&offcpu_counters, OFFCPU_LOST_START_MAP_FULL, 1);
  return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu_switch_btf, bool preempt, struct task_struct* prev, struct task_struct* next,
             unsigned int prev_state) {
  return on_switch(ctx, true, preempt, prev, next, prev_state);
}

/* raw_tp arguments on old kernels stop at `next`: read the state from the task instead. */
SEC("raw_tp/sched_switch")
int BPF_PROG(offcpu_switch_raw, bool preempt, struct task_struct* prev, struct task_struct* next) {
  return on_switch(ctx, false, preempt, prev, next, task_state(prev));
}

/* Run once after attaching: remembers the threads that are blocked already, with their kernel
 * stack, so that the time from the start of tracing to their first wake-up is counted. */
SEC("iter/task")
int offcpu_seed_blocked(struct bpf_iter__task* ctx) {
  struct task_struct* task = ctx->task;
  if (!task) return 0;
  const __u32 state = task_state(task);
  if (!is_blocked_state(state)) return 0;
  const struct task_facts facts = read_task(task, false);
  if (!is_target(&facts, BPF_CORE_READ(task, thread_info.cpu))) return 0;
  /* A thread that blocked after attaching has its real stacks recorded already. */
  if (bpf_map_lookup_elem(&start, &facts.pid)) return 0;
  struct offcpu_start entry = {.tgid = facts.tgid,
                               .state = state & state_mask & OFFCPU_STATE_BLOCKED};
  read_comm(entry.comm, task, false);
  kiln_store_task_stack(task, &entry.kernel_stack_id);
  entry.timestamp_ns = bpf_ktime_get_ns();
  if (bpf_map_update_elem(&start, &facts.pid, &entry, BPF_NOEXIST)) return 0;
  kiln_add_in(&offcpu_counters, OFFCPU_BLOCKED_AT_START, 1);
  if (!facts.kernel_thread) kiln_announce_process(facts.tgid);
  return 0;
}
