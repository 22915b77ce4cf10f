// --unwind dwarf: the user_stacks ring buffer read while recording, each copied user stack
// unwound as it arrives (memory stays bounded by the distinct stacks, and little is left to do
// after the stop), the unwound stacks counted.
#include <algorithm>
#include <chrono>
#include <cstring>

#include "record/unwound_stacks.h"

namespace kiln::record {

size_t UnwoundStacks::KeyHash::operator()(const Key& key) const {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a over the numbers
  const auto mix = [&hash](uint64_t value) { hash = (hash ^ value) * 1099511628211ull; };
  mix(key.tgid);
  mix(key.pid);
  mix(key.kernel_stack_id);
  mix(key.truncated);
  mix(key.state);
  for (const uint64_t pc : key.user) mix(pc);
  return static_cast<size_t>(hash ^ std::hash<std::string>()(key.comm));
}

UnwoundStacks::UnwoundStacks(bpf_map* user_stacks, unwind::UserStackUnwinder& unwinder)
    : unwinder_(unwinder),
      ring_({user_stacks}, &UnwoundStacks::on_record, this, "the BPF ring buffer of user stacks") {}

int UnwoundStacks::on_record(void* self, void* data, size_t size) {
  auto* stacks = static_cast<UnwoundStacks*>(self);
  uint32_t kind = 0;
  if (size < sizeof(kind)) return 0;
  std::memcpy(&kind, data, sizeof(kind));
  if (kind == KILN_RECORD_SAMPLE && size >= sizeof(kiln_user_stack_record)) {
    const auto* record = static_cast<const kiln_user_stack_record*>(data);
    stacks->count(*record, size, 1, record->kernel_stack_id, record->comm, /*state=*/0);
  } else if (kind == KILN_RECORD_SWITCH_OUT && size >= sizeof(kiln_user_stack_record)) {
    // Unwound only if the block turns out to be counted (not filtered by its length).
    const auto* record = static_cast<const kiln_user_stack_record*>(data);
    auto& copy = stacks->switched_out_[record->pid];
    const auto* bytes = static_cast<const uint8_t*>(data);
    copy.assign(bytes, bytes + std::min(size, sizeof(*record) + record->stack_size));
  } else if (kind == KILN_RECORD_BLOCK_END && size >= sizeof(kiln_block_record)) {
    stacks->count_block(*static_cast<const kiln_block_record*>(data));
  }
  return 0;
}

bool UnwoundStacks::has_copy(uint32_t tid, uint64_t switch_out_ns) const {
  const auto it = switched_out_.find(tid);
  if (it == switched_out_.end()) return false;
  kiln_user_stack_record header;
  std::memcpy(&header, it->second.data(), sizeof(header));
  return header.switch_out_ns == switch_out_ns;
}

void UnwoundStacks::count_block(const kiln_block_record& block) {
  if (has_copy(block.pid, block.switch_out_ns)) {
    const auto it = switched_out_.find(block.pid);
    // The kernel stack is the one of the block, which its record carries.
    count(*reinterpret_cast<const kiln_user_stack_record*>(it->second.data()), it->second.size(),
          block.blocked_ns, block.kernel_stack_id, block.comm, block.state);
    switched_out_.erase(it);
    return;
  }
  ++counters_.blocks_without_stack;
  scratch_.user.clear();
  add(block.tgid, block.pid, block.kernel_stack_id, block.comm, block.state, /*truncated=*/true,
      block.blocked_ns);
}

void UnwoundStacks::count(const kiln_user_stack_record& record, size_t size, uint64_t weight,
                          uint64_t kernel_stack_id, const char* comm, uint32_t state) {
  const size_t stack_size =
      std::min<size_t>(record.stack_size, size - sizeof(kiln_user_stack_record));
  uint64_t regs[KILN_USER_REGS];  // __u64 is another type than uint64_t on x86-64
  std::copy(record.regs, record.regs + KILN_USER_REGS, regs);
  unwind::UserStackCopy copy;
  copy.regs = regs;
  copy.stack = {record.stack, stack_size};
  const auto start = std::chrono::steady_clock::now();
  const unwind::UnwindEnd end = unwinder_.unwind(
      static_cast<pid_t>(record.tgid), static_cast<pid_t>(record.pid), copy, &scratch_.user);
  counters_.unwind_ns += static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count());
  ++counters_.stacks;
  ++counters_.ended[static_cast<int>(end)];
  counters_.stack_bytes += stack_size;
  add(record.tgid, record.pid, kernel_stack_id, comm, state, end != unwind::UnwindEnd::kComplete,
      weight);
}

void UnwoundStacks::add(uint32_t tgid, uint32_t pid, uint64_t kernel_stack_id, const char* comm,
                        uint32_t state, bool truncated, uint64_t weight) {
  scratch_.tgid = tgid;
  scratch_.pid = pid;
  scratch_.kernel_stack_id = kernel_stack_id;
  scratch_.comm.assign(comm, strnlen(comm, KILN_COMM_LEN));
  scratch_.truncated = truncated;
  scratch_.state = state;
  Weights& weights = counts_[scratch_];
  weights.weight += weight;
  ++weights.events;
}

void UnwoundStacks::append(const Key& key, const Weights& weights, RawProfile& profile,
                           StackReader& stacks) {
  RawStack& stack = profile.stacks.emplace_back();
  stack.tgid = key.tgid;
  stack.pid = key.pid;
  stack.comm = key.comm;
  stack.user = key.user;
  stack.kernel = stacks.read(key.kernel_stack_id);
  stack.weight = weights.weight;
  stack.events = weights.events;
  stack.truncated = key.truncated;
  stack.state = key.state;
}

void UnwoundStacks::drain_into(RawProfile& profile, StackReader& stacks) {
  consume();
  for (const auto& [key, weights] : counts_) append(key, weights, profile, stacks);
  counts_.clear();
}

void UnwoundStacks::keep_referenced_stacks(StackReader& stacks,
                                           std::unordered_set<uint64_t> referenced) {
  consume();
  for (const auto& [key, weights] : counts_)
    if (key.kernel_stack_id) referenced.insert(key.kernel_stack_id);
  stacks.keep_only(referenced);
}

void UnwoundStacks::drain_processes_into(const std::set<uint32_t>& tgids, RawProfile& profile,
                                         StackReader& stacks) {
  for (auto it = counts_.begin(); it != counts_.end();) {
    if (!tgids.count(it->first.tgid)) {
      ++it;
      continue;
    }
    append(it->first, it->second, profile, stacks);
    it = counts_.erase(it);
  }
}

}  // namespace kiln::record
