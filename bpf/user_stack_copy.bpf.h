/* SPDX-License-Identifier: GPL-2.0-only */
/* Copies the current thread's user registers and the top of its user stack into the
 * `user_stacks` ring buffer (the contract of user_stack.h), for user space to unwind. */
#ifndef KILN_USER_STACK_COPY_BPF_H
#define KILN_USER_STACK_COPY_BPF_H

#include "stack_store.bpf.h"
#include "user_stack.h"

/* Bytes of stack copied per record (--stack-size), a multiple of 8 up to KILN_MAX_STACK_COPY;
 * read-only, so the verifier knows it as a constant. */
const volatile __u32 user_stack_size = 16384;

/* Sized by user space. */
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 8 * 1024 * 1024);
} user_stacks SEC(".maps");

struct vma_end {
  __u64 end;
};

static long remember_vma_end(struct task_struct* task, struct vm_area_struct* vma, void* data) {
  ((struct vma_end*)data)->end = vma->vm_end;
  return 0;
}

/* Bytes of stack to copy from SP: up to the end of its mapping (a read past it would fail
 * whole), at most user_stack_size. Where the mapping cannot be looked up (its lock is taken),
 * the whole size is tried. */
static __always_inline __u32 stack_bytes(struct task_struct* task, __u64 sp) {
  struct vma_end vma = {};
  if (bpf_find_vma(task, sp, remember_vma_end, &vma, 0) == 0 && vma.end > sp &&
      vma.end - sp < user_stack_size)
    return vma.end - sp;
  return user_stack_size;
}

/* Reserves a record of KIND for the current thread (TGID, PID) and fills its registers and
 * stack from REGS, the thread's user registers. Returns false when the record is lost, the
 * reason counted. The caller fills comm and kernel_stack_id, then submits. */
static __always_inline struct kiln_user_stack_record* kiln_copy_user_stack(
    struct task_struct* task, struct pt_regs* regs, __u32 kind, __u32 tgid, __u32 pid) {
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
  __u32 size = stack_bytes(task, r[KILN_DWARF_SP]);
  if (size > user_stack_size) size = user_stack_size;
  if (bpf_probe_read_user(record->stack, size, (void*)r[KILN_DWARF_SP]) != 0) {
    /* Unreadable (not resident, or the whole size past the mapping's end): the leaf frame
     * alone can still be named from the registers. */
    kiln_count(KILN_USER_STACK_UNREADABLE);
    size = 0;
  }
  record->stack_size = size;
  return record;
}

#endif
