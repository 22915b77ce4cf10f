// Off-CPU tracing (bpf/offcpu.bpf.c at sched_switch): the time threads spend blocked, by the
// stack they blocked in, as a recorder.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "bpf/offcpu.h"
#include "record/bpf_links.h"
#include "record/recorder.h"
#include "record/target_filter.h"
#include "record/unwound_stacks.h"

struct offcpu_bpf;

namespace kiln::record {

// What `kiln record --off-cpu` measures: time threads spend blocked, by the stack they blocked in.
struct OffCpuOptions {
  double duration_seconds = 0;  // 0: until a signal or the command exits
  uint64_t min_block_us = 1;    // shorter blocks are not counted
  uint64_t max_block_us = 0;    // 0: no limit; longer blocks are not counted
  uint32_t states = OFFCPU_STATE_INTERRUPTIBLE | OFFCPU_STATE_UNINTERRUPTIBLE;
  bool include_kernel_threads = false;
  bool raw_tracepoint = false;             // use raw_tp/sched_switch even where tp_btf exists
  uint32_t stack_map_size = 0;             // 0: 32768 entries
  UnwindMode unwind = UnwindMode::kDwarf;  // kDwarf needs tp_btf; raw_tp walks frame pointers
  uint32_t stack_size = 16384;             // --unwind dwarf: user stack bytes copied per block
  uint32_t ring_size = 8 * 1024 * 1024;    // --unwind dwarf: bytes of the user_stacks ring
  bool progress = false;                   // live progress line on stderr
  // With kDwarf: the stacks of processes that exit are handed over to it while recording
  // (SessionOptions::exited); nullptr: all are kept until the end.
  ExitedStacks* exited = nullptr;
};

// Accounting of off-CPU blocks beyond the shared SampleCounters (where `samples` are blocks).
struct OffCpuCounters {
  uint64_t lost_start_map_full = 0;   // blocks lost: the thread could not be remembered
  uint64_t below_min = 0;             // blocks shorter than --min-block-us (filtered)
  uint64_t above_max = 0;             // blocks longer than --max-block-us (filtered)
  uint64_t blocked_at_start = 0;      // threads already blocked when tracing started
  uint64_t still_blocked_at_end = 0;  // blocks in progress at the end, counted up to it
  uint64_t uninterruptible_ns = 0;    // of the blocked time, that in D state
};

// bpf/offcpu.bpf.c loaded for a target filter: on tp_btf/sched_switch, or raw_tp/sched_switch
// when the kernel has no BTF tracepoints (or `options.raw_tracepoint`). With `unwinder` and
// options.unwind kDwarf (tp_btf only), user stacks are copied at switch-out and unwound by
// `unwinder` as the blocks are counted. Throws EnvironmentError when it cannot be loaded or
// attached; detaches on destruction.
class OffCpuTracer final : public Recorder {
 public:
  OffCpuTracer(const TargetFilter& filter, const OffCpuOptions& options,
               unwind::UserStackUnwinder* unwinder = nullptr);
  ~OffCpuTracer() override;
  OffCpuTracer(const OffCpuTracer&) = delete;
  OffCpuTracer& operator=(const OffCpuTracer&) = delete;

  bool uses_raw_tracepoint() const { return raw_tracepoint_; }
  bpf_map* new_processes() const override;
  // Attaches, then (with `targets_running`) remembers the targets that are blocked already, so
  // their time from now to their first wake-up counts, under their kernel stack.
  void attach(bool targets_running) override;
  std::vector<EventSource> sources() override;
  // Detaches and counts the blocks still in progress up to now.
  void detach() override;
  uint64_t events_so_far() const override;  // blocks
  SampleCounters counters() const override;
  OffCpuCounters offcpu_counters() const;
  UnwindCounters unwinding() const override;
  // Blocked nanoseconds by thread and stack; RawStack::events counts the blocks.
  RawProfile drain() override;
  RawProfile drain_processes(const std::set<uint32_t>& tgids) override;
  RawProfile take_counted_stacks() override;  // --unwind dwarf
  void empty_stack_map() override;

 private:
  void seed();
  void count_still_blocked(uint64_t end_ns);
  // Calls `visit` with each thread's entry of the `start` map (its last switch-out).
  void for_each_start(
      const std::function<void(uint32_t tid, const offcpu_start& entry)>& visit) const;
  offcpu_bpf* skeleton_ = nullptr;
  std::unique_ptr<Links> links_;
  std::optional<UnwoundStacks> unwound_;
  std::optional<StackReader> stacks_;  // of the `stacks` map, for the whole recording
  bool raw_tracepoint_ = false;
  bool btf_tracing_ = false;  // the kernel has BTF tracepoints (tp_btf, iterators)
  bool follow_children_ = false;
  uint64_t min_block_ns_ = 0, max_block_ns_ = 0;
  uint64_t still_blocked_at_end_ = 0, uninterruptible_ns_at_end_ = 0;
};

}  // namespace kiln::record
