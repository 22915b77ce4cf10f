#include "diff/diff_functions.h"

#include <vector>

namespace kiln::diff {

FunctionWeights::FunctionWeights(const Profile& profile) {
  // Sums per interned frame id (exact Weight arithmetic), names only at the end.
  std::vector<Weight> totals(profile.name_count());
  std::vector<Weight> selves(profile.name_count());
  std::vector<size_t> counted_in(profile.name_count(), 0);  // 1 + the stack that counted it last
  for (size_t stack = 0; stack < profile.stack_count(); ++stack) {
    const auto frames = profile.frames(stack);
    const Weight weight = profile.weight(stack);
    if (frames.empty() || weight.is_zero()) continue;
    if (!weight.is_integer()) whole_weights_ = false;
    for (FrameId frame : frames) {
      if (counted_in[frame] == stack + 1) continue;  // recursion: once per stack
      counted_in[frame] = stack + 1;
      totals[frame] += weight;
    }
    selves[frames.back()] += weight;
  }
  total_ = profile.total().to_double();
  for (FrameId id = 0; id < profile.name_count(); ++id) {
    if (totals[id].is_zero()) continue;
    functions_.emplace(std::string(profile.name(id)),
                       Weights{totals[id].to_double(), selves[id].to_double()});
  }
}

FunctionWeights::Weights FunctionWeights::find(const std::string& name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? Weights{} : it->second;
}

}  // namespace kiln::diff
