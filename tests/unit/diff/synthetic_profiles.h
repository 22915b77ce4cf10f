// Seeded synthetic profiles for the diff statistics tests: stacks drawn independently from a
// known distribution, like a sampler's ticks landing on a stationary workload.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kiln::test {

// SplitMix64: tiny, fast, and the same sequence on every platform and standard library.
class SeededGenerator {
 public:
  explicit SeededGenerator(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

// A workload: folded stacks ("a;b;c") with their probability of being sampled.
using StackDistribution = std::vector<std::pair<std::string, double>>;

// Draws `samples` stacks and returns folded stack -> sample count.
inline std::map<std::string, double> draw_profile(const StackDistribution& distribution,
                                                  int samples, SeededGenerator& generator) {
  double sum = 0;
  for (const auto& entry : distribution) sum += entry.second;
  std::vector<double> hits(distribution.size(), 0);
  for (int i = 0; i < samples; ++i) {
    double u = generator.uniform() * sum;
    std::size_t chosen = distribution.size() - 1;
    for (std::size_t k = 0; k < distribution.size(); ++k) {
      if (u < distribution[k].second) {
        chosen = k;
        break;
      }
      u -= distribution[k].second;
    }
    hits[chosen] += 1;
  }
  std::map<std::string, double> counts;
  for (std::size_t k = 0; k < distribution.size(); ++k) {
    if (hits[k] > 0) counts[distribution[k].first] = hits[k];
  }
  return counts;
}

// The distribution with `stack`'s probability raised by `points` percentage points, the other
// stacks shrunk in proportion so the total stays 1.
inline StackDistribution with_growth(StackDistribution distribution, const std::string& stack,
                                     double points) {
  double others = 0;
  for (const auto& [s, p] : distribution) others += s == stack ? 0 : p;
  for (auto& [s, p] : distribution) {
    p = s == stack ? p + points / 100 : p * (others - points / 100) / others;
  }
  return distribution;
}

}  // namespace kiln::test
