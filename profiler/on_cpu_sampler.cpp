// The on-CPU sampler: bpf/profile.bpf.c on a cpu-clock perf event per CPU.
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "profiler.h"  // first: the skeleton refers to the structs of bpf/stack_key.h

#include "profile.skel.h"

namespace kiln::profiler {

namespace {

struct SkeletonDeleter {
  void operator()(profile_bpf* skeleton) const { profile_bpf::destroy(skeleton); }
};
using Skeleton = std::unique_ptr<profile_bpf, SkeletonDeleter>;

Skeleton load_skeleton(const TargetFilter& filter, uint32_t stack_entries,
                       const SamplerOptions& options) {
  Skeleton skeleton(profile_bpf::open());
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
  if (const int err = profile_bpf::load(skeleton.get()); err != 0)
    throw EnvironmentError(
        "cannot load kiln's BPF sampling program: " + std::string(strerror(-err)) +
        ".\n  fix: kiln needs root (or CAP_BPF and CAP_PERFMON) and a kernel with BTF and BPF "
        "perf_event programs (5.8 or later); the libbpf messages above say what failed");
  filter.populate(skeleton->obj);
  return skeleton;
}

}  // namespace

Recording record_on_cpu(const TargetSpec& targets, const std::vector<int>& cpus,
                        const SamplerOptions& options, ChildCommand* command,
                        const StopSignals& signals, symbolizer::Symbolizer& symbolizer) {
  const TargetFilter filter(targets, command ? command->pid() : 0);
  const uint32_t entries =
      stack_map_entries(options.hz, cpus.size(), options.duration_seconds, options.stack_map_size);
  Skeleton skeleton = load_skeleton(filter, entries, options);
  const int counters_fd = bpf_map__fd(skeleton->maps.counters);

  Recording recording;
  recording.cpus = cpus.size();
  {
    Links tracking;
    tracking.attach(skeleton->progs.kiln_reannounce_exec);
    if (filter.follows_children()) {
      tracking.attach(skeleton->progs.kiln_follow_fork);
      tracking.attach(skeleton->progs.kiln_forget_exit);
    }
    ProcessTracker tracker(skeleton->maps.new_processes, symbolizer);
    unwind::UserStackUnwinder unwinder(symbolizer);
    std::optional<UnwoundStacks> unwound;
    if (options.unwind == UnwindMode::kDwarf) unwound.emplace(skeleton->maps.user_stacks, unwinder);
    const auto start = std::chrono::steady_clock::now();
    {
      const CpuClockEvents events(cpus, options.hz, skeleton->progs.kiln_sample);
      if (command) command->release();
      RecordLoopOptions loop = record_loop_options(targets, command, tracker,
                                                   options.duration_seconds, options.progress);
      loop.samples_so_far = [&] { return read_counters(counters_fd).samples; };
      if (unwound) loop.sources.push_back({unwound->epoll_fd(), [&] { unwound->consume(); }});
      recording.stop = run_until_stopped(signals, loop);
    }  // sampling stops here
    recording.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    tracker.consume();
    StackReader stacks(bpf_map__fd(skeleton->maps.stacks));
    recording.raw = drain_stack_counts(bpf_map__fd(skeleton->maps.counts), stacks);
    if (unwound) {
      unwound->drain_into(recording.raw, stacks);
      recording.unwinding = unwound->counters();
    }
    tracker.snapshot_missing(recording.raw);
    recording.parents = tracker.parents();
  }  // fork/exec/exit programs detached here
  recording.counters = read_counters(counters_fd);
  return recording;
}

}  // namespace kiln::profiler
