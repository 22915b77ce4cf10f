// Recorded stacks before symbolization: addresses as the kernel (or the unwinder) gave them,
// by thread, with their weight in the unit the recording measured, read from the BPF maps.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace kiln::record {

// A recorded stack of one thread: addresses innermost first.
struct RawStack {
  uint32_t tgid = 0;
  uint32_t pid = 0;
  std::string comm;
  std::vector<uint64_t> user;
  std::vector<uint64_t> kernel;
  uint64_t weight = 0;     // in RawProfile::unit
  uint64_t events = 0;     // samples, or blocks off CPU
  bool truncated = false;  // the user stack was not unwound to its root (--unwind dwarf)
  uint32_t state = 0;      // off-CPU: the OFFCPU_STATE_* bit it left the CPU in; 0 on-CPU
};

// What RawStack::weight counts.
enum class RawUnit { kSamples, kNanoseconds };

struct RawProfile {
  std::vector<RawStack> stacks;
  RawUnit unit = RawUnit::kSamples;
  uint64_t total_weight() const;  // in `unit`
  // A stack's weight in the unit of the Profile made of it: samples as they are, nanoseconds as
  // microseconds rounded per stack (folded stacks of blocked time are read in microseconds).
  uint64_t profile_weight(const RawStack& stack) const;
  // The Profile's count_name for that unit: "samples" or "us".
  const char* profile_unit() const;
};

// Stacks of the `stacks` map of bpf/stack_store.bpf.h by id, each read once however many
// keys share it. While recording, move_from_map() takes every stack out of the map into this
// reader, so that a long recording does not fill the map: an id is a hash of the addresses,
// and the BPF programs store a stack taken out again under the same id when it recurs.
class StackReader {
 public:
  explicit StackReader(int stacks_fd) : fd_(stacks_fd) {}
  // Addresses innermost first; empty for id 0 or a stack that is not there.
  const std::vector<uint64_t>& read(uint64_t id);
  // Moves every stack of the map into this reader (deleted from the map). Returns how many;
  // 0 also on a kernel without batch operations on hash maps (before 5.6): the map then fills
  // as it would without, its losses counted.
  size_t move_from_map();
  // Forgets the stacks taken out before the last move_from_map that are not in `referenced`:
  // what the counts kept refer to. Those of the last move stay, as samples counted after this
  // may have found them in the map just before they were taken out.
  void keep_only(const std::unordered_set<uint64_t>& referenced);
  size_t size() const { return cache_.size(); }

 private:
  struct Stack {
    std::vector<uint64_t> addresses;
    uint64_t move = 0;  // the move_from_map that took it out (or after which it was read)
  };
  int fd_;
  uint64_t moves_ = 0;
  std::unordered_map<uint64_t, Stack> cache_;
};
// The stack ids that the keys of a counts map keyed by kiln_stack_key refer to.
void add_referenced_stacks(int counts_fd, std::unordered_set<uint64_t>& ids);
// Reads every {key -> value} of a counts map keyed by kiln_stack_key, resolving stack ids
// through `stacks`. A value is the weight (__u64 samples), or {weight, events} (offcpu_total of
// bpf/offcpu.h); with the weight alone, events = weight. The profile's unit is `unit`.
RawProfile drain_stack_counts(int counts_fd, StackReader& stacks, RawUnit unit);
// As drain_stack_counts, for the keys of the processes `tgids` only, which are deleted from the
// map: the counts of processes that have exited, taken out while recording so that the map
// holds those of the processes alive.
RawProfile take_stack_counts(int counts_fd, StackReader& stacks, RawUnit unit,
                             const std::set<uint32_t>& tgids);

}  // namespace kiln::record
