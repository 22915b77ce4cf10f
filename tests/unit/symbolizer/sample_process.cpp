#include "sample_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kiln::test {

SampleProcess::SampleProcess(const std::string& program) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    execl(program.c_str(), program.c_str(), "addresses", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  FILE* output = fdopen(out[0], "r");
  char label[256];
  unsigned long long address;
  char line[512];
  while (fgets(line, sizeof line, output)) {
    if (std::string(line) == "ready\n") break;
    if (sscanf(line, "%255s %llx", label, &address) == 2) addresses_[label] = address;
  }
  fclose(output);
  if (addresses_.empty()) throw std::runtime_error(program + " printed no addresses");
}

void SampleProcess::stop() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
  if (pid_ > 0) {
    int status;
    waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

SampleProcess::~SampleProcess() {
  stop();
}

unsigned marked_line(const std::string& name) {
  std::ifstream source(KILN_SAMPLE_SOURCE);
  std::string line;
  for (unsigned number = 1; std::getline(source, line); ++number) {
    if (line.find("MARK:" + name) != std::string::npos) return number;
  }
  throw std::runtime_error("no MARK:" + name);
}

std::string run_command(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return output;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  pclose(pipe);
  return output;
}

std::map<std::string, uint64_t> nm_text_symbols(const std::string& binary) {
  std::map<std::string, uint64_t> symbols;
  std::istringstream lines(run_command("nm --defined-only " + binary));
  std::string address, type, name;
  while (lines >> address >> type >> name) {
    if (type == "t" || type == "T" || type == "W" || type == "w")
      symbols[name] = std::stoull(address, nullptr, 16);
  }
  return symbols;
}

}  // namespace kiln::test
