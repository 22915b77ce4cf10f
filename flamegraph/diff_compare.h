// Compares the per-function weights of two profiles (internal to flamegraph/).
#pragma once

#include "diff_functions.h"
#include "flamegraph.h"

namespace kiln::flamegraph {

// `before.sample_counts` / `after.sample_counts` say whether the weights are sample counts
// (otherwise the significance test needs options.effective_samples).
DiffReport compare_function_weights(DiffSide before, const FunctionWeights& before_weights,
                                    DiffSide after, const FunctionWeights& after_weights,
                                    const DiffOptions& options);

}  // namespace kiln::flamegraph
