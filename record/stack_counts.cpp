// Drains a counts map keyed by kiln_stack_key, resolving stack ids through the stacks map,
// into a RawProfile.
#include <bpf/bpf.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <set>
#include <vector>

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

namespace {

// A stack as the map holds it (struct kiln_stack): zeroes after the last address.
using StoredStack = std::array<uint64_t, KILN_MAX_STACK_DEPTH>;

std::vector<uint64_t> addresses_of(const StoredStack& stored) {
  std::vector<uint64_t> addresses;
  for (uint64_t address : stored) {
    if (address == 0) break;
    addresses.push_back(address);
  }
  return addresses;
}

}  // namespace

const std::vector<uint64_t>& StackReader::read(uint64_t id) {
  static const std::vector<uint64_t> kNone;
  if (id == 0) return kNone;
  auto [it, inserted] = cache_.try_emplace(id);
  if (inserted) {
    StoredStack stored = {};
    if (bpf_map_lookup_elem(fd_, &id, stored.data()) == 0)
      it->second.addresses = addresses_of(stored);
    it->second.move = moves_;
  }
  return it->second.addresses;
}

size_t StackReader::move_from_map() {
  ++moves_;
  // A batch holds whole buckets of the hash table: ENOSPC asks for a larger one.
  uint32_t capacity = 256;
  std::vector<uint64_t> ids(capacity);
  std::vector<StoredStack> stacks(capacity);
  uint32_t next_bucket = 0;
  bool first = true;
  size_t moved = 0;
  for (;;) {
    uint32_t count = capacity;
    const int err =
        bpf_map_lookup_and_delete_batch(fd_, first ? nullptr : &next_bucket, &next_bucket,
                                        ids.data(), stacks.data(), &count, nullptr);
    if (err == -ENOSPC && count == 0) {
      capacity *= 2;
      ids.resize(capacity);
      stacks.resize(capacity);
      continue;
    }
    // Other errors leave `count` as it was: a kernel without batch operations (before 5.6).
    if (err && err != -ENOENT) break;
    for (uint32_t i = 0; i < count; ++i) {
      Stack& stack = cache_[ids[i]];
      if (stack.addresses.empty()) stack.addresses = addresses_of(stacks[i]);
      stack.move = moves_;
    }
    moved += count;
    first = false;
    if (err) break;  // the whole map was read
  }
  return moved;
}

void StackReader::keep_only(const std::unordered_set<uint64_t>& referenced) {
  std::erase_if(cache_, [this, &referenced](const auto& entry) {
    return entry.second.move != moves_ && !referenced.count(entry.first);
  });
}

namespace {

// Calls `visit` with each key of a counts map keyed by kiln_stack_key (none may be deleted
// meanwhile: get_next_key from a deleted key restarts the walk).
void for_each_key(int counts_fd, const std::function<void(const kiln_stack_key&)>& visit) {
  kiln_stack_key key{}, next{};
  bool first = true;
  while (bpf_map_get_next_key(counts_fd, first ? nullptr : &key, &next) == 0) {
    first = false;
    key = next;
    visit(key);
  }
}

}  // namespace

void add_referenced_stacks(int counts_fd, std::unordered_set<uint64_t>& ids) {
  for_each_key(counts_fd, [&ids](const kiln_stack_key& key) {
    for (const uint64_t id : {key.kernel_stack_id, key.user_stack_id})
      if (id) ids.insert(id);
  });
}

namespace {

// A counts map's entry {key -> value} as a RawStack, its stacks read through `stacks`.
RawStack stack_of(const kiln_stack_key& key, const uint64_t (&value)[2], StackReader& stacks) {
  RawStack stack;
  stack.tgid = key.tgid;
  stack.pid = key.pid;
  stack.comm.assign(key.comm, strnlen(key.comm, sizeof(key.comm)));
  stack.state = key.state;
  stack.user = stacks.read(key.user_stack_id);
  stack.kernel = stacks.read(key.kernel_stack_id);
  stack.weight = value[0];
  stack.events = value[1] ? value[1] : value[0];
  return stack;
}

}  // namespace

RawProfile drain_stack_counts(int counts_fd, StackReader& stacks, RawUnit unit) {
  RawProfile profile;
  profile.unit = unit;
  for_each_key(counts_fd, [&](const kiln_stack_key& key) {
    uint64_t value[2] = {};  // {weight} or {weight, events}
    static_assert(sizeof(value) == sizeof(offcpu_total));
    if (bpf_map_lookup_elem(counts_fd, &key, value) == 0 && value[0] != 0)
      profile.stacks.push_back(stack_of(key, value, stacks));
  });
  return profile;
}

RawProfile take_stack_counts(int counts_fd, StackReader& stacks, RawUnit unit,
                             const std::set<uint32_t>& tgids) {
  // The keys first, then deleted.
  std::vector<kiln_stack_key> keys;
  for_each_key(counts_fd, [&](const kiln_stack_key& key) {
    if (tgids.count(key.tgid)) keys.push_back(key);
  });
  RawProfile profile;
  profile.unit = unit;
  for (const kiln_stack_key& taken : keys) {
    uint64_t value[2] = {};
    // Nothing adds to a key of a process gone seconds ago: read, then deleted.
    if (bpf_map_lookup_elem(counts_fd, &taken, value) != 0) continue;
    bpf_map_delete_elem(counts_fd, &taken);
    if (value[0] != 0) profile.stacks.push_back(stack_of(taken, value, stacks));
  }
  return profile;
}

}  // namespace kiln::record
