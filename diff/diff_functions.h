// Per-function weights of one profile, the unit `kiln diff` compares: a function's total weight
// (stacks it is on, counted once per stack even when recursive) and self weight (stacks it ends).
#pragma once

#include <string>
#include <unordered_map>

#include "diff/diff.h"

namespace kiln::diff {

class FunctionWeights {
 public:
  struct Weights {
    double total = 0;
    double self = 0;
  };

  explicit FunctionWeights(const Profile& profile);

  double total() const { return total_; }
  // Whether every stack's weight is a whole number (as sample counts are).
  bool whole_weights() const { return whole_weights_; }
  const std::unordered_map<std::string, Weights>& functions() const { return functions_; }
  Weights find(const std::string& name) const;

 private:
  std::unordered_map<std::string, Weights> functions_;
  double total_ = 0;
  bool whole_weights_ = true;
};

}  // namespace kiln::diff
