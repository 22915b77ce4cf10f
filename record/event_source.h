// A file descriptor the recording loop polls, and what to do when it is readable.
#pragma once

#include <functional>

namespace kiln::record {

struct EventSource {
  int fd = -1;
  std::function<void()> on_ready;
};

}  // namespace kiln::record
