// Wall-clock graphs: which frames are on-CPU time, which are waits, told by color and tooltip.
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <vector>

#include "flamegraph/flamegraph.h"

namespace kiln::flamegraph {

namespace {

constexpr std::string_view kSleeping = "[off-cpu: S]";
constexpr std::string_view kUninterruptible = "[off-cpu: D]";
constexpr std::string_view kRunnable = "[runnable]";
constexpr Rgb kRunnableColor{196, 176, 232};

// Per node of one tree, the weight of its stacks that are off-CPU and, of those, runnable. A
// stack is off-CPU when it holds a state frame: its leaf in a flame graph, its root's child in
// a reversed one, so a node's weight is off-CPU when a state frame is at or above it, or is
// the sum of what its children hold.
struct WallSplit {
  const FrameTree* tree = nullptr;
  std::vector<Weight> off_cpu, runnable;

  explicit WallSplit(const FrameTree& t) : tree(&t), off_cpu(t.size()), runnable(t.size()) {
    std::vector<int8_t> state(t.size(), 0);  // 0 on-CPU or unknown, 1 off-CPU, 2 runnable
    for (NodeId n = 1; n < t.size(); ++n) {
      const std::string_view name = t.name(n);
      state[n] = name == kRunnable                               ? 2
                 : name == kSleeping || name == kUninterruptible ? 1
                                                                 : state[t.parent(n)];
      if (state[n] != 0) {
        off_cpu[n] = t.weight(n);
        if (state[n] == 2) runnable[n] = t.weight(n);
      }
    }
    for (NodeId n = t.size(); n-- > 1;) {
      const NodeId parent = t.parent(n);
      if (parent == kNoNode || state[parent] != 0) continue;
      off_cpu[parent] += off_cpu[n];
      runnable[parent] += runnable[n];
    }
  }
};

std::string seconds(Weight us) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f s", us.to_double() / 1e6);
  return text;
}

std::string share(Weight part, Weight whole) {
  char text[16];
  std::snprintf(text, sizeof(text), "%.1f%%",
                whole.is_zero() ? 0.0 : 100.0 * part.to_double() / whole.to_double());
  return text;
}

}  // namespace

std::string_view wall_state_frame(WallState state) {
  switch (state) {
    case WallState::kSleeping:
      return kSleeping;
    case WallState::kUninterruptible:
      return kUninterruptible;
    case WallState::kRunnable:
      return kRunnable;
  }
  return kSleeping;
}

void use_wall_time_style(SvgOptions& svg) {
  auto split = std::make_shared<std::unique_ptr<WallSplit>>();
  svg.styler = [split](const FrameTree& tree, NodeId node, FrameStyle& style) {
    if (!*split || (*split)->tree != &tree) *split = std::make_unique<WallSplit>(tree);
    const WallSplit& s = **split;
    const Weight total = tree.weight(node);
    const Weight runnable = s.runnable[node];
    const Weight blocked = s.off_cpu[node] - runnable;
    const Weight on = total - s.off_cpu[node];
    // By the larger part of its time: a blocking function's few samples on its way into the
    // kernel do not make it an on-CPU frame.
    if (runnable > on && runnable > blocked)
      style.fill = kRunnableColor;
    else if (blocked > on && blocked >= runnable)
      style.fill = frame_color(tree.label(node), Palette::kIo);
    style.tooltip = "on-CPU " + seconds(on) + " (" + share(on, total) + "), off-CPU " +
                    seconds(blocked) + " (" + share(blocked, total) + ")";
    if (!runnable.is_zero())
      style.tooltip += ", runnable " + seconds(runnable) + " (" + share(runnable, total) + ")";
  };
  svg.legend = {
      {frame_color("on-CPU", svg.palette), "on-CPU (sampled)"},
      {frame_color("off-CPU", Palette::kIo), "off-CPU: [off-cpu: S] sleeping, D uninterruptible"},
      {kRunnableColor, "[runnable]: waiting for a CPU"},
  };
}

}  // namespace kiln::flamegraph
