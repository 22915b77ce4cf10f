// kiln: a Linux CPU profiler and flame graph generator.
#include <cstdio>
#include <string_view>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"kiln: sample stacks with BPF and draw flame graphs", "kiln"};
  app.set_version_flag("--version", "kiln 0.1.0");
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  kiln render perf.folded -o perf.svg   draw a flame graph from folded stacks\n"
      "  sudo kiln record -- ./app              profile a command, write kiln.svg\n"
      "  kiln diff a.folded b.folded -o d.svg   compare two profiles; --fail-on for CI\n"
      "  perf script | kiln collapse perf       fold perf's stacks (render/diff read them too)\n"
      "  kiln convert app.folded -o app.pb.gz   pprof for go tool pprof, Pyroscope, Parca\n"
      "Run `kiln SUBCOMMAND --help` for the options of each subcommand.");

  int exit_code = kiln::cli::kSuccess;
  kiln::cli::add_render_command(app, exit_code);
  kiln::cli::add_symbolize_command(app, exit_code);
  kiln::cli::add_record_command(app, exit_code);
  kiln::cli::add_diff_command(app, exit_code);
  kiln::cli::add_collapse_command(app, exit_code);
  kiln::cli::add_convert_command(app, exit_code);

  // Only `record` takes a COMMAND after `--`; for the others `--` ends the options.
  const bool record = argc > 1 && std::string_view(argv[1]) == "record";
  const int options = record ? kiln::cli::take_trailing_command(argc, argv) : argc;
  try {
    app.parse(options, argv);
  } catch (const CLI::ParseError& e) {
    return kiln::cli::report_parse_error(app, e, options, argv);
  }
  return exit_code;
}
