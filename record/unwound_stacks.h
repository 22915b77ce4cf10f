// --unwind dwarf: the user stacks that the BPF programs copy (bpf/user_stack.h), unwound by
// kiln as they arrive and counted by stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bpf/user_stack.h"
#include "record/bpf_ring.h"
#include "record/raw_profile.h"
#include "record/unwind_counters.h"
#include "unwind/unwind.h"

struct bpf_map;

namespace kiln::record {

// Consumes the user_stacks ring buffer of bpf/user_stack.h while recording: unwinds each
// sample's (or each counted block's) user stack and counts the stacks it gives.
class UnwoundStacks {
 public:
  UnwoundStacks(bpf_map* user_stacks, unwind::UserStackUnwinder& unwinder);
  int epoll_fd() const { return ring_.epoll_fd(); }
  void consume() { ring_.consume(); }
  // Adds the counted stacks to `profile`, their kernel stacks read through `stacks`.
  void drain_into(RawProfile& profile, StackReader& stacks);
  // The same for the stacks of the processes `tgids` alone, which are no longer counted here.
  void drain_processes_into(const std::set<uint32_t>& tgids, RawProfile& profile,
                            StackReader& stacks);
  // While recording, once `stacks` took the stacks out of the BPF map (move_from_map): counts
  // what the ring holds, then forgets the stacks that neither the counts here nor `referenced`
  // refer to. `referenced`: what the BPF maps refer to, read before this, so that a stack
  // whose id left a BPF map for the ring meanwhile is in the counts by now.
  void keep_referenced_stacks(StackReader& stacks, std::unordered_set<uint64_t> referenced);
  const UnwindCounters& counters() const { return counters_; }
  // Off-CPU: whether thread `tid` has the stack copied when it blocked at `switch_out_ns`.
  bool has_copy(uint32_t tid, uint64_t switch_out_ns) const;
  // Counts a block of `tid` with the stack copied at its switch-out; without one (lost, or the
  // thread was blocked before tracing began) with its kernel stack only, as truncated.
  void count_block(const kiln_block_record& block);

 private:
  struct Key {
    uint32_t tgid = 0;
    uint32_t pid = 0;
    uint64_t kernel_stack_id = 0;
    std::string comm;
    std::vector<uint64_t> user;
    bool truncated = false;
    uint32_t state = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& key) const;
  };
  struct Weights {
    uint64_t weight = 0;
    uint64_t events = 0;
  };
  static int on_record(void* self, void* data, size_t size);
  static void append(const Key& key, const Weights& weights, RawProfile& profile,
                     StackReader& stacks);
  void count(const kiln_user_stack_record& record, size_t size, uint64_t weight,
             uint64_t kernel_stack_id, const char* comm, uint32_t state);
  // Counts `weight` under the stack in scratch_.user with these other parts of its key.
  void add(uint32_t tgid, uint32_t pid, uint64_t kernel_stack_id, const char* comm, uint32_t state,
           bool truncated, uint64_t weight);
  unwind::UserStackUnwinder& unwinder_;
  UnwindCounters counters_;
  std::unordered_map<Key, Weights, KeyHash> counts_;
  std::unordered_map<uint32_t, std::vector<uint8_t>> switched_out_;  // tid -> its last SWITCH_OUT
  Key scratch_;
  BpfRing ring_;  // last: destroyed first, its callback uses the members above
};

}  // namespace kiln::record
