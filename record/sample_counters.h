// What the BPF programs counted besides stacks: samples (or blocks) and each reason one was
// lost, with the fix for each; and the size of the maps that keep the stacks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln::record {

// The per-CPU `counters` array of bpf/stack_key.h, summed over CPUs.
struct SampleCounters {
  uint64_t samples = 0;
  uint64_t lost_stack_map_full = 0;
  uint64_t lost_counts_map_full = 0;
  uint64_t lost_allocation = 0;
  uint64_t lost_other = 0;
  uint64_t lost_ring_full = 0;  // --unwind dwarf: the user_stacks ring buffer was full
  uint64_t no_user_stack = 0;
  uint64_t user_stack_unreadable = 0;
  // Not samples: the kernel's records of what processes mapped, dropped before kiln read them
  // (ProcessRecords::lost); those processes' frames may show as [unknown].
  uint64_t lost_process_records = 0;
  uint64_t lost() const {
    return lost_stack_map_full + lost_counts_map_full + lost_allocation + lost_other +
           lost_ring_full;
  }
};
SampleCounters read_counters(int counters_fd);
// Entry `index` of a per-CPU array of __u64 counters, summed over CPUs (0 if unreadable).
uint64_t sum_per_cpu(int array_fd, uint32_t index);
// One line per loss reason with its count, share of all samples and the fix; empty if none.
std::vector<std::string> describe_losses(const SampleCounters& counters);

// Entries of the stacks and counts maps (preallocated, about 1 KiB per stack): room for every
// sample's kernel and user stack (2 x hz x CPUs x seconds) within bounds, or a large default
// when the duration is open. `override_entries` (non-zero, --stack-map-size) wins.
uint32_t stack_map_entries(unsigned hz, size_t cpus, double duration_seconds,
                           uint32_t override_entries);

}  // namespace kiln::record
