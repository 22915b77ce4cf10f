// Off-CPU tracing: loads bpf/offcpu.bpf.c on the sched_switch tracepoint (tp_btf, or raw_tp on
// kernels without BTF tracepoints), seeds the threads blocked before it started and, at the end,
// counts the blocks still in progress, so a thread blocked for the whole run shows all of it.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_set>
#include <utility>
#include <vector>

#include "record/errors.h"
#include "record/offcpu_tracer.h"
#include "record/raw_profile.h"
#include "record/sample_counters.h"
// The skeleton uses the shared structs of the BPF headers (bpf/).
#include "bpf/offcpu.skel.h"

namespace kiln::record {

namespace {

constexpr uint32_t kDefaultStackMapEntries = 32768;
// Live threads that have blocked while traced (the start map keeps one entry each until the
// thread exits) and threads already blocked at the start.
constexpr uint32_t kBlockedThreadEntries = 65536;

uint64_t monotonic_ns() {  // the clock of bpf_ktime_get_ns()
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
}

bool kernel_has_btf_sched_switch() {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return false;
  const bool found =
      btf__find_by_name_kind(vmlinux, "btf_trace_sched_switch", BTF_KIND_TYPEDEF) > 0;
  btf__free(vmlinux);
  return found;
}

// Where a kernel function lies, from /proc/kallsyms (sorted by address): up to the next symbol.
struct AddressRange {
  uint64_t begin = 0, end = 0;
  bool contains(uint64_t address) const { return address >= begin && address < end; }
};

AddressRange kernel_function(std::string_view wanted) {
  std::ifstream in("/proc/kallsyms");
  std::string line, name, type;
  AddressRange range;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    uint64_t address = 0;
    fields >> std::hex >> address >> type >> name;
    if (range.begin) {
      if (address > range.begin) {
        range.end = address;
        break;
      }
    } else if (name == wanted && (type == "t" || type == "T")) {
      range.begin = address;
    }
  }
  return range;
}

// A kernel stack taken at sched_switch starts in the BPF program and the tracepoint's
// trampoline: the stack the thread blocked in begins at __schedule.
void trim_to_scheduler(RawProfile& profile) {
  static const AddressRange schedule = kernel_function("__schedule");  // read once a run
  if (!schedule.begin) return;
  for (RawStack& stack : profile.stacks) {
    const auto it = std::find_if(stack.kernel.begin(), stack.kernel.end(),
                                 [&](uint64_t address) { return schedule.contains(address); });
    if (it != stack.kernel.end()) stack.kernel.erase(stack.kernel.begin(), it);
  }
}

}  // namespace

OffCpuTracer::OffCpuTracer(const TargetFilter& filter, const OffCpuOptions& options,
                           unwind::UserStackUnwinder* unwinder)
    : follow_children_(filter.follows_children()),
      min_block_ns_(options.min_block_us * 1000),
      max_block_ns_(options.max_block_us ? options.max_block_us * 1000 : UINT64_MAX) {
  if (options.max_block_us && options.max_block_us < options.min_block_us)
    throw UsageError("--max-block-us (" + std::to_string(options.max_block_us) +
                     ") is below --min-block-us (" + std::to_string(options.min_block_us) + ")");
  skeleton_ = offcpu_bpf::open();
  if (!skeleton_)
    throw EnvironmentError("cannot open kiln's off-CPU BPF program: " +
                           std::string(strerror(errno)));
  // The other programs need BTF tracing too: without it, no seeding, no following of children.
  btf_tracing_ = kernel_has_btf_sched_switch();
  raw_tracepoint_ = options.raw_tracepoint || !btf_tracing_;
  bpf_program__set_autoload(skeleton_->progs.offcpu_switch_btf, !raw_tracepoint_);
  bpf_program__set_autoload(skeleton_->progs.offcpu_switch_raw, raw_tracepoint_);
  bpf_program__set_autoload(skeleton_->progs.offcpu_seed_blocked, btf_tracing_);
  bpf_program__set_autoload(skeleton_->progs.kiln_follow_fork, btf_tracing_);
  bpf_program__set_autoload(skeleton_->progs.kiln_forget_exit, btf_tracing_);
  bpf_program__set_autoload(skeleton_->progs.kiln_reannounce_exec, btf_tracing_);

  skeleton_->rodata->filter_config = filter.config();
  skeleton_->rodata->min_block_ns = min_block_ns_;
  skeleton_->rodata->max_block_ns = max_block_ns_;
  skeleton_->rodata->state_mask = options.states;
  skeleton_->rodata->include_kernel_threads = options.include_kernel_threads;
  // Copying a stack needs the trusted task pointers of tp_btf (bpf_task_pt_regs).
  const bool dwarf = unwinder && options.unwind == UnwindMode::kDwarf && !raw_tracepoint_;
  skeleton_->rodata->dwarf_unwind = dwarf;
  skeleton_->rodata->user_stack_size = options.stack_size;
  skeleton_->rodata->user_stacks_wakeup_bytes = options.ring_size / 8;
  bpf_map__set_max_entries(skeleton_->maps.user_stacks,
                           dwarf ? options.ring_size : static_cast<uint32_t>(getpagesize()));
  const uint32_t stack_entries =
      options.stack_map_size ? options.stack_map_size : kDefaultStackMapEntries;
  bpf_map__set_max_entries(skeleton_->maps.stacks, stack_entries);
  bpf_map__set_max_entries(skeleton_->maps.counts, stack_entries);
  bpf_map__set_max_entries(skeleton_->maps.start, kBlockedThreadEntries);
  if (const int err = offcpu_bpf::load(skeleton_); err != 0) {
    offcpu_bpf::destroy(skeleton_);
    throw EnvironmentError(
        "cannot load kiln's off-CPU BPF program: " + std::string(strerror(-err)) +
        ".\n  fix: kiln needs root (or CAP_BPF and CAP_PERFMON) and a kernel with BTF and the "
        "sched_switch tracepoint; the libbpf messages above say what failed");
  }
  stacks_.emplace(bpf_map__fd(skeleton_->maps.stacks));
  try {
    filter.populate(skeleton_->obj);
    if (dwarf) unwound_.emplace(skeleton_->maps.user_stacks, *unwinder);
  } catch (...) {
    offcpu_bpf::destroy(skeleton_);
    throw;
  }
}

OffCpuTracer::~OffCpuTracer() {
  links_.reset();
  offcpu_bpf::destroy(skeleton_);
}

bpf_map* OffCpuTracer::new_processes() const {
  return skeleton_->maps.new_processes;
}

void OffCpuTracer::attach(bool targets_running) {
  links_ = std::make_unique<Links>();
  if (btf_tracing_) {
    links_->attach(skeleton_->progs.kiln_reannounce_exec);
    if (follow_children_) {
      links_->attach(skeleton_->progs.kiln_follow_fork);
      links_->attach(skeleton_->progs.kiln_forget_exit);
    }
  }
  links_->attach(raw_tracepoint_ ? skeleton_->progs.offcpu_switch_raw
                                 : skeleton_->progs.offcpu_switch_btf);
  if (targets_running && btf_tracing_) seed();
}

std::vector<EventSource> OffCpuTracer::sources() {
  if (!unwound_) return {};
  return {{unwound_->epoll_fd(), [this] { unwound_->consume(); }}};
}

// Runs the task iterator once: it adds every target thread that is blocked now.
void OffCpuTracer::seed() {
  bpf_link* link = bpf_program__attach_iter(skeleton_->progs.offcpu_seed_blocked, nullptr);
  if (!link)
    throw EnvironmentError("cannot attach the BPF task iterator: " + std::string(strerror(errno)));
  const int fd = bpf_iter_create(bpf_link__fd(link));
  if (fd >= 0) {
    char buffer[256];
    while (read(fd, buffer, sizeof(buffer)) > 0) {
    }
    close(fd);
  }
  bpf_link__destroy(link);
  if (fd < 0)
    throw EnvironmentError("cannot run the BPF task iterator: " + std::string(strerror(errno)));
}

void OffCpuTracer::detach() {
  if (!links_) return;
  const uint64_t end_ns = monotonic_ns();
  links_.reset();
  if (unwound_) unwound_->consume();  // the copies of the threads blocked now
  count_still_blocked(end_ns);
}

void OffCpuTracer::for_each_start(
    const std::function<void(uint32_t tid, const offcpu_start& entry)>& visit) const {
  const int start_fd = bpf_map__fd(skeleton_->maps.start);
  uint32_t tid = 0, next = 0;
  for (bool first = true; bpf_map_get_next_key(start_fd, first ? nullptr : &tid, &next) == 0;
       first = false, tid = next) {
    offcpu_start entry{};
    if (bpf_map_lookup_elem(start_fd, &next, &entry) == 0) visit(next, entry);
  }
}

// Threads remembered at switch-out that have not run again are blocked until the end.
void OffCpuTracer::count_still_blocked(uint64_t end_ns) {
  const int counts_fd = bpf_map__fd(skeleton_->maps.counts);
  for_each_start([&](uint32_t tid, const offcpu_start& entry) {
    if (entry.timestamp_ns == 0 || entry.timestamp_ns >= end_ns) return;
    const uint64_t blocked = end_ns - entry.timestamp_ns;
    if (blocked < min_block_ns_ || blocked > max_block_ns_) return;
    ++still_blocked_at_end_;
    if (entry.state & OFFCPU_STATE_UNINTERRUPTIBLE) uninterruptible_ns_at_end_ += blocked;
    if (unwound_ && unwound_->has_copy(tid, entry.timestamp_ns)) {
      kiln_block_record block{};
      block.tgid = entry.tgid;
      block.pid = tid;
      block.state = entry.state;
      std::memcpy(block.comm, entry.comm, sizeof(block.comm));
      block.kernel_stack_id = entry.kernel_stack_id;
      block.switch_out_ns = entry.timestamp_ns;
      block.blocked_ns = blocked;
      unwound_->count_block(block);
      return;
    }
    kiln_stack_key key{};
    key.tgid = entry.tgid;
    key.pid = tid;
    std::memcpy(key.comm, entry.comm, sizeof(key.comm));
    key.kernel_stack_id = entry.kernel_stack_id;
    key.user_stack_id = entry.user_stack_id;
    key.state = entry.state;
    offcpu_total total{};
    bpf_map_lookup_elem(counts_fd, &key, &total);
    total.blocked_ns += blocked;
    total.blocks += 1;
    bpf_map_update_elem(counts_fd, &key, &total, BPF_ANY);
  });
}

uint64_t OffCpuTracer::events_so_far() const {
  return sum_per_cpu(bpf_map__fd(skeleton_->maps.counters), KILN_SAMPLES);
}

SampleCounters OffCpuTracer::counters() const {
  SampleCounters counters = read_counters(bpf_map__fd(skeleton_->maps.counters));
  counters.samples += still_blocked_at_end_;
  return counters;
}

OffCpuCounters OffCpuTracer::offcpu_counters() const {
  const int fd = bpf_map__fd(skeleton_->maps.offcpu_counters);
  OffCpuCounters counters;
  counters.lost_start_map_full = sum_per_cpu(fd, OFFCPU_LOST_START_MAP_FULL);
  counters.below_min = sum_per_cpu(fd, OFFCPU_BELOW_MIN);
  counters.above_max = sum_per_cpu(fd, OFFCPU_ABOVE_MAX);
  counters.uninterruptible_ns =
      sum_per_cpu(fd, OFFCPU_UNINTERRUPTIBLE_NS) + uninterruptible_ns_at_end_;
  counters.blocked_at_start = sum_per_cpu(fd, OFFCPU_BLOCKED_AT_START);
  counters.still_blocked_at_end = still_blocked_at_end_;
  return counters;
}

UnwindCounters OffCpuTracer::unwinding() const {
  return unwound_ ? unwound_->counters() : UnwindCounters{};
}

RawProfile OffCpuTracer::drain() {
  RawProfile profile =
      drain_stack_counts(bpf_map__fd(skeleton_->maps.counts), *stacks_, RawUnit::kNanoseconds);
  if (unwound_) unwound_->drain_into(profile, *stacks_);
  trim_to_scheduler(profile);
  return profile;
}

RawProfile OffCpuTracer::drain_processes(const std::set<uint32_t>& tgids) {
  // Counted in the BPF map: every block with frame pointers; with DWARF unwinding those
  // without a user stack to unwind.
  RawProfile profile = take_stack_counts(bpf_map__fd(skeleton_->maps.counts), *stacks_,
                                         RawUnit::kNanoseconds, tgids);
  if (unwound_) unwound_->drain_processes_into(tgids, profile, *stacks_);
  trim_to_scheduler(profile);
  return profile;
}

RawProfile OffCpuTracer::take_counted_stacks() {
  RawProfile profile;
  profile.unit = RawUnit::kNanoseconds;
  if (!unwound_) return profile;
  unwound_->drain_into(profile, *stacks_);
  trim_to_scheduler(profile);
  return profile;
}

void OffCpuTracer::empty_stack_map() {
  stacks_->move_from_map();
  // A blocked thread's stack is referenced by its `start` entry until it runs again (an hour
  // later, maybe), blocks of kernel threads by the counts map.
  std::unordered_set<uint64_t> referenced;
  add_referenced_stacks(bpf_map__fd(skeleton_->maps.counts), referenced);
  for_each_start([&referenced](uint32_t, const offcpu_start& entry) {
    for (const uint64_t id : {entry.kernel_stack_id, entry.user_stack_id})
      if (id) referenced.insert(id);
  });
  if (unwound_)
    unwound_->keep_referenced_stacks(*stacks_, std::move(referenced));
  else
    stacks_->keep_only(referenced);
}

}  // namespace kiln::record
