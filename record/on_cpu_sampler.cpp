// The on-CPU sampler: bpf/profile.bpf.c on a cpu-clock perf event per CPU.
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>
#include <utility>

#include "record/errors.h"
#include "record/on_cpu_sampler.h"
#include "record/raw_profile.h"
#include "record/sample_counters.h"

#include "bpf/profile.skel.h"
#include "symbolizer/symbolizer.h"

namespace kiln::record {

namespace {

profile_bpf* load_skeleton(const TargetFilter& filter, uint32_t stack_entries,
                           const SamplerOptions& options) {
  profile_bpf* skeleton = profile_bpf::open();
  if (!skeleton)
    throw EnvironmentError("cannot open kiln's BPF program: " + std::string(strerror(errno)));
  skeleton->rodata->filter_config = filter.config();
  const bool dwarf = options.unwind == UnwindMode::kDwarf;
  skeleton->rodata->dwarf_unwind = dwarf;
  skeleton->rodata->user_stack_size = options.stack_size;
  skeleton->rodata->user_stacks_wakeup_bytes = options.ring_size / 8;
  bpf_map__set_max_entries(skeleton->maps.stacks, stack_entries);
  bpf_map__set_max_entries(skeleton->maps.counts, stack_entries);
  // The ring is not used with frame pointers: one page, the least a ring buffer may have.
  bpf_map__set_max_entries(skeleton->maps.user_stacks,
                           dwarf ? options.ring_size : static_cast<uint32_t>(getpagesize()));
  if (const int err = profile_bpf::load(skeleton); err != 0) {
    profile_bpf::destroy(skeleton);
    throw EnvironmentError(
        "cannot load kiln's BPF sampling program: " + std::string(strerror(-err)) +
        ".\n  fix: kiln needs root (or CAP_BPF and CAP_PERFMON) and a kernel with BTF and BPF "
        "perf_event programs (5.8 or later); the libbpf messages above say what failed");
  }
  return skeleton;
}

}  // namespace

OnCpuSampler::OnCpuSampler(const TargetFilter& filter, const std::vector<int>& cpus,
                           const SamplerOptions& options, unwind::UserStackUnwinder* unwinder)
    : cpus_(cpus), hz_(options.hz), follow_children_(filter.follows_children()) {
  const uint32_t entries =
      stack_map_entries(options.hz, cpus.size(), options.duration_seconds, options.stack_map_size);
  skeleton_ = load_skeleton(filter, entries, options);
  stacks_.emplace(bpf_map__fd(skeleton_->maps.stacks));
  try {
    filter.populate(skeleton_->obj);
    if (unwinder && options.unwind == UnwindMode::kDwarf)
      unwound_.emplace(skeleton_->maps.user_stacks, *unwinder);
  } catch (...) {
    profile_bpf::destroy(skeleton_);
    throw;
  }
}

OnCpuSampler::~OnCpuSampler() {
  detach();
  unwound_.reset();
  profile_bpf::destroy(skeleton_);
}

bpf_map* OnCpuSampler::new_processes() const {
  return skeleton_->maps.new_processes;
}

void OnCpuSampler::attach(bool /*targets_running*/) {
  tracking_ = std::make_unique<Links>();
  tracking_->attach(skeleton_->progs.kiln_reannounce_exec);
  if (follow_children_) {
    tracking_->attach(skeleton_->progs.kiln_follow_fork);
    tracking_->attach(skeleton_->progs.kiln_forget_exit);
  }
  sampling_.emplace(cpus_, hz_, skeleton_->progs.kiln_sample);
}

std::vector<EventSource> OnCpuSampler::sources() {
  if (!unwound_) return {};
  return {{unwound_->epoll_fd(), [this] { unwound_->consume(); }}};
}

uint64_t OnCpuSampler::events_so_far() const {
  return sum_per_cpu(bpf_map__fd(skeleton_->maps.counters), KILN_SAMPLES);
}

void OnCpuSampler::detach() {
  sampling_.reset();
  tracking_.reset();
}

RawProfile OnCpuSampler::drain() {
  RawProfile profile =
      drain_stack_counts(bpf_map__fd(skeleton_->maps.counts), *stacks_, RawUnit::kSamples);
  if (unwound_) unwound_->drain_into(profile, *stacks_);
  return profile;
}

RawProfile OnCpuSampler::drain_processes(const std::set<uint32_t>& tgids) {
  // Counted in the BPF map: every sample with frame pointers; with DWARF unwinding those
  // without a user stack to unwind.
  RawProfile profile =
      take_stack_counts(bpf_map__fd(skeleton_->maps.counts), *stacks_, RawUnit::kSamples, tgids);
  if (unwound_) unwound_->drain_processes_into(tgids, profile, *stacks_);
  return profile;
}

RawProfile OnCpuSampler::take_counted_stacks() {
  RawProfile profile;
  if (!unwound_) return profile;
  unwound_->drain_into(profile, *stacks_);
  return profile;
}

void OnCpuSampler::empty_stack_map() {
  stacks_->move_from_map();
  std::unordered_set<uint64_t> referenced;
  add_referenced_stacks(bpf_map__fd(skeleton_->maps.counts), referenced);
  if (unwound_)
    unwound_->keep_referenced_stacks(*stacks_, std::move(referenced));
  else
    stacks_->keep_only(referenced);
}

SampleCounters OnCpuSampler::counters() const {
  return read_counters(bpf_map__fd(skeleton_->maps.counters));
}

UnwindCounters OnCpuSampler::unwinding() const {
  return unwound_ ? unwound_->counters() : UnwindCounters{};
}

Recording record_on_cpu(const TargetSpec& targets, const std::vector<int>& cpus,
                        const SamplerOptions& options, ChildCommand* command,
                        const StopSignals& signals, symbolizer::Symbolizer& symbolizer) {
  const TargetFilter filter(targets, command ? command->pid() : 0);
  unwind::UserStackUnwinder unwinder(symbolizer.processes());
  OnCpuSampler sampler(filter, cpus, options, &unwinder);
  SessionOptions session_options;
  session_options.duration_seconds = options.duration_seconds;
  session_options.progress = options.progress;
  session_options.exited = options.exited;
  Session session =
      record_session(targets, {&sampler}, command, signals, symbolizer, session_options);
  return recording_of(session, 0, sampler, cpus.size());
}

}  // namespace kiln::record
