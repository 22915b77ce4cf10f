#include "process/process.h"

namespace kiln::process {

void ProblemLog::note(unsigned kind, const std::string& message) {
  if (kind >= counts_.size()) counts_.resize(kind + 1);
  ++counts_[kind];
  if (!message.empty() && reported_.insert(kind).second) messages_.push_back(message);
}

}  // namespace kiln::process
