// Stacks set aside on disk while recording: a long recording of a machine that keeps running
// new code (a build's compilers, nearly every stack distinct) would otherwise hold every stack it
// has symbolized in memory until the end. Profiles are appended to an unlinked temporary file in
// kiln's own binary form (names, kinds and locations of the frames, stacks, weights and column
// values: nothing folded text would lose) and read back once, at the end, one at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "profile/profile.h"

namespace kiln::record {

class StackSpill {
 public:
  // Appends `profile`'s stacks to the file (made at the first call, in /tmp). False,
  // with error() set, when the file cannot be made or written: nothing of `profile` is then
  // kept there, and the caller keeps it.
  bool write(const profile::Profile& profile);
  // Reads the profiles written so far back, one at a time, in the order written. False, with
  // error() set, if the file cannot be read back whole (those read whole have been given).
  bool read_each(const std::function<void(const profile::Profile&)>& profile);
  uint64_t stacks() const { return stacks_; }  // written so far
  uint64_t bytes() const { return bytes_; }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_{nullptr, std::fclose};
  uint64_t stacks_ = 0;
  uint64_t bytes_ = 0;  // the end of the last profile written whole
  std::string error_;
};

}  // namespace kiln::record
