// Accounting for every sample: the per-CPU counters of bpf/stack_key.h and what to do about
// each kind of loss.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cinttypes>
#include <cstdio>

#include "bpf/stack_key.h"
#include "record/sample_counters.h"

namespace kiln::record {

uint64_t sum_per_cpu(int array_fd, uint32_t index) {
  const int cpus = libbpf_num_possible_cpus();
  std::vector<uint64_t> per_cpu(cpus > 0 ? cpus : 1);
  if (bpf_map_lookup_elem(array_fd, &index, per_cpu.data()) != 0) return 0;
  uint64_t total = 0;
  for (uint64_t value : per_cpu) total += value;
  return total;
}

SampleCounters read_counters(int counters_fd) {
  uint64_t totals[KILN_COUNTER_COUNT] = {};
  for (uint32_t index = 0; index < KILN_COUNTER_COUNT; ++index)
    totals[index] = sum_per_cpu(counters_fd, index);
  SampleCounters counters;
  counters.samples = totals[KILN_SAMPLES];
  counters.lost_stack_map_full = totals[KILN_LOST_STACK_MAP_FULL];
  counters.lost_counts_map_full = totals[KILN_LOST_COUNTS_MAP_FULL];
  counters.lost_allocation = totals[KILN_LOST_ALLOCATION];
  counters.lost_other = totals[KILN_LOST_OTHER];
  counters.lost_ring_full = totals[KILN_LOST_RINGBUF_FULL];
  counters.no_user_stack = totals[KILN_NO_USER_STACK];
  counters.user_stack_unreadable = totals[KILN_USER_STACK_UNREADABLE];
  return counters;
}

std::vector<std::string> describe_losses(const SampleCounters& counters) {
  std::vector<std::string> lines;
  const auto add = [&](uint64_t count, const char* reason, const char* fix) {
    if (count == 0) return;
    char line[400];
    std::snprintf(line, sizeof(line), "%" PRIu64 " (%.2f%%) %s; %s", count,
                  100.0 * static_cast<double>(count) / static_cast<double>(counters.samples),
                  reason, fix);
    lines.push_back(line);
  };
  add(counters.lost_stack_map_full, "stack map full", "raise --stack-map-size or shorten -d");
  add(counters.lost_counts_map_full, "counts map full", "raise --stack-map-size or shorten -d");
  // Preallocated maps do not fail this way; kept for a kernel that cannot preallocate.
  add(counters.lost_allocation, "kernel memory for new stacks momentarily exhausted",
      "usually rare; lower -F if it is frequent");
  add(counters.lost_other, "stack walk failures", "report this to kiln's authors");
  add(counters.lost_ring_full, "user stack ring buffer full (kiln read it too slowly)",
      "lower -F or --stack-size, or raise --ring-size");
  if (counters.lost_process_records) {
    lines.push_back(std::to_string(counters.lost_process_records) +
                    " records of what new processes mapped (not samples): the machine started "
                    "processes faster than kiln read them; frames of those processes may show as "
                    "[unknown]");
  }
  return lines;
}

uint32_t stack_map_entries(unsigned hz, size_t cpus, double duration_seconds,
                           uint32_t override_entries) {
  if (override_entries) return override_entries;
  constexpr uint32_t kOpenEnded = 65536;  // about 70 MiB of stacks, preallocated
  if (duration_seconds <= 0) return kOpenEnded;
  const double wanted = 2 * static_cast<double>(hz) * static_cast<double>(cpus) * duration_seconds;
  if (wanted < 16384) return 16384;
  if (wanted > 262144) return 262144;
  return static_cast<uint32_t>(wanted);
}

}  // namespace kiln::record
