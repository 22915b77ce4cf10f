// Test support: runs a sample program in "addresses" mode and reads the addresses it prints;
// finds lines marked "MARK:name" in the sample's source; parses nm and objdump output.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kiln::test {

class SampleProcess {
 public:
  // Starts `program addresses` and waits for its "ready" line.
  explicit SampleProcess(const std::string& program);
  // Starts `argv` in `directory` (unless empty) and waits for its "ready" line; `started`
  // runs as soon as it was forked.
  SampleProcess(const std::vector<std::string>& argv, const std::function<void(pid_t)>& started,
                const std::string& directory = "");
  ~SampleProcess();  // closes its stdin and reaps it
  // Ends the process (and reaps it) now.
  void stop();
  pid_t pid() const { return pid_; }
  // Whether the program printed its "ready" line (false: it ended before), and all it printed
  // before that line: the reason when it failed to start.
  bool ready() const { return ready_; }
  const std::string& output() const { return output_; }
  uint64_t address(const std::string& label) const { return addresses_.at(label); }

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  bool ready_ = false;
  std::string output_;
  std::map<std::string, uint64_t> addresses_;
};

// Line number of the line holding "MARK:name" in the sample source.
unsigned marked_line(const std::string& name);
// "0x1a2b": an address as kiln and nm-based expectations write it.
std::string hex(uint64_t value);
// Output of a shell command.
std::string run_command(const std::string& command);
struct Section {
  uint64_t address = 0, offset = 0, size = 0;
};
// A section of `binary` as `readelf -SW` lists it (all zero when absent).
Section section_of(const std::string& binary, const std::string& name);
// "name -> address" of the defined text symbols, weak ones included (nm, mangled names).
std::map<std::string, uint64_t> nm_text_symbols(const std::string& binary);

}  // namespace kiln::test
