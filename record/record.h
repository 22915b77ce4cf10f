// record: `kiln record`'s recording, from the BPF programs to a written profile. Target
// selection and the command kiln starts, the BPF target filter, perf events, the recorders
// (on-CPU sampling, off-CPU tracing, both for --wall) behind one interface and the session that
// runs them, draining stack-count maps into a RawProfile, loss accounting, process snapshots
// while recording, symbolization into a Profile, the outputs and the summaries. It uses bpf/,
// symbolizer/, unwind/, profile/, formats/, flamegraph/ and pprof/; only cli/ uses it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <unordered_map>

#include "flamegraph/flamegraph.h"
#include "offcpu.h"
#include "profile/profile.h"
#include "stack_key.h"
#include "unwind/unwind.h"
#include "user_stack.h"

struct bpf_object;
struct bpf_map;
struct bpf_program;
struct bpf_link;
struct offcpu_bpf;
struct profile_bpf;
struct ring_buffer;
struct perf_event_mmap_page;

namespace kiln::symbolizer {
class Symbolizer;
struct Frame;
}

namespace kiln::record {

// Something missing in the environment (privilege, kernel feature, process): exit code 2. The
// message says what is missing and how to fix it.
class EnvironmentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad option value: exit code 1.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---- Targets -------------------------------------------------------------------------------

// What to record. Empty lists mean "all"; `command` non-empty means kiln starts that command.
struct TargetSpec {
  std::vector<pid_t> pids;
  std::vector<pid_t> tids;
  std::vector<int> cpus;
  std::vector<std::string> command;
  bool include_idle = false;
};

// The words of a command as one would type them in a shell: words that need it (empty, or with
// blanks, quotes or characters the shell interprets) in single quotes, e.g.
// {"sh", "-c", "exit 7"} -> "sh -c 'exit 7'".
std::string shell_words(const std::vector<std::string>& words);

// Online CPUs from /sys/devices/system/cpu/online.
std::vector<int> online_cpus();
// The CPUs to open events on: spec.cpus (each must be online, else UsageError) or all online.
std::vector<int> selected_cpus(const TargetSpec& spec);
// The -p processes and -t threads whose exit ends a recording (as perf record -p does).
std::vector<pid_t> watched_targets(const TargetSpec& spec);
// Throws EnvironmentError naming the first -p/-t id that does not exist.
void check_targets_exist(const TargetSpec& spec);
// Throws EnvironmentError when BPF recording cannot work here: not root and no CAP_BPF +
// CAP_PERFMON (fix: sudo or setcap), or no kernel BTF. RLIMIT_MEMLOCK is never a problem.
void check_bpf_environment();
// Makes libbpf quiet except for warnings and errors (shown with a "libbpf:" prefix).
void quiet_libbpf();

// The command kiln runs: forked at construction and held before exec until release(), so the
// sampler is attached to it before its first instruction. The destructor kills and reaps a
// child that is still running.
class ChildCommand {
 public:
  explicit ChildCommand(const std::vector<std::string>& argv);
  ~ChildCommand();
  ChildCommand(const ChildCommand&) = delete;
  ChildCommand& operator=(const ChildCommand&) = delete;

  pid_t pid() const { return pid_; }
  // Lets the child exec. Throws EnvironmentError when the command cannot be executed
  // (not found, not executable).
  void release();
  // Reaps the child if it has exited (blocking: waits for it). True once it has exited.
  bool reap(bool block);
  bool exited() const { return exit_code_.has_value(); }
  // The shell convention: the exit status, or 128 + the signal that killed it.
  int exit_code() const { return exit_code_.value_or(0); }
  void signal(int signo) const;

 private:
  pid_t pid_ = -1;
  int gate_fd_ = -1;        // written once to let the child exec
  int exec_error_fd_ = -1;  // the child's errno if exec failed; EOF on success (CLOEXEC)
  std::vector<std::string> argv_;
  std::optional<int> exit_code_;
};

// ---- The BPF side: filter, perf events, counters, stacks ---------------------------------

// The target filter of bpf/target_filter.bpf.h: `config()` goes into the skeleton's
// rodata->filter_config before load, `populate()` fills the target maps after load.
class TargetFilter {
 public:
  // `command_pid` is the ChildCommand's pid (0 when there is none); it is a followed target.
  TargetFilter(const TargetSpec& spec, pid_t command_pid);
  kiln_filter_config config() const { return config_; }
  void populate(bpf_object* object) const;
  // The fork/exit programs are attached only when processes are followed.
  bool follows_children() const { return config_.follow_children != 0; }

 private:
  kiln_filter_config config_{};
  std::vector<uint32_t> tgids_, tids_, cpus_;
};

// Owns BPF links; destroying it detaches them (nothing stays attached on any path).
class Links {
 public:
  Links() = default;
  ~Links();
  Links(const Links&) = delete;
  Links& operator=(const Links&) = delete;
  // Attaches a tracing program (tp_btf, raw_tp); throws EnvironmentError on failure.
  void attach(bpf_program* program);
  void add(bpf_link* link) { links_.push_back(link); }

 private:
  std::vector<bpf_link*> links_;
};

// One software cpu-clock perf event per CPU at `hz`, each attached to `program`; destroying it
// detaches and closes them. Throws EnvironmentError (with the perf_event_paranoid / capability
// fix) when events cannot be opened.
class CpuClockEvents {
 public:
  CpuClockEvents(const std::vector<int>& cpus, unsigned hz, bpf_program* program);

 private:
  Links links_;
};

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

// Recorded stacks before symbolization: addresses innermost first, as the kernel gives them.
struct RawStack {
  uint32_t tgid = 0;
  uint32_t pid = 0;
  std::string comm;
  std::vector<uint64_t> user;
  std::vector<uint64_t> kernel;
  uint64_t weight = 0;     // samples, or nanoseconds off CPU
  uint64_t events = 0;     // samples, or blocks off CPU
  bool truncated = false;  // the user stack was not unwound to its root (--unwind dwarf)
  uint32_t state = 0;      // off-CPU: the OFFCPU_STATE_* bit it left the CPU in; 0 on-CPU
};
struct RawProfile {
  std::vector<RawStack> stacks;
  uint64_t total_weight() const;
};
// Stacks of the `stacks` map of bpf/stack_store.bpf.h by id, each read once however many
// keys share it.
class StackReader {
 public:
  explicit StackReader(int stacks_fd) : fd_(stacks_fd) {}
  // Addresses innermost first; empty for id 0 or a stack that is not there.
  const std::vector<uint64_t>& read(uint64_t id);

 private:
  int fd_;
  std::unordered_map<uint64_t, std::vector<uint64_t>> cache_;
};
// Reads every {key -> value} of a counts map keyed by kiln_stack_key, resolving stack ids
// through `stacks`. A value is the weight (__u64 samples), or {weight, events} (offcpu_total of
// bpf/offcpu.h); with the weight alone, events = weight.
RawProfile drain_stack_counts(int counts_fd, StackReader& stacks);

// ---- DWARF unwinding (--unwind dwarf) ------------------------------------------------------

enum class UnwindMode { kDwarf, kFramePointers };

// What became of the user stacks copied for unwinding.
struct UnwindCounters {
  uint64_t stacks = 0;                           // user stacks unwound
  uint64_t ended[unwind::kUnwindEndCount] = {};  // by how the unwind ended
  uint64_t stack_bytes = 0;                      // stack bytes copied, summed
  uint64_t unwind_ns = 0;                        // time spent unwinding, summed
  uint64_t blocks_without_stack = 0;             // off-CPU: block whose copy was lost
  uint64_t incomplete() const { return stacks - ended[0]; }
  void add(const UnwindCounters& other) {
    stacks += other.stacks;
    for (int i = 0; i < unwind::kUnwindEndCount; ++i) ended[i] += other.ended[i];
    stack_bytes += other.stack_bytes;
    unwind_ns += other.unwind_ns;
    blocks_without_stack += other.blocks_without_stack;
  }
};
// One line per kind of incomplete stack with its count, share and fix; empty if none.
std::vector<std::string> describe_incomplete(const UnwindCounters& counters);
// The summary's lines on unwinding: stacks unwound, complete, incomplete by kind.
void print_unwinding(std::FILE* out, const UnwindCounters& counters);
// ", N% of user stacks incomplete ([truncated])" for an SVG subtitle; empty when none are.
std::string incomplete_stacks_note(const UnwindCounters& counters);

// Consumes the user_stacks ring buffer of bpf/user_stack.h while recording: unwinds each
// sample's (or each counted block's) user stack and counts the stacks it gives.
class UnwoundStacks {
 public:
  UnwoundStacks(bpf_map* user_stacks, unwind::UserStackUnwinder& unwinder);
  ~UnwoundStacks();
  UnwoundStacks(const UnwoundStacks&) = delete;
  UnwoundStacks& operator=(const UnwoundStacks&) = delete;
  int epoll_fd() const;
  void consume();
  // Adds the counted stacks to `profile`, their kernel stacks read through `stacks`.
  void drain_into(RawProfile& profile, StackReader& stacks);
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
  void count(const kiln_user_stack_record& record, size_t size, uint64_t weight,
             uint64_t kernel_stack_id, const char* comm, uint32_t state);
  // Counts `weight` under the stack in scratch_.user with these other parts of its key.
  void add(uint32_t tgid, uint32_t pid, uint64_t kernel_stack_id, const char* comm, uint32_t state,
           bool truncated, uint64_t weight);
  ring_buffer* ring_ = nullptr;
  unwind::UserStackUnwinder& unwinder_;
  UnwindCounters counters_;
  std::unordered_map<Key, Weights, KeyHash> counts_;
  std::unordered_map<uint32_t, std::vector<uint8_t>> switched_out_;  // tid -> its last SWITCH_OUT
  Key scratch_;
};

// ---- While recording -----------------------------------------------------------------------

// Consumes the `new_processes` ring buffers of bpf/process_events.bpf.h and snapshots each
// announced process in the symbolizer while it is alive.
class ProcessTracker {
 public:
  // One ring per recorder of the session: each one's programs announce what they see.
  ProcessTracker(const std::vector<bpf_map*>& new_processes, symbolizer::Symbolizer& symbolizer);
  ~ProcessTracker();
  ProcessTracker(const ProcessTracker&) = delete;
  ProcessTracker& operator=(const ProcessTracker&) = delete;
  int epoll_fd() const;
  void consume();
  // A process is often announced while ld.so is still mapping its libraries: it is snapshotted
  // again a few times during its first 100 ms. Call refresh() when refresh_due_ms() (the time
  // until the next refresh, -1 for none) has passed.
  void refresh();
  int refresh_due_ms() const;
  // Snapshots the processes of `profile` that were never announced (still alive, one hopes).
  void snapshot_missing(const RawProfile& profile);
  size_t snapshots() const { return snapshotted_.size(); }
  // The parent of each announced process, read while it was alive.
  const std::map<uint32_t, uint32_t>& parents() const { return parents_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Recent {
    Clock::time_point announced;
    size_t refreshes = 0;
  };
  void snapshot(uint32_t tgid);
  static int on_event(void* self, void* data, size_t size);
  ring_buffer* ring_ = nullptr;
  symbolizer::Symbolizer& symbolizer_;
  std::map<uint32_t, bool> snapshotted_;
  std::map<uint32_t, Recent> recent_;
  std::map<uint32_t, uint32_t> parents_;
};

// A file descriptor the recording loop polls, and what to do when it is readable.
struct EventSource {
  int fd = -1;
  std::function<void()> on_ready;
};

// The ring buffer of a perf event (`fd`, taken over) with `data_pages` pages of records (a power
// of two), unmapped and closed by its destructor. Throws EnvironmentError if it cannot be mapped.
class PerfRing {
 public:
  PerfRing(int fd, size_t data_pages);
  ~PerfRing();
  PerfRing(const PerfRing&) = delete;
  PerfRing& operator=(const PerfRing&) = delete;
  int fd() const { return fd_; }
  // Appends a copy of each record written since the last read, in order, and frees their space.
  void read(std::vector<std::vector<uint8_t>>& records);

 private:
  int fd_;
  perf_event_mmap_page* header_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t data_size_ = 0;
  size_t mapped_size_ = 0;
};

// The kernel's records of what every process on `cpus` maps (executable mappings, with their
// build-ids), execs, forks and exits, from one dummy perf event per CPU, applied to the process
// snapshots of `symbolizer` (Symbolizer::record_*) in the order they happened: a process
// started while recording is symbolized even if it exits before kiln could read its /proc.
// Throws EnvironmentError when the events cannot be opened.
class ProcessRecords {
 public:
  ProcessRecords(const std::vector<int>& cpus, symbolizer::Symbolizer& symbolizer);
  // One per CPU, each reading every CPU's records (they are applied in time order).
  std::vector<EventSource> sources();
  void read();
  // Records the kernel dropped because kiln read too late (PERF_RECORD_LOST).
  uint64_t lost() const { return lost_; }
  // The parent of each process forked while recording.
  const std::map<uint32_t, uint32_t>& parents() const { return parents_; }

 private:
  void apply(const std::vector<uint8_t>& record);
  symbolizer::Symbolizer& symbolizer_;
  bool build_ids_ = true;
  std::vector<std::unique_ptr<PerfRing>> rings_;
  std::vector<std::vector<uint8_t>> batch_;
  uint64_t lost_ = 0;
  std::map<uint32_t, uint32_t> parents_;
};

enum class StopReason { kDuration, kSignal, kCommandExited, kTargetsExited };

// Blocks SIGINT, SIGTERM and SIGCHLD so that they are read by the recording loop; construct it
// before forking a ChildCommand (the child restores the default mask before exec).
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

struct RecordLoopOptions {
  double duration_seconds = 0;      // 0: until a signal or the command exits
  ChildCommand* command = nullptr;  // stop when it exits
  std::vector<pid_t> watched;       // -p processes and -t threads: stop when all have exited
  ProcessTracker* tracker = nullptr;
  // ProcessRecords::sources(): read before the tracker's announcements and before every other
  // source, so a process's mappings are known before its samples are read.
  std::vector<EventSource> process_records;
  // Read as they fill, after the tracker's announcements (a sample's process is snapshotted
  // before the sample is read), and once more at the stop.
  std::vector<EventSource> sources;
  std::function<uint64_t()> samples_so_far;  // for the progress line
  bool progress = false;                     // live progress line on stderr
  const char* progress_unit = "samples";
};
// What every recording of `targets` waits for: `duration_seconds` (0: no limit), the end of
// `command` (if any) or of every -p/-t target; announcements go to `tracker`. The caller adds
// samples_so_far (and progress_unit).
RecordLoopOptions record_loop_options(const TargetSpec& targets, ChildCommand* command,
                                      ProcessTracker& tracker, double duration_seconds,
                                      bool progress);
// Waits until the duration has passed, SIGINT/SIGTERM arrived (forwarded to the command), the
// command exited or every watched target exited, consuming process announcements meanwhile.
StopReason run_until_stopped(const StopSignals& signals, const RecordLoopOptions& options);

// ---- Recorders and the session that runs them ----------------------------------------------

// One kind of recording (on-CPU sampling, off-CPU tracing), loaded at construction, in the
// shape a session runs any number of them: attach, read while recording, detach, drain.
class Recorder {
 public:
  virtual ~Recorder() = default;
  // The ring buffer in which its BPF programs announce processes to snapshot.
  virtual bpf_map* new_processes() const = 0;
  // Starts recording. `targets_running`: the targets may be running already (false when the
  // only target is a command kiln starts after this).
  virtual void attach(bool targets_running) = 0;
  // What the session reads while recording (ring buffers, as they fill).
  virtual std::vector<EventSource> sources() = 0;
  // Samples or blocks so far, for the progress line.
  virtual uint64_t events_so_far() const = 0;
  // Stops recording; nothing stays attached. Idempotent; also done by the destructor.
  virtual void detach() = 0;
  // After detach: the counted stacks, by thread.
  virtual RawProfile drain() = 0;
  virtual SampleCounters counters() const = 0;
  virtual UnwindCounters unwinding() const = 0;  // --unwind dwarf; zero otherwise
};

struct SessionOptions {
  double duration_seconds = 0;            // 0: until a signal, the command's or the targets' exit
  bool progress = false;                  // live progress line on stderr
  const char* progress_unit = "samples";  // what the first recorder's events_so_far counts
};

struct Session {
  std::vector<RawProfile> raw;  // one per recorder, in their order
  double seconds = 0;           // from the first attach to the last detach
  StopReason stop = StopReason::kDuration;
  std::map<uint32_t, uint32_t> parents;  // tgid -> parent tgid (ProcessTracker, ProcessRecords)
  uint64_t lost_process_records = 0;     // ProcessRecords::lost
};
// Attaches every recorder, lets `command` (if any) exec, waits for the end of the recording
// (record_loop_options) while reading their sources and snapshotting announced processes in
// `symbolizer`, then detaches them all and drains each.
Session record_session(const TargetSpec& targets, const std::vector<Recorder*>& recorders,
                       ChildCommand* command, const StopSignals& signals,
                       symbolizer::Symbolizer& symbolizer, const SessionOptions& options);

// ---- The on-CPU sampler (bpf/profile.bpf.c) -----------------------------------------------

struct SamplerOptions {
  unsigned hz = 99;
  UnwindMode unwind = UnwindMode::kDwarf;
  uint32_t stack_size = 16384;           // --unwind dwarf: user stack bytes copied per sample
  uint32_t ring_size = 8 * 1024 * 1024;  // --unwind dwarf: bytes of the user_stacks ring
  double duration_seconds = 0;           // 0: until a signal or the command exits
  uint32_t stack_map_size = 0;           // 0: from hz, CPUs and duration (stack_map_entries)
  bool progress = false;                 // live progress line on stderr
};

// What a recorder hands to symbolization and output.
struct Recording {
  RawProfile raw;
  SampleCounters counters;
  double seconds = 0;  // from attach to detach
  size_t cpus = 0;
  StopReason stop = StopReason::kDuration;
  std::map<uint32_t, uint32_t> parents;  // tgid -> parent tgid (ProcessTracker::parents)
  UnwindCounters unwinding;              // --unwind dwarf
};
// What a session gave of one of its recorders: its stacks (session.raw[index], moved out), its
// counters and unwinding, the session's duration, stop reason and parents (moved out).
Recording recording_of(Session& session, size_t index, const Recorder& recorder, size_t cpus);

// bpf/profile.bpf.c loaded for a target filter, sampling `cpus` at options.hz once attached.
// With `unwinder` and options.unwind kDwarf, user stacks are copied per sample and unwound by
// `unwinder` as they arrive. Throws EnvironmentError when it cannot be loaded or attached.
class OnCpuSampler final : public Recorder {
 public:
  OnCpuSampler(const TargetFilter& filter, const std::vector<int>& cpus,
               const SamplerOptions& options, unwind::UserStackUnwinder* unwinder);
  ~OnCpuSampler() override;
  OnCpuSampler(const OnCpuSampler&) = delete;
  OnCpuSampler& operator=(const OnCpuSampler&) = delete;

  bpf_map* new_processes() const override;
  void attach(bool targets_running) override;
  std::vector<EventSource> sources() override;
  uint64_t events_so_far() const override;
  void detach() override;
  RawProfile drain() override;
  SampleCounters counters() const override;
  UnwindCounters unwinding() const override;

 private:
  profile_bpf* skeleton_ = nullptr;
  std::vector<int> cpus_;
  unsigned hz_ = 0;
  bool follow_children_ = false;
  std::unique_ptr<Links> tracking_;         // fork, exec and exit programs
  std::optional<CpuClockEvents> sampling_;  // the perf events: sampling while they exist
  std::optional<UnwoundStacks> unwound_;
};

// Loads and attaches the sampler for `targets` on `cpus`, lets `command` (if any) exec, waits
// for the end, detaches everything and drains the maps. Processes are snapshotted in
// `symbolizer` while recording. Throws EnvironmentError for what the machine lacks.
Recording record_on_cpu(const TargetSpec& targets, const std::vector<int>& cpus,
                        const SamplerOptions& options, ChildCommand* command,
                        const StopSignals& signals, symbolizer::Symbolizer& symbolizer);

// ---- Off-CPU tracing (bpf/offcpu.bpf.c) ----------------------------------------------------

// What `kiln record --off-cpu` measures: time threads spend blocked, by the stack they blocked in.
struct OffCpuOptions {
  double duration_seconds = 0;  // 0: until a signal or the command exits
  uint64_t min_block_us = 1;    // shorter blocks are not counted
  uint64_t max_block_us = 0;    // 0: no limit; longer blocks are not counted
  uint32_t states = OFFCPU_STATE_INTERRUPTIBLE | OFFCPU_STATE_UNINTERRUPTIBLE;
  bool include_kernel_threads = false;
  bool raw_tracepoint = false;             // use raw_tp/sched_switch even where tp_btf exists
  uint32_t stack_map_size = 0;             // 0: 32768 entries
  UnwindMode unwind = UnwindMode::kDwarf;  // kDwarf needs tp_btf; raw_tp walks frame pointers
  uint32_t stack_size = 16384;             // --unwind dwarf: user stack bytes copied per block
  uint32_t ring_size = 8 * 1024 * 1024;    // --unwind dwarf: bytes of the user_stacks ring
  bool progress = false;                   // live progress line on stderr
};

// Accounting of off-CPU blocks beyond the shared SampleCounters (where `samples` are blocks).
struct OffCpuCounters {
  uint64_t lost_start_map_full = 0;   // blocks lost: the thread could not be remembered
  uint64_t below_min = 0;             // blocks shorter than --min-block-us (filtered)
  uint64_t above_max = 0;             // blocks longer than --max-block-us (filtered)
  uint64_t blocked_at_start = 0;      // threads already blocked when tracing started
  uint64_t still_blocked_at_end = 0;  // blocks in progress at the end, counted up to it
  uint64_t uninterruptible_ns = 0;    // of the blocked time, that in D state
};

// bpf/offcpu.bpf.c loaded for a target filter: on tp_btf/sched_switch, or raw_tp/sched_switch
// when the kernel has no BTF tracepoints (or `options.raw_tracepoint`). With `unwinder` and
// options.unwind kDwarf (tp_btf only), user stacks are copied at switch-out and unwound by
// `unwinder` as the blocks are counted. Throws EnvironmentError when it cannot be loaded or
// attached; detaches on destruction.
class OffCpuTracer final : public Recorder {
 public:
  OffCpuTracer(const TargetFilter& filter, const OffCpuOptions& options,
               unwind::UserStackUnwinder* unwinder = nullptr);
  ~OffCpuTracer() override;
  OffCpuTracer(const OffCpuTracer&) = delete;
  OffCpuTracer& operator=(const OffCpuTracer&) = delete;

  bool uses_raw_tracepoint() const { return raw_tracepoint_; }
  bpf_map* new_processes() const override;
  // Attaches, then (with `targets_running`) remembers the targets that are blocked already, so
  // their time from now to their first wake-up counts, under their kernel stack.
  void attach(bool targets_running) override;
  std::vector<EventSource> sources() override;
  // Detaches and counts the blocks still in progress up to now.
  void detach() override;
  uint64_t events_so_far() const override;  // blocks
  SampleCounters counters() const override;
  OffCpuCounters offcpu_counters() const;
  UnwindCounters unwinding() const override;
  // Blocked nanoseconds by thread and stacks.
  RawProfile drain() override;

 private:
  void seed();
  void count_still_blocked(uint64_t end_ns);
  offcpu_bpf* skeleton_ = nullptr;
  std::unique_ptr<Links> links_;
  std::optional<UnwoundStacks> unwound_;
  bool raw_tracepoint_ = false;
  bool btf_tracing_ = false;  // the kernel has BTF tracepoints (tp_btf, iterators)
  bool follow_children_ = false;
  uint64_t min_block_ns_ = 0, max_block_ns_ = 0;
  uint64_t still_blocked_at_end_ = 0, uninterruptible_ns_at_end_ = 0;
};

struct OffCpuRecording {
  Recording recording;  // raw weights in microseconds; counters.samples counts blocks
  OffCpuCounters offcpu;
  UnwindCounters unwinding;  // --unwind dwarf
  // Blocks lost: their stacks or counts could not be stored, or their thread remembered.
  uint64_t lost() const { return recording.counters.lost() + offcpu.lost_start_map_full; }
  bool raw_tracepoint = false;
  size_t threads = 0;       // threads with blocked time
  uint64_t blocked_ns = 0;  // their blocked time, summed
};

// The off-CPU counterpart of record_on_cpu: traces `targets` until the end, then detaches and
// drains. Processes are snapshotted in `symbolizer` while tracing.
OffCpuRecording record_off_cpu(const TargetSpec& targets, const std::vector<int>& cpus,
                               const OffCpuOptions& options, ChildCommand* command,
                               const StopSignals& signals, symbolizer::Symbolizer& symbolizer);
// Title, subtitle (targets, duration, total blocked time, threads, blocks, losses) and the io
// palette (blue) for every frame.
flamegraph::SvgOptions off_cpu_svg_options(const OffCpuRecording& recording,
                                           const std::string& targets);
// The stderr summary: blocked time, threads, blocks, losses and filters, the top 10 blocking
// stacks by time with their number of blocks and mean block. `profile` is symbolize_into's
// result for recording.raw.
void print_off_cpu_summary(std::FILE* out, const OffCpuRecording& recording,
                           const profile::Profile& profile,
                           const std::vector<std::string>& written);

// ---- Wall-clock time (kiln record --wall) --------------------------------------------------

// The time of one thread over a wall-clock recording.
struct ThreadTime {
  uint32_t tgid = 0;
  uint32_t tid = 0;
  std::string comm;
  uint64_t on_cpu_ns = 0;    // its samples times the sampling period
  uint64_t runnable_ns = 0;  // preempted or yielding: waiting for a CPU
  uint64_t off_cpu_ns = 0;   // blocked, in S or D state
  uint64_t wall_ns() const { return on_cpu_ns + runnable_ns + off_cpu_ns; }
};

struct WallRecording {
  // Raw weights in microseconds of time; counters of the on-CPU samples.
  Recording recording;
  unsigned hz = 0;
  SampleCounters off_cpu;          // blocks (and waits for a CPU) counted and lost
  OffCpuCounters off_cpu_details;  // blocked at the start, still blocked at the end, D time
  bool raw_tracepoint = false;
  std::vector<ThreadTime> threads;  // longest wall time first
  uint64_t lost() const {
    return recording.counters.lost() + off_cpu.lost() + off_cpu_details.lost_start_map_full;
  }
};

// The on-CPU sampler and the off-CPU tracer (counting waits for a CPU too) in one session on
// the same targets: each sample weighs 1/hz s of its thread's time, each wait its length, and
// off-CPU stacks carry their state (RawStack::state) for SymbolizeOptions::state_frames.
WallRecording record_wall(const TargetSpec& targets, const std::vector<int>& cpus,
                          const SamplerOptions& sampler, const OffCpuOptions& off_cpu,
                          ChildCommand* command, const StopSignals& signals,
                          symbolizer::Symbolizer& symbolizer);
// Title, subtitle (targets, duration, threads, on/off-CPU time, losses) and the wall-clock
// style (flamegraph::use_wall_time_style).
flamegraph::SvgOptions wall_svg_options(const WallRecording& recording, const std::string& targets);
// The stderr summary: time on and off CPU, losses, each thread's wall time split, the top
// functions by self time.
void print_wall_summary(std::FILE* out, const WallRecording& recording,
                        const profile::Profile& profile, const std::vector<std::string>& written);

// ---- After recording -----------------------------------------------------------------------

enum class RootFrame { kComm, kPerPid, kPerTid };

struct SymbolizeOptions {
  RootFrame root = RootFrame::kComm;
  // A forked child runs its parent's code until it execs; samples taken then (the exec itself)
  // are symbolized in the parent when the child's own (post-exec) snapshot has no mapping.
  std::function<uint32_t(uint32_t tgid)> parent_of;
  // --wall: off-CPU stacks end in a frame naming the state the thread waited in
  // (flamegraph::wall_state_frame).
  bool state_frames = false;
};
// The frame a wait of RawStack::state `state` (an OFFCPU_STATE_* bit) ends in with --wall.
std::string_view wall_state_frame(uint32_t state);

// True when symbolize_user found `frames` in no mapping: a return address that a frame-pointer
// walk read from data. The folded and pprof outputs draw a stack from the frame inside it.
bool in_no_mapping(const std::vector<symbolizer::Frame>& frames);

// Stacks cut short by symbolization (see symbolize_into).
struct CutStacks {
  uint64_t stacks = 0;
  uint64_t weight = 0;
  std::vector<std::pair<uint32_t, uint64_t>> examples;  // the first few: {tgid, address}
};
// Turns addresses into frame names: root frame (comm / comm-PID / comm-PID/TID), user frames
// (JIT `_[j]`, inlined `_[i]`) then kernel frames (`_[k]`); merged and sorted.
// Returns the stacks it cut at a return address that is in no mapping of its process (and,
// before an exec, of its parent): drawn from the frame inside it, under [truncated].
CutStacks symbolize_into(const RawProfile& raw, symbolizer::Symbolizer& symbolizer,
                         const SymbolizeOptions& options, profile::Profile& profile);
// The summary's line on cut stacks (none when there are none); `verbose`: their addresses.
void print_cut_stacks(std::FILE* out, const CutStacks& cut, uint64_t total_weight, bool verbose);

// What a pprof file of a recording says besides its stacks (README, section "pprof").
struct PprofFacts {
  // "cpu" (samples, CPU time), "off-cpu" (blocked time, blocks) or "wall" (time, raw weights
  // in microseconds, stacks with their state)
  std::string measured = "cpu";
  unsigned hz = 0;               // sampling frequency (on-CPU)
  double seconds = 0;            // duration
  int64_t start_time_nanos = 0;  // wall clock at the start (see start_time_nanos)
  uint64_t lost = 0;
  std::vector<std::string> comments;  // e.g. the loss reasons of describe_losses
};
// The wall clock `seconds` ago, in nanoseconds since the epoch: the start of a recording that
// lasted that long and has just ended.
int64_t start_time_nanos(double seconds);
// A recording with what pprof keeps of it: addresses symbolized again into structured frames
// (mappings with build-ids, inline chains with files and lines; the Symbolizer should have
// Options::want_lines), the thread in pid/tid/thread_name labels.
struct PprofSource {
  const RawProfile& raw;
  symbolizer::Symbolizer& symbolizer;
  SymbolizeOptions symbolize;
  PprofFacts facts;
};
// Writes the recording as gzip-compressed pprof: samples/count and cpu/nanoseconds on-CPU,
// off_cpu/nanoseconds and blocks/count off-CPU, wall/nanoseconds with a `state` label
// (on-cpu, [off-cpu: S], [off-cpu: D], [runnable]) for wall-clock time.
void write_recording_pprof(const PprofSource& source, std::ostream& out);

// Writes the profile to each path by extension: .svg flame graph (drawn with `svg`), .folded /
// .txt folded stacks, "-" folded to stdout, .pb.gz/.pb/.pprof pprof (from `pprof` when given,
// else from the folded stacks). An empty list means kiln.svg plus kiln.folded.
// Returns the paths written. Throws UsageError for an unknown extension (check_output_paths
// does that before recording) or a file that cannot be written.
void check_output_paths(const std::vector<std::string>& paths);
// Whether any of the paths is a pprof output (its symbolization needs file:line).
bool wants_pprof(const std::vector<std::string>& paths);
std::vector<std::string> write_outputs(const profile::Profile& profile,
                                       const flamegraph::SvgOptions& svg,
                                       std::vector<std::string> paths,
                                       const PprofSource* pprof = nullptr);

struct RecordSummary {
  std::string what = "samples";  // what counters.samples counts
  double seconds = 0;
  size_t cpus = 0;
  unsigned hz = 0;  // 0: not a sampler (no "at N Hz")
  SampleCounters counters;
  const UnwindCounters* unwinding = nullptr;  // --unwind dwarf
  std::vector<std::string> written;
};
// The stderr summary: duration, CPUs, samples, lost samples with reasons, top 10 self functions.
void print_summary(std::FILE* out, const RecordSummary& summary, const profile::Profile& profile);
// The summary's ten functions with the most self weight (leaf frames), with their shares.
void print_top_functions(std::FILE* out, const profile::Profile& profile);
// "kiln: wrote PATH" for each file written (not for "-", stdout).
void print_written(std::FILE* out, const std::vector<std::string>& written);

}  // namespace kiln::record
