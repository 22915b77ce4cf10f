// The command kiln starts (`kiln record -- COMMAND`), held before exec until the recorders are
// attached.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace kiln::record {

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

}  // namespace kiln::record
