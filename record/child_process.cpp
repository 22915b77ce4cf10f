// The command kiln starts: fork, wait at a gate until the sampler is attached, then exec, so
// the command is recorded from its first instruction.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "record/child_command.h"
#include "record/errors.h"

namespace kiln::record {

namespace {

[[noreturn]] void run_child(const std::vector<std::string>& argv, int gate, int error_pipe) {
  // The recorder blocks SIGINT/SIGTERM/SIGCHLD for its signalfd; the command gets the defaults.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // A recorder killed outright (kill -9) leaves no command behind: it gets SIGTERM, as at the
  // end of a recording. Checked once armed, in case the recorder died before.
  const pid_t recorder = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != recorder) _exit(127);
  char go;
  if (read(gate, &go, 1) != 1) _exit(127);  // the recorder gave up before attaching
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  const int error = errno;
  (void)!write(error_pipe, &error, sizeof(error));
  _exit(127);
}

}  // namespace

ChildCommand::ChildCommand(const std::vector<std::string>& argv) : argv_(argv) {
  int gate[2], errors[2];
  if (pipe2(gate, O_CLOEXEC) != 0) throw EnvironmentError("pipe: " + std::string(strerror(errno)));
  if (pipe2(errors, O_CLOEXEC) != 0) {
    close(gate[0]);
    close(gate[1]);
    throw EnvironmentError("pipe: " + std::string(strerror(errno)));
  }
  pid_ = fork();
  if (pid_ == 0) {
    close(gate[1]);
    close(errors[0]);
    run_child(argv, gate[0], errors[1]);
  }
  close(gate[0]);
  close(errors[1]);
  if (pid_ < 0) {
    close(gate[1]);
    close(errors[0]);
    throw EnvironmentError("fork: " + std::string(strerror(errno)));
  }
  gate_fd_ = gate[1];
  exec_error_fd_ = errors[0];
}

ChildCommand::~ChildCommand() {
  if (gate_fd_ >= 0) close(gate_fd_);  // an unreleased child exits at the closed gate
  if (exec_error_fd_ >= 0) close(exec_error_fd_);
  if (pid_ > 0 && !exited()) {
    if (!reap(false)) {
      kill(pid_, SIGKILL);
      reap(true);
    }
  }
}

void ChildCommand::release() {
  const char go = 1;
  (void)!write(gate_fd_, &go, 1);
  close(gate_fd_);
  gate_fd_ = -1;
  int error = 0;
  ssize_t n;
  do n = read(exec_error_fd_, &error, sizeof(error));
  while (n < 0 && errno == EINTR);
  close(exec_error_fd_);
  exec_error_fd_ = -1;
  if (n == sizeof(error)) {
    reap(true);
    if (error == ENOENT)
      throw EnvironmentError(
          "command not found: " + argv_[0] +
          (argv_[0].find('/') == std::string::npos
               ? " (not in PATH: check the name, or give its path, e.g. ./" + argv_[0] + ")"
               : " (no such file)"));
    throw EnvironmentError("cannot execute " + argv_[0] + ": " + strerror(error));
  }
}

bool ChildCommand::reap(bool block) {
  if (exited()) return true;
  int status = 0;
  pid_t r;
  do r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r != pid_) return false;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

void ChildCommand::signal(int signo) const {
  if (pid_ > 0 && !exited()) kill(pid_, signo);
}

}  // namespace kiln::record
