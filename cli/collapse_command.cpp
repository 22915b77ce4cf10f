// `kiln collapse perf`: `perf script` text -> folded stacks (what stackcollapse-perf.pl does).
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "formats/formats.h"
#include "profile/profile.h"

namespace kiln::cli {

namespace {

using namespace kiln;

struct CollapsePerfArgs {
  std::vector<std::string> inputs;
  std::string output = "-";
  bool pid = false;
  bool tid = false;
  bool all = false;
  bool strict = false;
  std::string count = "period";
  formats::PerfScriptOptions options;
};

int run_collapse_perf(CollapsePerfArgs& args) {
  formats::PerfScriptOptions& options = args.options;
  options.root = args.tid   ? formats::PerfScriptOptions::Root::kTid
                 : args.pid ? formats::PerfScriptOptions::Root::kPid
                            : formats::PerfScriptOptions::Root::kComm;
  if (args.all) options.annotate_kernel = options.annotate_jit = options.annotate_inline = true;
  options.sample_counts = args.count == "samples";
  if (args.inputs.empty()) args.inputs.push_back("-");

  profile::Profile profile;
  formats::PerfScriptReader reader(profile, options, &std::cerr);
  for (const std::string& input : args.inputs) {
    if (!reader.read_file(input)) return kInputError;
  }
  if (reader.bad_lines() > 0) {
    std::cerr << "kiln collapse perf: " << reader.bad_lines() << " line(s) could not be read"
              << (args.strict ? " (--strict): nothing written\n" : " and were skipped\n");
    if (args.strict) return kInputError;
  }
  if (reader.samples_read() == 0) {
    std::cerr << "kiln collapse perf: no samples";
    if (reader.samples_filtered() > 0) std::cerr << " of event '" << options.event_filter << "'";
    std::cerr << " in the input: record with `perf record -g`, then `perf script | kiln "
                 "collapse perf`\n";
    return kInputError;
  }

  // -o x.pb.gz writes pprof (for go tool pprof, Pyroscope, Parca), other names folded text.
  return write_profile("kiln collapse perf", profile, args.output) ? kSuccess : kInputError;
}

}  // namespace

void add_collapse_command(CLI::App& app, int& exit_code) {
  CLI::App* collapse = app.add_subcommand(
      "collapse", "Fold other tools' stack output into folded stacks (perf script)");
  collapse->require_subcommand(1);

  auto args = std::make_shared<CollapsePerfArgs>();
  CLI::App* cmd = collapse->add_subcommand(
      "perf", "Fold `perf script` output into folded stacks, as stackcollapse-perf.pl does");
  cmd->add_option("INPUT", args->inputs,
                  "perf script output files (`-` or none: standard input); merged");
  cmd->add_option("-o,--output", args->output,
                  "Output folded file, `-` for stdout; .pb.gz/.pb/.pprof writes pprof")
      ->capture_default_str();
  cmd->add_flag("--pid,--per-pid", args->pid, "Root frame comm-PID instead of comm");
  cmd->add_flag("--tid,--per-tid", args->tid, "Root frame comm-PID/TID instead of comm");
  cmd->add_flag("--kernel", args->options.annotate_kernel, "Mark kernel frames with _[k]");
  cmd->add_flag("--jit", args->options.annotate_jit,
                "Mark frames of perf maps and jitdump code with _[j]");
  cmd->add_flag("--inline", args->options.annotate_inline,
                "Mark perf's (inlined) frames with _[i]");
  cmd->add_flag("--all", args->all, "All of --kernel, --jit and --inline");
  cmd->add_flag("--addrs", args->options.include_addrs,
                "Keep the address of frames without a symbol: [module <address>]");
  cmd->add_option("--event-filter", args->options.event_filter,
                  "Keep samples of this event only (default: the first event of the input)");
  cmd->add_option("--count", args->count,
                  "Weight of a sample: its period (as stackcollapse-perf.pl) or 1 (samples)")
      ->capture_default_str()
      ->check(CLI::IsMember({"period", "samples"}));
  cmd->add_flag("--strict", args->strict, "Exit 1 if any input line cannot be read");
  cmd->footer(
      "Examples:\n"
      "  perf record -g -- ./app && perf script | kiln collapse perf > app.folded\n"
      "  perf script -F +pid | kiln collapse perf --per-pid --all -o app.folded\n"
      "  kiln collapse perf --event-filter instructions perf.txt > instructions.folded\n"
      "  kiln render perf.txt -o app.svg      (render and diff read perf script text too)");
  cmd->callback([args, &exit_code] { exit_code = run_collapse_perf(*args); });
}

}  // namespace kiln::cli
