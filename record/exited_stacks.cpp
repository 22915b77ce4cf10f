// The stacks of exited processes, symbolized while recording and merged into one Profile.
#include "record/exited_stacks.h"

#include <algorithm>
#include <utility>

namespace kiln::record {

ExitedStacks::ExitedStacks(symbolizer::Symbolizer& symbolizer, SymbolizeOptions options)
    : symbolizer_(symbolizer), options_(std::move(options)) {}

void ExitedStacks::add(const RawProfile& raw, const std::function<uint32_t(uint32_t)>& parent_of) {
  if (raw.stacks.empty()) return;
  options_.parent_of = parent_of;
  profile::Profile symbolized;
  const CutStacks cut = symbolize_into(raw, symbolizer_, options_, symbolized);
  cut_.add(cut);
  // Many processes of one program (with the comm as root) give the same stacks: merged, what is
  // kept grows with the distinct stacks only. Merged when it has doubled since the last merge,
  // so that merging costs a constant share of the adding.
  profile_.append(symbolized);
  if (profile_.stack_count() >= 2 * merged_stacks_) {
    profile_ = profile_.merged();
    merged_stacks_ = std::max<size_t>(profile_.stack_count(), kMinMerged);
  }
}

}  // namespace kiln::record
