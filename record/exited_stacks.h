// While recording: the stacks of processes that have exited, symbolized as they go and merged by
// frames, so that a long recording of a machine that starts processes all the time keeps what
// it needs per distinct stack, not per process ever seen.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "profile/profile.h"
#include "record/profile_symbolization.h"
#include "record/raw_profile.h"
#include "record/recording_pprof.h"
#include "record/stack_spill.h"

namespace kiln::symbolizer {
class Symbolizer;
}

namespace kiln::record {

class ExitedStacks {
 public:
  // Once the merged stacks hold this many frames (4 MiB of frame ids; with their names,
  // weights and the room to grow, 10-20 MiB), they go to the spill file.
  static constexpr size_t kSpillFrames = size_t{1} << 20;

  // Symbolized as symbolize_into does with `options`, those the recording's other stacks are
  // symbolized with at its end (their parent_of is replaced by add's).
  ExitedStacks(symbolizer::Symbolizer& symbolizer, SymbolizeOptions options,
               size_t spill_frames = kSpillFrames);

  // A process is handed over this long after its exit: the ring buffers hold none of its samples
  // any more (they are read every 50 ms).
  static constexpr std::chrono::seconds kAfterExit{2};
  // How often a session hands over its exited processes.
  static constexpr std::chrono::seconds kInterval{5};
  // How often the stacks of the processes that live on are taken from the recorders
  // (Recorder::take_counted_stacks).
  static constexpr std::chrono::seconds kFoldCountedStacks{60};
  // A binary that no process kept maps is forgotten this long after the last one went: long
  // enough that a program run again and again (a build's compiler) is parsed once.
  static constexpr std::chrono::seconds kForgetBinariesAfter{60};

  // Symbolizes the stacks of `raw` (of processes that exited; `parent_of` as in
  // SymbolizeOptions) and merges them with those added before. In parts, calling
  // `between_parts` after each: the first symbolization of a large binary takes long, and a
  // recording's rings fill meanwhile.
  void add(RawProfile raw, const std::function<uint32_t(uint32_t)>& parent_of,
           const std::function<void()>& between_parts);
  // A process's stacks may be added several times: those of processes that live on, taken from
  // the recorders every minute (Recorder::take_counted_stacks), then the rest at its exit.
  // The stacks added from now on also go to `pprof`, as pprof samples.
  void also_to(RecordingPprof& pprof) { pprof_ = &pprof; }
  // Counts a taking of the stacks counted so far (Recorder::take_counted_stacks): `stacks` of
  // them added.
  void took_counted_stacks(size_t stacks) {
    ++counted_takings_;
    counted_stacks_ += stacks;
  }
  // Counts the processes handed over (their stacks added, their snapshots forgotten) and the
  // binaries forgotten after them; `pprof` forgets those processes too.
  void handed_over(const std::set<uint32_t>& processes, size_t binaries);

  // Appends the stacks added so far to `profile` (those set aside on disk read back first), in
  // the unit symbolize_into gives them, and merges identical stacks, those `profile` had
  // included (see Profile::merged). False if the stacks set aside could not be read back
  // (spill().error() says why).
  bool append_to(profile::Profile& profile);
  // The stacks set aside on disk while recording, once those kept had grown large.
  const StackSpill& spill() const { return spill_; }
  // The threads of the stacks added and of `rest` (the stacks counted at the end), each once,
  // and the weight of those added in the unit of the raw stacks.
  size_t threads(const RawProfile& rest) const;
  uint64_t raw_weight() const { return raw_weight_; }
  // The stacks symbolization cut (see symbolize_into), of every add.
  const CutStacks& cut() const { return cut_; }
  size_t processes() const { return processes_; }
  size_t counted_takings() const { return counted_takings_; }
  uint64_t counted_stacks() const { return counted_stacks_; }
  size_t binaries() const { return binaries_; }

 private:
  void merge();
  symbolizer::Symbolizer& symbolizer_;
  SymbolizeOptions options_;
  RecordingPprof* pprof_ = nullptr;
  profile::Profile profile_;
  CutStacks cut_;
  size_t processes_ = 0;
  size_t counted_takings_ = 0;
  uint64_t counted_stacks_ = 0;
  size_t binaries_ = 0;
  size_t threads_ = 0;  // of the processes handed over
  // The threads of the processes not handed over yet whose stacks were added, by process.
  std::unordered_map<uint32_t, std::unordered_set<uint32_t>> threads_of_;
  uint64_t raw_weight_ = 0;
  StackSpill spill_;
  bool spilling_ = true;  // until a write fails
  size_t spill_frames_;
  static constexpr size_t kMinMerged = 4096;
  size_t merged_stacks_ = kMinMerged / 2;  // stacks after the last merge
};

}  // namespace kiln::record
