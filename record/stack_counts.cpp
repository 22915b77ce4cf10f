// Drains a counts map keyed by kiln_stack_key, resolving stack ids through the stacks map,
// into a RawProfile.
#include <bpf/bpf.h>

#include <cstring>

#include "bpf/offcpu.h"
#include "bpf/stack_key.h"
#include "record/raw_profile.h"

namespace kiln::record {

uint64_t RawProfile::total_weight() const {
  uint64_t total = 0;
  for (const RawStack& stack : stacks) total += stack.weight;
  return total;
}

uint64_t RawProfile::profile_weight(const RawStack& stack) const {
  return unit == RawUnit::kNanoseconds ? (stack.weight + 500) / 1000 : stack.weight;
}

const char* RawProfile::profile_unit() const {
  return unit == RawUnit::kNanoseconds ? "us" : "samples";
}

const std::vector<uint64_t>& StackReader::read(uint64_t id) {
  static const std::vector<uint64_t> kNone;
  if (id == 0) return kNone;
  auto [it, inserted] = cache_.try_emplace(id);
  if (inserted) {
    uint64_t addresses[KILN_MAX_STACK_DEPTH] = {};
    if (bpf_map_lookup_elem(fd_, &id, addresses) == 0)
      for (uint64_t address : addresses) {
        if (address == 0) break;
        it->second.push_back(address);
      }
  }
  return it->second;
}

RawProfile drain_stack_counts(int counts_fd, StackReader& stacks, RawUnit unit) {
  RawProfile profile;
  profile.unit = unit;
  kiln_stack_key key{}, next{};
  bool first = true;
  while (bpf_map_get_next_key(counts_fd, first ? nullptr : &key, &next) == 0) {
    first = false;
    key = next;
    uint64_t value[2] = {};  // {weight} or {weight, events}
    static_assert(sizeof(value) == sizeof(offcpu_total));
    if (bpf_map_lookup_elem(counts_fd, &key, value) != 0 || value[0] == 0) continue;
    RawStack stack;
    stack.tgid = key.tgid;
    stack.pid = key.pid;
    stack.comm.assign(key.comm, strnlen(key.comm, sizeof(key.comm)));
    stack.state = key.state;
    stack.user = stacks.read(key.user_stack_id);
    stack.kernel = stacks.read(key.kernel_stack_id);
    stack.weight = value[0];
    stack.events = value[1] ? value[1] : value[0];
    profile.stacks.push_back(std::move(stack));
  }
  return profile;
}

}  // namespace kiln::record
