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

struct vma_end {
  __u64 end;
};

static long remember_vma_end(struct task_struct* task, struct vm_area_struct* vma, void* data) {
  ((struct vma_end*)data)->end = vma->vm_end;
  return 0;
}

#define KILN_PAGE 4096

/* Copies the stack from SP up to the end of its mapping (a read past it would fail whole), at
 * most user_stack_size bytes, into DST; returns the bytes copied. */
static __always_inline __u32 copy_stack(struct task_struct* task, __u8* dst, __u64 sp) {
  struct vma_end vma = {};
  if (bpf_find_vma(task, sp, remember_vma_end, &vma, 0) == 0 && vma.end > sp) {
    __u32 size = vma.end - sp < user_stack_size ? vma.end - sp : user_stack_size;
    return bpf_probe_read_user(dst, size, (void*)sp) == 0 ? size : 0;
  }
  /* The mapping could not be looked up (its lock is taken, or another BPF program holds the
   * unlock work of this CPU): page by page, up to the first that cannot be read. */
  __u32 done = KILN_PAGE - (sp & (KILN_PAGE - 1));
  if (done > user_stack_size) done = user_stack_size;
  if (bpf_probe_read_user(dst, done, (void*)sp) != 0) return 0;
  for (int i = 0; i < KILN_MAX_STACK_COPY / KILN_PAGE; ++i) {
    if (done > user_stack_size - KILN_PAGE) break;
    if (bpf_probe_read_user(dst + done, KILN_PAGE, (void*)(sp + done)) != 0) break;
    done += KILN_PAGE;
  }
  return done;
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
  record->stack_size = copy_stack(task, record->stack, r[KILN_DWARF_SP]);
  /* Unreadable (not resident): the leaf frame alone can still be named from the registers. */
  if (record->stack_size == 0) kiln_count(KILN_USER_STACK_UNREADABLE);
  return record;
}

#endif
