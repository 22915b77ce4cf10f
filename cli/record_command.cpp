// `kiln record`: sample on-CPU stacks of the whole machine, some processes, threads or CPUs, or
// a command kiln starts, and write a flame graph and folded stacks.
#include <unistd.h>

#include <cinttypes>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>

#include "cli/commands.h"
#include "process/process.h"
#include "record/record.h"
#include "symbolizer/symbolizer.h"

namespace kiln::cli {

namespace {

std::vector<std::string>& trailing_command() {
  static std::vector<std::string> words;
  return words;
}

struct RecordOptions {
  record::TargetSpec targets;
  record::SamplerOptions sampler;
  std::vector<std::string> outputs;
  bool per_pid = false;
  bool per_tid = false;
  std::string title;
  bool off_cpu = false;  // --off-cpu: blocked time at sched_switch instead of samples
  bool wall = false;     // --wall: samples and waits in one profile of time
  record::OffCpuOptions off_cpu_options;
  std::string state = "both";
  std::string unwind = "dwarf";
  uint32_t ring_mib = 8;
  bool verbose = false;
  bool no_debuginfod = false;
};

// "the command ...", "pid 12,34", "all CPUs": what was recorded, for the subtitle.
std::string describe_targets(const record::TargetSpec& targets) {
  const auto ids = [](const char* what, const auto& list) {
    std::string text = what;
    for (size_t i = 0; i < list.size(); ++i) text += (i ? "," : " ") + std::to_string(list[i]);
    return text;
  };
  std::string text;
  if (!targets.command.empty()) text = record::shell_words(targets.command);
  if (!targets.pids.empty()) text = ids("pid", targets.pids);
  if (!targets.tids.empty()) text += (text.empty() ? "" : ", ") + ids("tid", targets.tids);
  if (!targets.cpus.empty()) text += (text.empty() ? "" : ", ") + ids("CPU", targets.cpus);
  return text.empty() ? "all processes" : text;
}

// What every stack of a recording is symbolized with but its parents (known at its end).
record::SymbolizeOptions symbolize_options(const RecordOptions& options) {
  record::SymbolizeOptions symbolize;
  symbolize.root = options.per_tid   ? record::RootFrame::kPerTid
                   : options.per_pid ? record::RootFrame::kPerPid
                                     : record::RootFrame::kComm;
  return symbolize;
}

record::UnwindMode unwind_mode(const RecordOptions& options) {
  return options.unwind == "fp" ? record::UnwindMode::kFramePointers : record::UnwindMode::kDwarf;
}

// The pprof samples of a recording that has a pprof output (`measured` and `hz` as
// RecordingPprof takes them), else none.
std::unique_ptr<record::RecordingPprof> recording_pprof(const RecordOptions& options,
                                                        symbolizer::Symbolizer& symbolizer,
                                                        const std::string& measured, unsigned hz) {
  if (!record::wants_pprof(options.outputs)) return nullptr;
  return std::make_unique<record::RecordingPprof>(symbolizer, measured, hz);
}

// A command still running when the recording stops (-d, Ctrl-C, SIGTERM) ends with it, as
// under perf record; its exit status is passed on by record_tail.
void end_command(record::ChildCommand* command) {
  if (command && !command->reap(false)) command->signal(SIGTERM);
}

// What the record tail needs of a recording, whichever recorders made it.
struct Recorded {
  Recorded(const record::Recording& recorded, record::SymbolizeOptions options,
           record::ExitedStacks& exited_stacks)
      : recording(recorded), symbolize(std::move(options)), exited(exited_stacks) {}
  const record::Recording& recording;
  record::SymbolizeOptions symbolize;  // all but parent_of, which record_tail sets
  std::string measured;        // "cpu", "off-cpu" or "wall": the profile's and the pprof file's
  unsigned hz = 0;             // the sampling frequency; 0 without a sampler
  uint64_t lost = 0;           // samples or blocks lost
  flamegraph::SvgOptions svg;  // its title replaced by --title
  std::vector<std::string> pprof_comments;  // besides the losses of recording.counters
  std::function<record::Summary(const profile::Profile&)> summary;
  // The stacks of processes that exited while recording, symbolized then.
  record::ExitedStacks& exited;
  // The pprof samples of the recording (those of exited processes added while recording), when
  // an output is pprof; nullptr: no pprof output.
  record::RecordingPprof* pprof = nullptr;
};

// The end of every `kiln record`: symbolize, write the outputs, print the summary, then the
// stacks symbolization cut, the debug files from debuginfod and the symbolizer's problems, and
// return the exit status (the command's own when there is one).
int record_tail(const RecordOptions& options, symbolizer::Symbolizer& symbolizer, Recorded recorded,
                record::ChildCommand* command) {
  end_command(command);
  const record::Recording& recording = recorded.recording;
  record::SymbolizeOptions symbolize = recorded.symbolize;
  symbolize.parent_of = [&recording](uint32_t tgid) -> uint32_t {
    const auto it = recording.parents.find(tgid);
    return it == recording.parents.end() ? 0 : it->second;
  };
  profile::Profile profile;
  record::CutStacks cut = record::symbolize_into(recording.raw, symbolizer, symbolize, profile);
  const record::StackSpill& spill = recorded.exited.spill();
  if (!recorded.exited.append_to(profile))
    std::fprintf(stderr,
                 "kiln: warning: %s: %" PRIu64
                 " stacks of processes that exited while recording, set aside there, are "
                 "missing from the outputs\n",
                 spill.error().c_str(), spill.stacks());
  else if (!spill.error().empty())
    std::fprintf(stderr,
                 "kiln: warning: %s; the stacks of exited processes were kept in memory from "
                 "then on\n",
                 spill.error().c_str());
  cut.add(recorded.exited.cut());
  profile.metadata.measured = recorded.measured;
  profile.metadata.frequency_hz = recorded.hz;
  profile.metadata.duration_s = recording.seconds;
  profile.metadata.lost_samples = recorded.lost;

  if (!options.title.empty()) recorded.svg.title = options.title;
  record::PprofFacts facts;
  facts.seconds = recording.seconds;
  facts.start_time_nanos = record::start_time_nanos(recording.seconds);
  facts.lost = recorded.lost;
  facts.comments = record::describe_losses(recording.counters);
  facts.comments.insert(facts.comments.end(), recorded.pprof_comments.begin(),
                        recorded.pprof_comments.end());
  std::optional<record::PprofSource> pprof;
  if (recorded.pprof) {
    recorded.pprof->add(recording.raw, symbolize);
    pprof.emplace(record::PprofSource{*recorded.pprof, facts});
  }
  record::Summary summary = recorded.summary(profile);
  summary.written =
      record::write_outputs(profile, recorded.svg, options.outputs, pprof ? &*pprof : nullptr);
  record::print_summary(stderr, summary, profile);

  record::print_cut_stacks(stderr, cut, static_cast<uint64_t>(profile.total().to_double()),
                           options.verbose);
  if (options.verbose && recorded.exited.spill().stacks() > 0)
    std::fprintf(stderr,
                 "  stacks: %" PRIu64
                 " of exited processes set aside in a temporary file while recording (%.1f "
                 "MiB), read back at the end\n",
                 recorded.exited.spill().stacks(), recorded.exited.spill().bytes() / 1048576.0);
  if (options.verbose && recorded.exited.counted_takings() > 0)
    std::fprintf(stderr,
                 "  stacks: %" PRIu64
                 " counted stacks of running processes symbolized while recording (every %lld s, "
                 "%zu times), not kept as addresses to the end\n",
                 recorded.exited.counted_stacks(),
                 static_cast<long long>(record::ExitedStacks::kFoldCountedStacks.count()),
                 recorded.exited.counted_takings());
  if (options.verbose)
    std::fprintf(stderr,
                 "  processes: %zu exited while recording (symbolized %lld s after their exit, "
                 "then forgotten), %zu kept to the end; %zu binaries forgotten %lld s after "
                 "the last process mapping them\n",
                 recorded.exited.processes(),
                 static_cast<long long>(record::ExitedStacks::kAfterExit.count()),
                 symbolizer.processes().size(), recorded.exited.binaries(),
                 static_cast<long long>(record::ExitedStacks::kForgetBinariesAfter.count()));
  const symbolizer::Stats stats = symbolizer.stats();
  if (const std::string line = symbolizer::describe_debuginfod(stats.debuginfod); !line.empty())
    std::fprintf(stderr, "  symbols: %s\n", line.c_str());
  for (const std::string& message : stats.messages) {
    // The symbolizer names the first address in no mapping; print_cut_stacks counts them all.
    if (!options.verbose && message.ends_with(" is in no executable mapping")) continue;
    std::fprintf(stderr, "  symbols: %s\n", message.c_str());
  }
  if (!command) return kSuccess;
  command->reap(true);
  return command->exit_code();
}

// On-CPU samples (the default).
int run_record_on_cpu(const RecordOptions& options, const std::vector<int>& cpus,
                      const record::StopSignals& signals, record::ChildCommand* command,
                      symbolizer::Symbolizer& symbolizer) {
  record::SamplerOptions sampler = options.sampler;
  sampler.progress = isatty(STDERR_FILENO);
  sampler.unwind = unwind_mode(options);
  const record::SymbolizeOptions symbolize = symbolize_options(options);
  const auto pprof = recording_pprof(options, symbolizer, "cpu", options.sampler.hz);
  record::ExitedStacks exited(symbolizer, symbolize);
  if (pprof) exited.also_to(*pprof);
  sampler.exited = &exited;
  const record::Recording recording =
      record::record_on_cpu(options.targets, cpus, sampler, command, signals, symbolizer);

  Recorded recorded(recording, symbolize, exited);
  recorded.pprof = pprof.get();
  recorded.measured = "cpu";
  recorded.hz = options.sampler.hz;
  recorded.lost = recording.counters.lost();
  recorded.svg.title = "CPU Flame Graph";
  char subtitle[512];
  std::snprintf(subtitle, sizeof(subtitle),
                "on-CPU samples of %s: %.1f s at %u Hz on %zu CPU%s, %" PRIu64 " samples, %" PRIu64
                " lost",
                describe_targets(options.targets).c_str(), recording.seconds, options.sampler.hz,
                recording.cpus, recording.cpus == 1 ? "" : "s", recording.counters.samples,
                recording.counters.lost());
  recorded.svg.subtitle = subtitle + record::incomplete_stacks_note(recording.unwinding);
  recorded.summary = [&recording, &options](const profile::Profile&) {
    return record::on_cpu_summary({recording.seconds, recording.cpus, options.sampler.hz,
                                   recording.counters, recording.unwinding});
  };
  return record_tail(options, symbolizer, std::move(recorded), command);
}

// --off-cpu: the time threads spend blocked, by stack, in microseconds, in the io palette.
int run_record_off_cpu(const RecordOptions& options, const std::vector<int>& cpus,
                       const record::StopSignals& signals, record::ChildCommand* command,
                       symbolizer::Symbolizer& symbolizer) {
  record::OffCpuOptions off_cpu = options.off_cpu_options;
  off_cpu.states = options.state == "interruptible" ? OFFCPU_STATE_INTERRUPTIBLE
                   : options.state == "uninterruptible"
                       ? OFFCPU_STATE_UNINTERRUPTIBLE
                       : OFFCPU_STATE_INTERRUPTIBLE | OFFCPU_STATE_UNINTERRUPTIBLE;
  off_cpu.duration_seconds = options.sampler.duration_seconds;
  off_cpu.stack_map_size = options.sampler.stack_map_size;
  off_cpu.unwind = unwind_mode(options);
  off_cpu.stack_size = options.sampler.stack_size;
  off_cpu.ring_size = options.sampler.ring_size;
  off_cpu.progress = isatty(STDERR_FILENO);
  record::SymbolizeOptions symbolize = symbolize_options(options);
  symbolize.events_column = record::kBlocksColumn;
  const auto pprof = recording_pprof(options, symbolizer, "off-cpu", 0);
  record::ExitedStacks exited(symbolizer, symbolize);
  if (pprof) exited.also_to(*pprof);
  off_cpu.exited = &exited;
  const record::OffCpuRecording result =
      record::record_off_cpu(options.targets, cpus, off_cpu, command, signals, symbolizer);

  Recorded recorded(result.recording, symbolize, exited);
  recorded.pprof = pprof.get();
  recorded.measured = "off-cpu";
  recorded.lost = result.lost();
  recorded.svg = record::off_cpu_svg_options(result, describe_targets(options.targets));
  recorded.summary = [&result](const profile::Profile& profile) {
    return record::off_cpu_summary(result, profile);
  };
  return record_tail(options, symbolizer, std::move(recorded), command);
}

// --wall: on-CPU samples and off-CPU waits of the same threads, in microseconds of time.
int run_record_wall(const RecordOptions& options, const std::vector<int>& cpus,
                    const record::StopSignals& signals, record::ChildCommand* command,
                    symbolizer::Symbolizer& symbolizer) {
  record::SamplerOptions sampler = options.sampler;
  sampler.progress = isatty(STDERR_FILENO);
  sampler.unwind = unwind_mode(options);
  record::OffCpuOptions off_cpu;
  off_cpu.duration_seconds = sampler.duration_seconds;
  off_cpu.stack_map_size = sampler.stack_map_size;
  off_cpu.unwind = sampler.unwind;
  off_cpu.stack_size = sampler.stack_size;
  off_cpu.ring_size = sampler.ring_size;
  record::SymbolizeOptions symbolize = symbolize_options(options);
  symbolize.state_frames = true;
  const auto pprof = recording_pprof(options, symbolizer, "wall", options.sampler.hz);
  record::ExitedStacks exited(symbolizer, symbolize);
  if (pprof) exited.also_to(*pprof);
  sampler.exited = &exited;
  const record::WallRecording result =
      record::record_wall(options.targets, cpus, sampler, off_cpu, command, signals, symbolizer);

  Recorded recorded(result.recording, symbolize, exited);
  recorded.pprof = pprof.get();
  recorded.measured = "wall";
  recorded.hz = options.sampler.hz;
  recorded.lost = result.lost();
  recorded.svg = record::wall_svg_options(result, describe_targets(options.targets));
  for (const std::string& line : record::describe_losses(result.off_cpu))
    recorded.pprof_comments.push_back("waits " + line);
  recorded.summary = [&result](const profile::Profile&) { return record::wall_summary(result); };
  return record_tail(options, symbolizer, std::move(recorded), command);
}

int run_record(RecordOptions options) {
  options.targets.command = trailing_command();
  if (!options.targets.command.empty() &&
      !(options.targets.pids.empty() && options.targets.tids.empty()))
    throw record::UsageError("-p and -t cannot be combined with a COMMAND");
  record::check_output_paths(options.outputs);
  // Whole pages: the BPF copy falls back to reading page by page.
  options.sampler.stack_size = (options.sampler.stack_size + 4095) / 4096 * 4096;
  options.sampler.ring_size = options.ring_mib * 1024 * 1024;
  if (options.sampler.hz == 0 || options.sampler.hz > 100000)
    throw record::UsageError("-F " + std::to_string(options.sampler.hz) +
                             ": the frequency must be between 1 and 100000 Hz");
  record::check_bpf_environment();
  record::check_targets_exist(options.targets);
  const std::vector<int> cpus = record::selected_cpus(options.targets);
  record::quiet_libbpf();

  // Signals are blocked before the fork so that the command's exit cannot be missed.
  const record::StopSignals signals;
  std::unique_ptr<record::ChildCommand> command;
  if (!options.targets.command.empty())
    command = std::make_unique<record::ChildCommand>(options.targets.command);

  symbolizer::Symbolizer::Options symbolizer_options;
  // pprof keeps each frame's file and line.
  symbolizer_options.want_lines = record::wants_pprof(options.outputs);
  symbolizer_options.debuginfod = !options.no_debuginfod;
  symbolizer_options.debuginfod_progress = isatty(STDERR_FILENO);
  symbolizer::Symbolizer symbolizer(symbolizer_options);
  // Kernel symbols are read now (/proc/kallsyms, ~0.1 s) rather than after the stop, so the
  // output is written soon after Ctrl-C.
  symbolizer.symbolize_kernel(0);
  if (options.off_cpu) return run_record_off_cpu(options, cpus, signals, command.get(), symbolizer);
  if (options.wall) return run_record_wall(options, cpus, signals, command.get(), symbolizer);
  return run_record_on_cpu(options, cpus, signals, command.get(), symbolizer);
}

}  // namespace

int take_trailing_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) != "--") continue;
    trailing_command().assign(argv + i + 1, argv + argc);
    return i;
  }
  return argc;
}

void add_record_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RecordOptions>();
  CLI::App* record = app.add_subcommand(
      "record",
      "Sample on-CPU stacks (or, with --off-cpu, blocked time; with --wall, both) with BPF and "
      "write a flame graph and folded stacks");
  record->add_option("-F,--frequency", options->sampler.hz, "Samples per second on each CPU")
      ->type_name("HZ")
      ->default_val(99);
  record
      ->add_option("-d,--duration", options->sampler.duration_seconds,
                   "Stop after SECONDS (default: at Ctrl-C, SIGTERM, when COMMAND exits or when "
                   "every -p/-t target has exited); a COMMAND still running when the recording "
                   "stops gets SIGTERM")
      ->type_name("SECONDS")
      ->check(CLI::Validator(
          [](std::string& text) {
            const double seconds = std::strtod(text.c_str(), nullptr);
            return seconds > 0 ? std::string()
                               : "must be a positive number of seconds, e.g. -d 10 or -d 0.5";
          },
          ""));
  one_value_per_use(record->add_option("-p,--pid", options->targets.pids,
                                       "Only these processes (and the processes they start)"))
      ->type_name("PID[,PID]")
      ->delimiter(',');
  one_value_per_use(record->add_option("-t,--tid", options->targets.tids, "Only these threads"))
      ->type_name("TID[,TID]")
      ->delimiter(',');
  one_value_per_use(record->add_option("-C,--cpu", options->targets.cpus, "Only these CPUs"))
      ->type_name("CPU[,CPU]")
      ->delimiter(',');
  one_value_per_use(
      record->add_option("-o,--output", options->outputs,
                         "Output by extension: .svg flame graph, .folded/.txt folded stacks, "
                         ".pb.gz pprof, - folded to stdout; repeatable (default: kiln.svg and "
                         "kiln.folded)"))
      ->type_name("FILE");
  record
      ->add_option("--unwind", options->unwind,
                   "How user stacks are walked: dwarf (default: a copy of each sample's user "
                   "stack is unwound with the binaries' call frame information, complete for "
                   "programs built without frame pointers) or fp (frame pointers, in the "
                   "kernel: cheapest, for programs built with -fno-omit-frame-pointer)")
      ->type_name("dwarf|fp")
      ->check(CLI::Validator(CLI::IsMember({"dwarf", "fp"})).description(""))
      ->default_val("dwarf");
  record
      ->add_option("--stack-size", options->sampler.stack_size,
                   "With --unwind dwarf: bytes of user stack copied per sample or block, rounded "
                   "up to a multiple of 4096 (default 16384); raise it when the summary reports "
                   "stacks deeper than the copy")
      ->type_name("BYTES")
      ->check(CLI::Validator(CLI::Range(4096u, 65536u)).description(""))
      ->default_val(16384);
  record
      ->add_option("--ring-size", options->ring_mib,
                   "With --unwind dwarf: MiB of the ring buffer that carries the stack copies to "
                   "kiln, a power of two (default 8); raise it when samples are lost because it "
                   "was full")
      ->type_name("MIB")
      ->check(CLI::Validator(
          [](std::string& text) {
            const unsigned long mib = std::strtoul(text.c_str(), nullptr, 10);
            return mib >= 1 && mib <= 1024 && (mib & (mib - 1)) == 0
                       ? std::string()
                       : "must be a power of two from 1 to 1024, e.g. --ring-size 32";
          },
          ""))
      ->default_val(8);
  record->add_flag("--verbose", options->verbose,
                   "List the addresses of the stacks cut at a return address in no mapping "
                   "(see the summary)");
  record->add_flag("--per-pid", options->per_pid, "Root frame comm-PID instead of comm");
  record->add_flag("--per-tid", options->per_tid, "Root frame comm-PID/TID instead of comm");
  record->add_flag("--include-idle", options->targets.include_idle,
                   "Also sample the idle task (swapper)");
  record->add_flag("--no-debuginfod", options->no_debuginfod,
                   "Do not ask the debuginfod servers in DEBUGINFOD_URLS for the debug files of "
                   "stripped binaries (by default kiln does, after the recording, once per "
                   "binary)");
  record
      ->add_option("--stack-map-size", options->sampler.stack_map_size,
                   "Entries of the stack and count maps, about 1 KiB each (default: 2 x -F x "
                   "CPUs x -d within 16384-262144; 65536 when open ended); raise it when "
                   "samples are lost because they are full")
      ->type_name("N");
  record->add_option(
      "--title", options->title,
      "SVG title (default: CPU Flame Graph; with --off-cpu: Off-CPU Time Flame Graph)");
  record
      ->add_flag("--off-cpu", options->off_cpu,
                 "Trace off-CPU time instead: how long threads are blocked (sleeps, locks, "
                 "I/O), by the stack they blocked in, at sched_switch; weights in "
                 "microseconds")
      ->excludes("--frequency")
      ->excludes("--include-idle");
  record
      ->add_flag("--wall", options->wall,
                 "Wall-clock time: on-CPU samples and off-CPU waits of the same threads in one "
                 "graph of time (microseconds); waits end in an [off-cpu: S], [off-cpu: D] or "
                 "[runnable] frame and are drawn in blue; the summary splits each thread's time")
      ->excludes("--off-cpu")
      ->excludes("--include-idle");
  record
      ->add_option("--min-block-us", options->off_cpu_options.min_block_us,
                   "With --off-cpu: count only blocks of at least this many microseconds")
      ->type_name("US")
      ->default_val(1)
      ->needs("--off-cpu");
  record
      ->add_option("--max-block-us", options->off_cpu_options.max_block_us,
                   "With --off-cpu: count only blocks of at most this many microseconds "
                   "(default: no limit)")
      ->type_name("US")
      ->needs("--off-cpu");
  record
      ->add_option("--state", options->state,
                   "With --off-cpu: which blocked states count: interruptible (sleeps, waits "
                   "for events), uninterruptible (disk I/O, some locks) or both")
      ->type_name("interruptible|uninterruptible|both")
      ->check(CLI::IsMember({"interruptible", "uninterruptible", "both"}).description(""))
      ->default_val("both")
      ->needs("--off-cpu");
  record
      ->add_flag("--include-kernel-threads", options->off_cpu_options.include_kernel_threads,
                 "With --off-cpu: also trace kernel threads")
      ->needs("--off-cpu");
  record->formatter(usage_formatter("[OPTIONS] [-- COMMAND [ARGS...]]"));
  record->footer(
      "Examples:\n"
      "  sudo kiln record -- ./app --flag         profile a command until it exits\n"
      "  sudo kiln record -p 1234 -d 30 -o app.svg   a running process for 30 s\n"
      "  sudo kiln record -d 10 -F 999             the whole machine, 999 samples/s per CPU\n"
      "  sudo kiln record -t 1235 --per-tid -o -   one thread, folded stacks to stdout\n"
      "  sudo kiln record -C 0 -d 5 -o cpu0.folded   whatever runs on CPU 0\n"
      "  sudo kiln record --off-cpu -p 1234 -d 10 -o blocked.svg\n"
      "                                          where a process waits, in microseconds\n"
      "  sudo kiln record --off-cpu --min-block-us 1000 --state uninterruptible -- ./app\n"
      "                                          only waits of 1 ms or more in D state\n"
      "  sudo kiln record --wall --per-tid -p 1234 -d 10 -o wall.svg\n"
      "                                          where each thread's time goes, running or not\n"
      "Exit status: the command's own when one is given; 2 when privileges or kernel features\n"
      "are missing (the message says how to fix it).");
  record->callback([options, &exit_code] {
    try {
      exit_code = run_record(*options);
    } catch (const record::UsageError& e) {
      std::fprintf(stderr, "kiln record: %s\n", e.what());
      exit_code = kInputError;
    } catch (const record::EnvironmentError& e) {
      std::fprintf(stderr, "kiln record: %s\n", e.what());
      exit_code = kEnvironmentError;
    }
  });
}

}  // namespace kiln::cli
