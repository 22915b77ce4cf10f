// `kiln diff BEFORE AFTER`: compares two profiles function by function, prints a report, draws a
// differential flame graph, and with --fail-on sets exit code 3 for CI when a function grew.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "cli/commands.h"
#include "diff/diff.h"
#include "formats/formats.h"
#include "profile/profile.h"

namespace kiln::cli {
namespace {

using namespace kiln;

struct DiffArguments {
  std::string before_path;
  std::string after_path;
  std::string svg_path;
  std::string widths = "after";
  bool no_normalize = false;
  std::string format = "text";
  std::string report_path = "-";
  std::size_t top = 10;
  std::vector<std::string> fail_on;
  double alpha = 0.01;
  std::string focus;
  std::string ignore;
  double effective_samples = 0;
  double min_samples = 100;
  std::string title;
  unsigned width = 1200;
  std::string sample_type;
};

// Thrown for a usage or input error; the message is printed as is (exit code 1).
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

profile::Profile read_profile(const std::string& path, const std::string& sample_type) {
  profile::Profile profile;
  // perf script text: annotated and counted in samples like kiln record's folded output, so
  // the two compare, and the significance test gets sample counts.
  formats::PerfScriptOptions perf;
  perf.annotate_kernel = perf.annotate_jit = perf.annotate_inline = true;
  perf.sample_counts = true;
  formats::StackFileReader reader(profile, &std::cerr, perf,
                                  formats::PprofReadOptions{sample_type});
  if (!reader.read_file(path)) throw InputError("kiln diff: cannot read profile " + path);
  if (reader.bad_lines() > 0) {
    throw InputError("kiln diff: " + path + ": " + std::to_string(reader.bad_lines()) +
                     " malformed line(s), listed above; fix or regenerate the profile");
  }
  if (profile.empty() || profile.total().is_zero()) {
    throw InputError("kiln diff: " + path + ": no stacks (empty profile): was the program " +
                     "running while it was recorded?");
  }
  if (profile.find_column(profile::kBeforeColumn)) {
    throw InputError("kiln diff: " + path +
                     ": two-column (differential) folded input; kiln diff takes two "
                     "single-column profiles, BEFORE and AFTER");
  }
  return profile;
}

void check_comparable(const profile::Profile& before, const profile::Profile& after,
                      const DiffArguments& args) {
  if (before.metadata.count_name != after.metadata.count_name) {
    throw InputError("kiln diff: " + args.before_path + " counts " + before.metadata.count_name +
                     " but " + args.after_path + " counts " + after.metadata.count_name +
                     ": compare profiles of the same kind");
  }
  for (profile::FrameId id = 0; id < before.name_count(); ++id) {
    if (after.find(before.name(id))) return;
  }
  throw InputError("kiln diff: " + args.before_path + " and " + args.after_path +
                   " have no function in common: are they profiles of the same program?");
}

// Raw weights compare only when both profiles sampled at the same rate for the same time.
void warn_if_raw_weights_differ_in_kind(const profile::Profile& before,
                                        const profile::Profile& after) {
  const profile::ProfileMetadata& b = before.metadata;
  const profile::ProfileMetadata& a = after.metadata;
  if (b.frequency_hz > 0 && a.frequency_hz > 0 && b.frequency_hz != a.frequency_hz) {
    std::cerr << "kiln diff: warning: --no-normalize compares raw weights, but BEFORE was sampled "
              << "at " << b.frequency_hz << " Hz and AFTER at " << a.frequency_hz << " Hz\n";
  }
  if (b.duration_s > 0 && a.duration_s > 0 &&
      std::max(b.duration_s, a.duration_s) > 1.1 * std::min(b.duration_s, a.duration_s)) {
    std::cerr << "kiln diff: warning: --no-normalize compares raw weights, but BEFORE lasted "
              << b.duration_s << " s and AFTER " << a.duration_s << " s\n";
  }
}

std::regex compile_regex(const std::string& option, const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    throw InputError("kiln diff: " + option + " '" + pattern + "': invalid regular expression (" +
                     e.what() + ")");
  }
}

diff::DiffOptions diff_options(const DiffArguments& args) {
  diff::DiffOptions options;
  options.normalize = !args.no_normalize;
  options.alpha = args.alpha;
  options.effective_samples = args.effective_samples;
  options.min_samples = args.min_samples;
  if (!args.focus.empty() || !args.ignore.empty()) {
    auto focus = args.focus.empty()
                     ? nullptr
                     : std::make_shared<std::regex>(compile_regex("--focus", args.focus));
    auto ignore = args.ignore.empty()
                      ? nullptr
                      : std::make_shared<std::regex>(compile_regex("--ignore", args.ignore));
    options.considered = [focus, ignore](const std::string& name) {
      return (!focus || std::regex_search(name, *focus)) &&
             (!ignore || !std::regex_search(name, *ignore));
    };
  }
  return options;
}

void write_report(const DiffArguments& args, const diff::DiffReport& report,
                  const diff::GateResult& gate) {
  std::ofstream file;
  if (args.report_path != "-") {
    file.open(args.report_path);
    if (!file)
      throw InputError("kiln diff: cannot write report " + args.report_path + ": " +
                       std::strerror(errno));
  }
  std::ostream& out = args.report_path == "-" ? std::cout : file;
  if (args.format == "json") {
    diff::write_diff_json(out, report, gate);
  } else if (args.format == "markdown") {
    diff::write_diff_markdown(out, report, gate, args.top);
  } else {
    diff::write_diff_text(out, report, gate, args.top);
  }
  out.flush();
  if (!out)
    throw InputError("kiln diff: cannot write report " + args.report_path + ": " +
                     std::strerror(errno));
}

void write_graph(const DiffArguments& args, const profile::Profile& before,
                 const profile::Profile& after) {
  diff::DiffGraphOptions options;
  options.widths_from_before = args.widths == "before";
  options.normalize = !args.no_normalize;
  options.svg.width = args.width;
  options.svg.title = args.title;
  options.svg.subtitle = (options.widths_from_before ? "widths: BEFORE " + args.before_path
                                                     : "widths: AFTER " + args.after_path) +
                         "; color: change of share from BEFORE " + args.before_path + " to AFTER " +
                         args.after_path + " (red grew, blue shrank)";
  std::ofstream out(args.svg_path);
  if (!out)
    throw InputError("kiln diff: cannot write " + args.svg_path + ": " + std::strerror(errno));
  diff::write_diff_svg(before, after, options, out);
  out.flush();
  if (!out)
    throw InputError("kiln diff: cannot write " + args.svg_path + ": " + std::strerror(errno));
}

int run_diff(const DiffArguments& args) {
  std::vector<diff::GateRule> rules;
  for (const std::string& text : args.fail_on) {
    try {
      rules.push_back(diff::parse_gate_rule(text));
    } catch (const std::invalid_argument& e) {
      throw InputError(std::string("kiln diff: ") + e.what());
    }
  }
  const diff::DiffOptions options = diff_options(args);
  const profile::Profile before = read_profile(args.before_path, args.sample_type);
  const profile::Profile after = read_profile(args.after_path, args.sample_type);
  check_comparable(before, after, args);
  if (args.no_normalize) warn_if_raw_weights_differ_in_kind(before, after);

  const diff::DiffReport report =
      diff::diff_profiles(before, after, options, args.before_path, args.after_path);
  if (!rules.empty() && args.effective_samples <= 0 &&
      !(report.before.sample_counts && report.after.sample_counts)) {
    const std::string& file = report.before.sample_counts ? args.after_path : args.before_path;
    const std::string why = before.metadata.count_name != "samples"
                                ? "its weights are " + before.metadata.count_name + ", not samples"
                                : "it has fractional weights, which are not sample counts";
    throw InputError("kiln diff: --fail-on needs sample counts, but " + file + ": " + why +
                     "; pass --effective-samples N (e.g. the number of events recorded) to "
                     "state how many independent samples each profile is worth");
  }
  diff::GateResult gate{rules, diff::evaluate_gate(report, rules)};
  write_report(args, report, gate);
  if (!args.svg_path.empty()) write_graph(args, before, after);

  if (!rules.empty() && report.untested.reason != diff::Untested::Reason::kNone) {
    std::cerr << "kiln diff: warning: nothing could be tested, the gate passes: "
              << diff::to_string(report.untested) << "\n";
  }
  if (gate.failures.empty()) return kSuccess;
  for (const diff::GateFailure& failure : gate.failures) {
    const bool total = failure.rule.share == diff::GateRule::Share::kTotal;
    const diff::ShareChange& share = failure.function->share(failure.rule.share);
    std::ostringstream line;
    line.precision(3);
    line << "kiln diff: regression: " << failure.function->name << ": "
         << (total ? "total" : "self") << " share grew by " << std::fixed << share.change_points
         << " points (" << share.before_percent << "% -> " << share.after_percent
         << "%), more than " << diff::to_string(failure.rule) << ", p=" << std::scientific
         << share.p_value.value_or(1);
    std::cerr << line.str() << "\n";
  }
  return kThresholdCrossed;
}

}  // namespace

void add_diff_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiffArguments>();
  CLI::App* diff = app.add_subcommand(
      "diff", "Compare two profiles: regression report, differential flame graph, CI gate");
  diff->add_option("BEFORE", args->before_path,
                   "Folded profile (or perf script text, or pprof) of the baseline")
      ->type_name("")
      ->required();
  diff->add_option("AFTER", args->after_path,
                   "Folded profile (or perf script text, or pprof) of the change")
      ->type_name("")
      ->required();
  diff->add_option("-o,--output", args->svg_path, "Write the differential flame graph (SVG)")
      ->type_name("FILE");
  diff->add_option("--widths", args->widths,
                   "Frame widths from AFTER (default) or BEFORE (shows removed code)")
      ->type_name("after|before")
      ->check(CLI::IsMember({"after", "before"}).description(""));
  diff->add_flag("--no-normalize", args->no_normalize,
                 "Compare raw weights instead of shares of each profile's total (profiles of "
                 "the same duration and rate); shares are then percent of BEFORE's total");
  diff->add_option("--format", args->format, "Report format: text (default), markdown, json")
      ->type_name("text|markdown|json")
      ->check(CLI::IsMember({"text", "markdown", "json"}).description(""));
  diff->add_option("--report", args->report_path, "Write the report to FILE (default: stdout)")
      ->type_name("FILE");
  diff->add_option("--top", args->top, "Rows per table in text and markdown reports (default 10)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000).description(""));
  diff->add_option("--fail-on", args->fail_on,
                   "total:POINTS or self:POINTS: exit 3 when a function's total (self) share "
                   "grew by more than POINTS percentage points, significantly (repeatable)")
      ->type_name("RULE");
  diff->add_option("--alpha", args->alpha,
                   "Family-wise false alarm rate of the gate (Bonferroni-corrected), default "
                   "0.01 (at most 0.5)")
      ->type_name("A")
      ->check(CLI::Range(1e-12, 0.5).description(""));
  diff->add_option("--focus", args->focus, "Consider only functions matching this regex")
      ->type_name("REGEX");
  diff->add_option("--ignore", args->ignore, "Skip functions matching this regex")
      ->type_name("REGEX");
  diff->add_option("--effective-samples", args->effective_samples,
                   "Treat each profile as N independent samples for the significance test "
                   "(time-weighted profiles: e.g. the number of off-CPU events)")
      ->type_name("N")
      ->check(CLI::Validator(CLI::PositiveNumber).description(""));
  diff->add_option("--min-samples", args->min_samples,
                   "Profiles with fewer samples are not tested (default 100)")
      ->type_name("N")
      ->check(CLI::Validator(CLI::NonNegativeNumber).description(""));
  diff->add_option("--sample-type", args->sample_type,
                   "pprof inputs: the value compared, a sample type (cpu) or type/unit; "
                   "default: each file's default, else its last")
      ->type_name("NAME");
  diff->add_option("--title", args->title, "Title of the graph");
  diff->add_option("--width", args->width,
                   "Width of the graph in pixels (100-100000, default 1200)")
      ->type_name("PX")
      ->check(CLI::Range(100u, 100000u).description(""));
  diff->footer(
      "Exit codes: 0 ok, 1 usage or input error, 3 a --fail-on threshold was crossed.\n"
      "Examples:\n"
      "  kiln diff before.folded after.folded -o diff.svg\n"
      "      report the top changes and draw the differential flame graph\n"
      "  kiln diff before.folded after.folded --fail-on total:5 --fail-on self:2\n"
      "      CI gate: exit 3 if a function's share grew by more than 5 (self: 2) points\n"
      "  kiln diff before.folded after.folded --format markdown --report comment.md\n"
      "      a report ready to post on a pull request\n"
      "  kiln diff old.folded new.folded --widths before -o removed.svg\n"
      "      draw BEFORE's frames: code that disappeared is visible (blue)\n"
      "  kiln diff a.folded b.folded --format json --ignore '^std::' --focus 'myapp'\n"
      "  kiln diff before.pb.gz after.pb.gz --sample-type samples   two pprof profiles\n"
      "See README.md (section diff) for the method and the JSON keys.");
  diff->callback([args, &exit_code] {
    try {
      exit_code = run_diff(*args);
    } catch (const InputError& e) {
      std::cerr << e.what() << "\n";
      exit_code = kInputError;
    }
  });
}

}  // namespace kiln::cli
