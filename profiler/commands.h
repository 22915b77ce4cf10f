// The kiln subcommands. Each *_command.cpp registers one subcommand on the top-level app; its
// callback stores the process exit code (see ExitCode) in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

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
// Takes the words after the first `--` out of argv (they are the command `kiln record -- CMD
// ARGS` runs, whose options CLI11 2.1 would otherwise parse as kiln's) and returns the argc
// left for CLI11.
int take_trailing_command(int argc, char** argv);

}  // namespace kiln::cli
