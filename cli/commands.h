// cli: the `kiln` command line. Each *_command.cpp registers one subcommand on the top-level
// app; its callback stores the process exit code (see ExitCode) in `exit_code`. It may use every
// other module; none uses it.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "profile/profile.h"

namespace kiln::cli {

// The exit codes documented in README.md.
enum ExitCode : int {
  kSuccess = 0,
  kInputError = 1,        // usage or input error; the message names the file and line
  kEnvironmentError = 2,  // missing privilege, kernel feature or dependency
  kThresholdCrossed = 3,  // a `diff --fail-on` threshold was crossed
};

void add_render_command(CLI::App& app, int& exit_code);
void add_symbolize_command(CLI::App& app, int& exit_code);
void add_record_command(CLI::App& app, int& exit_code);
void add_diff_command(CLI::App& app, int& exit_code);
void add_collapse_command(CLI::App& app, int& exit_code);
void add_convert_command(CLI::App& app, int& exit_code);
// Reads folded stacks, perf script text (folded as render and diff fold it) and pprof files
// (`sample_type` chooses the value) into `profile`; false after reporting on stderr why not.
bool read_profiles(const char* command, const std::vector<std::string>& inputs,
                   const std::string& sample_type, profile::Profile& profile);
// Writes `profile` to `path` by extension: .pb.gz/.pb/.pprof pprof, otherwise folded ("-":
// standard output); false after reporting on stderr why not.
bool write_profile(const char* command, const profile::Profile& profile, const std::string& path);
// Makes a list option take one value (or one comma-separated list) per use, repeatable: a word
// after its value is not taken for another value (`-o out.svg ls` leaves `ls` unparsed, for
// report_parse_error to explain), and help shows `-o FILE`, not `-o FILE ...`.
inline CLI::Option* one_value_per_use(CLI::Option* option) {
  return option->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
}
// A help formatter whose usage line is "Usage: kiln SUB " + `arguments`, for a syntax CLI11
// cannot derive from the options (`[-- COMMAND [ARGS...]]`).
std::shared_ptr<CLI::Formatter> usage_formatter(std::string arguments);
// Reports an error of app.parse(argc, argv) in kiln's words on stderr ("kiln: unknown command
// 'reocrd'; did you mean 'record'?", "kiln record: unknown option ...") and returns the exit
// code; help and version requests are printed by CLI11 and return kSuccess.
int report_parse_error(CLI::App& app, const CLI::ParseError& error, int argc, char** argv);
// Takes the words after the first `--` out of argv (they are the command `kiln record -- CMD
// ARGS` runs, whose options CLI11 2.1 would otherwise parse as kiln's) and returns the argc
// left for CLI11.
int take_trailing_command(int argc, char** argv);

}  // namespace kiln::cli
