// `kiln convert`: any profile kiln reads (folded stacks, perf script text, pprof) -> folded
// stacks or a gzip-compressed pprof profile, chosen by the output's extension.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "formats/formats.h"
#include "profile/profile.h"

namespace kiln::cli {

namespace {

using namespace kiln;

struct ConvertArgs {
  std::vector<std::string> inputs;
  std::string output = "-";
  std::string sample_type;
};

int run_convert(const ConvertArgs& args) {
  if (args.output != "-" && !formats::is_pprof_path(args.output) &&
      !args.output.ends_with(".folded") && !args.output.ends_with(".txt")) {
    std::cerr << "kiln convert: -o " << args.output
              << ": unknown output format; use .pb.gz (pprof), .folded or .txt (folded stacks) "
                 "or - (folded stacks to standard output)\n";
    return kInputError;
  }
  profile::Profile profile;
  if (!read_profiles("kiln convert", args.inputs, args.sample_type, profile)) return kInputError;
  return write_profile("kiln convert", profile, args.output) ? kSuccess : kInputError;
}

}  // namespace

bool read_profiles(const char* command, const std::vector<std::string>& inputs,
                   const std::string& sample_type, profile::Profile& profile) {
  // perf script text is folded as render and diff fold it: annotated, one count per sample.
  formats::PerfScriptOptions perf;
  perf.annotate_kernel = perf.annotate_jit = perf.annotate_inline = true;
  perf.sample_counts = true;
  formats::StackFileReader reader(profile, &std::cerr, perf,
                                  formats::PprofReadOptions{sample_type});
  for (const std::string& input : inputs)
    if (!reader.read_file(input)) return false;
  if (reader.bad_lines() > 0) {
    std::cerr << command << ": " << reader.bad_lines()
              << " line(s) could not be read (listed above): nothing written\n";
    return false;
  }
  if (profile.empty() && profile.metadata.measured.empty()) {
    std::cerr << command << ": no stacks in the input\n";
    return false;
  }
  return true;
}

bool write_profile(const char* command, const profile::Profile& profile, const std::string& path) {
  std::unique_ptr<std::ofstream> file;
  std::ostream* out = &std::cout;
  if (path != "-") {
    file = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
    if (!*file) {
      std::cerr << command << ": cannot write " << path << ": " << std::strerror(errno) << '\n';
      return false;
    }
    out = file.get();
  }
  std::string warning;
  if (formats::is_pprof_path(path)) {
    formats::write_pprof(profile, *out, &warning);
  } else {
    formats::FoldedWriter{}.write(profile, *out);
  }
  out->flush();
  if (!*out) {
    std::cerr << command << ": writing " << path << " failed: " << std::strerror(errno) << '\n';
    return false;
  }
  if (!warning.empty()) std::cerr << command << ": " << path << ": " << warning << '\n';
  return true;
}

void add_convert_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand(
      "convert",
      "Convert profiles: folded stacks, perf script text or pprof in; folded stacks or pprof out");
  cmd->add_option("INPUT", args->inputs,
                  "Folded, perf script or pprof files (`-` for stdin); several are merged")
      ->type_name("")
      ->required();
  cmd->add_option("-o,--output", args->output,
                  "Output by extension: .pb.gz/.pb/.pprof pprof (gzip-compressed), "
                  ".folded/.txt folded stacks, - folded stacks to stdout")
      ->type_name("FILE")
      ->capture_default_str();
  cmd->add_option("--sample-type", args->sample_type,
                  "pprof input: the value to read, a sample type (cpu) or type/unit "
                  "(cpu/nanoseconds); default: the file's default, else its last")
      ->type_name("NAME");
  cmd->footer(
      "Examples:\n"
      "  kiln convert app.folded -o app.pb.gz          for go tool pprof, Pyroscope, Parca\n"
      "  kiln convert cpu.pb.gz -o cpu.folded          a pprof profile as folded stacks\n"
      "  kiln convert --sample-type samples cpu.pb.gz  sample counts instead of CPU time\n"
      "  perf script | kiln convert - -o perf.pb.gz");
  cmd->callback([args, &exit_code] { exit_code = run_convert(*args); });
}

}  // namespace kiln::cli
