/* SPDX-License-Identifier: GPL-2.0-only */
/* Copies the current thread's user registers and the top of its user stack into the
 * `user_stacks` ring buffer (the contract of user_stack.h), for user space to unwind. */
#ifndef KILN_USER_STACK_COPY_BPF_H
#define KILN_USER_STACK_COPY_BPF_H

#include "stack_store.bpf.h"
#include "user_stack.h"

/* Bytes of stack copied per record (--stack-size), a multiple of the page size up to
 * KILN_MAX_STACK_COPY; read-only, so the verifier knows it as a constant. */
const volatile __u32 user_stack_size = 16384;

/* Sized by user space. */
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 8 * 1024 * 1024);
} user_stacks SEC(".maps");

/* Bytes waiting in user_stacks above which a record wakes user space (an eighth of the ring,
 * set by user space): a wake-up per record costs a context switch per sample or block, and
 * user space reads the ring on a short timer anyway. */
const volatile __u64 user_stacks_wakeup_bytes = 1024 * 1024;

static __always_inline void kiln_submit_user_record(void* record) {
  const __u64 waiting = bpf_ringbuf_query(&user_stacks, BPF_RB_AVAIL_DATA);
  bpf_ringbuf_submit(record,
                     waiting > user_stacks_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

struct vma_end {
  __u64 end;
};

static long remember_vma_end(struct task_struct* task, struct vm_area_struct* vma, void* data) {
  ((struct vma_end*)data)->end = vma->vm_end;
  return 0;
}

#define KILN_PAGE 4096

/* Copies the stack from SP up to the end of its mapping, at most user_stack_size bytes, into
 * DST; returns the bytes copied. One read where it can; a read fails whole on a page that is not
 * present, and a page near the top of a main thread's stack may never have been touched (the
 * random gap the kernel leaves below the arguments at exec): then page by page, up to the
 * first page that cannot be read, which is above every frame. */
static __always_inline __u32 copy_stack(struct task_struct* task, __u8* dst, __u64 sp) {
  struct vma_end vma = {};
  __u32 size = user_stack_size;
  /* Fails (-EBUSY) when the mapping's lock is taken or another BPF program on this CPU holds
   * the work that releases it: the whole size is tried. */
  if (bpf_find_vma(task, sp, remember_vma_end, &vma, 0) == 0 && vma.end > sp && vma.end - sp < size)
    size = vma.end - sp;
  if (bpf_probe_read_user(dst, size, (void*)sp) == 0) return size;
  __u32 done = KILN_PAGE - (sp & (KILN_PAGE - 1));
  if (done > size) done = size;
  if (bpf_probe_read_user(dst, done, (void*)sp) != 0) return 0;
  for (int i = 0; i < KILN_MAX_STACK_COPY / KILN_PAGE; ++i) {
    if (done + KILN_PAGE > size) break;
    __u32 offset = done;
    /* The bound is checked on the register the read uses: without the barrier the compiler
     * adds DST earlier, where the verifier cannot see the bound. */
    asm volatile("" : "+r"(offset));
    if (offset > user_stack_size - KILN_PAGE) break;
    if (bpf_probe_read_user(dst + offset, KILN_PAGE, (void*)(sp + offset)) != 0) break;
    done = offset + KILN_PAGE;
  }
  return done;
}

/* Reserves a record of KIND for the current thread (TGID, PID) and fills its registers and
 * stack from REGS, the thread's user registers. Returns false when the record is lost, the
 * reason counted. The caller fills comm and kernel_stack_id, then submits. */
static __always_inline struct kiln_user_stack_record* kiln_copy_user_stack(struct task_struct* task,
                                                                           struct pt_regs* regs,
                                                                           __u32 kind, __u32 tgid,
                                                                           __u32 pid) {
  struct kiln_user_stack_record* record =
      bpf_ringbuf_reserve(&user_stacks, sizeof(*record) + user_stack_size, 0);
  if (!record) {
    kiln_count(KILN_LOST_RINGBUF_FULL);
    return NULL;
  }
  record->kind = kind;
  record->tgid = tgid;
  record->pid = pid;
  record->kernel_stack_id = 0;
  record->switch_out_ns = 0;
  __u64* r = record->regs;
  r[0] = BPF_CORE_READ(regs, ax);
  r[1] = BPF_CORE_READ(regs, dx);
  r[2] = BPF_CORE_READ(regs, cx);
  r[3] = BPF_CORE_READ(regs, bx);
  r[4] = BPF_CORE_READ(regs, si);
  r[5] = BPF_CORE_READ(regs, di);
  r[6] = BPF_CORE_READ(regs, bp);
  r[7] = BPF_CORE_READ(regs, sp);
  r[8] = BPF_CORE_READ(regs, r8);
  r[9] = BPF_CORE_READ(regs, r9);
  r[10] = BPF_CORE_READ(regs, r10);
  r[11] = BPF_CORE_READ(regs, r11);
  r[12] = BPF_CORE_READ(regs, r12);
  r[13] = BPF_CORE_READ(regs, r13);
  r[14] = BPF_CORE_READ(regs, r14);
  r[15] = BPF_CORE_READ(regs, r15);
  r[16] = BPF_CORE_READ(regs, ip);
  record->stack_size = copy_stack(task, record->stack, r[KILN_DWARF_SP]);
  /* Unreadable (not resident): the leaf frame alone can still be named from the registers. */
  if (record->stack_size == 0) kiln_count(KILN_USER_STACK_UNREADABLE);
  return record;
}

#endif
