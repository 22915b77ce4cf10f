#include "tests/unit/symbolizer/sample_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kiln::test {

SampleProcess::SampleProcess(const std::string& program)
    : SampleProcess({program, "addresses"}, [](pid_t) {}) {
  if (addresses_.empty()) throw std::runtime_error(program + " printed no addresses");
}

SampleProcess::SampleProcess(const std::vector<std::string>& argv,
                             const std::function<void(pid_t)>& started,
                             const std::string& directory) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe");
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    if (!directory.empty() && chdir(directory.c_str()) != 0) _exit(126);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  started(pid_);
  FILE* output = fdopen(out[0], "r");
  char label[256];
  unsigned long long address;
  char line[512];
  while (fgets(line, sizeof line, output)) {
    if (std::string(line) == "ready\n") {
      ready_ = true;
      break;
    }
    output_ += line;
    if (sscanf(line, "%255s %llx", label, &address) == 2) addresses_[label] = address;
  }
  fclose(output);
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

std::string hex(uint64_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

Section section_of(const std::string& binary, const std::string& name) {
  // "  [14] .text  PROGBITS  0000000000001060 001060 000185 00  AX  0   0 16"
  std::istringstream lines(run_command("readelf -SW " + binary));
  for (std::string line; std::getline(lines, line);) {
    size_t bracket = line.find(']');
    if (line.find('[') == std::string::npos || bracket == std::string::npos) continue;
    std::istringstream words(line.substr(bracket + 1));
    std::string section, type, address, offset, size;
    if (words >> section >> type >> address >> offset >> size && section == name) {
      return {std::stoull(address, nullptr, 16), std::stoull(offset, nullptr, 16),
              std::stoull(size, nullptr, 16)};
    }
  }
  return {};
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
