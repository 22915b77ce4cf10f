// The stacks of exited processes, symbolized while recording and merged into one Profile.
#include "record/exited_stacks.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <set>
#include <utility>

namespace kiln::record {

ExitedStacks::ExitedStacks(symbolizer::Symbolizer& symbolizer, SymbolizeOptions options,
                           size_t spill_frames)
    : symbolizer_(symbolizer), options_(std::move(options)), spill_frames_(spill_frames) {}

void ExitedStacks::add(RawProfile raw, const std::function<uint32_t(uint32_t)>& parent_of,
                       const std::function<void()>& between_parts) {
  if (raw.stacks.empty()) return;
  for (const RawStack& stack : raw.stacks) threads_of_[stack.tgid].insert(stack.pid);
  raw_weight_ += raw.total_weight();
  options_.parent_of = parent_of;
  constexpr size_t kStacksPerPart = 500;
  for (size_t at = 0; at < raw.stacks.size(); at += kStacksPerPart) {
    RawProfile part;
    part.unit = raw.unit;
    const auto first = raw.stacks.begin() + static_cast<std::ptrdiff_t>(at);
    const auto last = raw.stacks.begin() +
                      static_cast<std::ptrdiff_t>(std::min(raw.stacks.size(), at + kStacksPerPart));
    part.stacks.assign(std::make_move_iterator(first), std::make_move_iterator(last));
    if (pprof_) pprof_->add(part, options_);
    profile::Profile symbolized;
    cut_.add(symbolize_into(part, symbolizer_, options_, symbolized));
    // Many processes of one program (with the comm as root) give the same stacks: merged, what
    // is kept grows with the distinct stacks only. Merged when it has doubled since the last
    // merge, so that merging costs a constant share of the adding.
    profile_.append(symbolized);
    if (profile_.stack_count() >= 2 * merged_stacks_) merge();
    between_parts();
  }
}

void ExitedStacks::handed_over(const std::set<uint32_t>& processes, size_t binaries) {
  processes_ += processes.size();
  binaries_ += binaries;
  for (const uint32_t tgid : processes) {
    const auto it = threads_of_.find(tgid);
    if (it == threads_of_.end()) continue;
    threads_ += it->second.size();
    threads_of_.erase(it);
  }
  if (pprof_) pprof_->forget(processes);
}

// Merges the stacks kept, then sets them aside on disk if they are many: what stays in memory
// is bounded however many distinct stacks a long recording meets.
void ExitedStacks::merge() {
  profile_ = profile_.merged();
  merged_stacks_ = std::max<size_t>(profile_.stack_count(), kMinMerged);
  size_t frames = 0;
  for (size_t stack = 0; stack < profile_.stack_count(); ++stack)
    frames += profile_.frames(stack).size();
  if (!spilling_ || frames < spill_frames_) return;
  spilling_ = spill_.write(profile_);
  if (!spilling_) return;
  profile_ = profile::Profile();
  merged_stacks_ = kMinMerged / 2;
}

size_t ExitedStacks::threads(const RawProfile& rest) const {
  std::set<std::pair<uint32_t, uint32_t>> live;  // tgid, tid
  for (const auto& [tgid, tids] : threads_of_)
    for (const uint32_t tid : tids) live.emplace(tgid, tid);
  for (const RawStack& stack : rest.stacks) live.emplace(stack.tgid, stack.pid);
  return threads_ + live.size();
}

bool ExitedStacks::append_to(profile::Profile& profile) {
  // Each profile set aside was merged, but the same stacks recur from one to the next (a
  // compiler run again and again): merged again as they are read back, when doubled, so that the
  // end of a long recording holds about its distinct stacks, not every profile set aside.
  size_t merged_stacks = std::max(profile.stack_count(), kMinMerged);
  const auto add = [&](const profile::Profile& part) {
    profile.append(part);
    if (profile.stack_count() < 2 * merged_stacks) return;
    profile = profile.merged();
    merged_stacks = std::max(profile.stack_count(), kMinMerged);
  };
  const bool whole = spill_.read_each(add);
  add(profile_);
  profile = profile.merged();
  return whole;
}

}  // namespace kiln::record
