/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* The contract of DWARF unwinding (`kiln record --unwind dwarf`): instead of walking user stacks
 * by frame pointers in the kernel, the BPF programs copy a thread's user registers and the top
 * of its user stack into the `user_stacks` ring buffer, and user space unwinds the copy with the
 * binaries' call frame information. Shared by user_stack_copy.bpf.h and record/. */
#ifndef KILN_USER_STACK_H
#define KILN_USER_STACK_H

#include "stack_key.h"

/* The registers of x86-64 in DWARF numbering (rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, r8-r15,
 * then the return address column rip): what an unwinder's initial frame needs. */
#define KILN_USER_REGS 17
#define KILN_DWARF_SP 7
#define KILN_DWARF_IP 16
/* The largest copy --stack-size may ask for (perf allows 65528). */
#define KILN_MAX_STACK_COPY 65536

enum kiln_user_record_kind {
  KILN_RECORD_SAMPLE = 1, /* an on-CPU sample: weight 1 */
  KILN_RECORD_SWITCH_OUT, /* a thread blocked: its stack, kept until its block ends */
  KILN_RECORD_BLOCK_END,  /* a counted block (kiln_block_record) of the last SWITCH_OUT */
};

/* Header of SAMPLE and SWITCH_OUT records; `stack_size` bytes of stack from regs[SP] follow. */
struct kiln_user_stack_record {
  __u32 kind;
  __u32 tgid;
  __u32 pid;
  __u32 stack_size; /* bytes copied: the stack from SP up to its end, at most --stack-size */
  char comm[KILN_COMM_LEN];
  __u64 switch_out_ns;   /* SWITCH_OUT: when the block began (offcpu_start.timestamp_ns) */
  __u64 kernel_stack_id; /* in the `stacks` map of stack_store.bpf.h; 0 for none */
  __u64 regs[KILN_USER_REGS];
  __u8 stack[];
};

/* A block counted at switch-in (off-CPU): its thread's last SWITCH_OUT record holds the stack. */
struct kiln_block_record {
  __u32 kind;
  __u32 tgid;
  __u32 pid;
  __u32 state; /* OFFCPU_STATE_* it blocked in */
  char comm[KILN_COMM_LEN];
  __u64 kernel_stack_id;
  __u64 switch_out_ns; /* matches the SWITCH_OUT record that holds the thread's stack */
  __u64 blocked_ns;
};

#endif
