// The two kinds of error a recording reports, by exit code: what the machine lacks (2) and a bad
// option value (1). The message says what is wrong and how to fix it.
#pragma once

#include <stdexcept>

namespace kiln::record {

// Something missing in the environment (privilege, kernel feature, process): exit code 2. The
// message says what is missing and how to fix it.
class EnvironmentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad option value: exit code 1.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace kiln::record
