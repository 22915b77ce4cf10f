// Builds Profiles from folded stack -> count maps and diffs them (the public diff_profiles()).
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "diff/diff.h"
#include "profile/profile.h"

namespace kiln::diff {

inline Profile profile_of(const std::map<std::string, double>& folded) {
  Profile profile;
  for (const auto& [stack, count] : folded) {
    std::vector<std::string_view> frames;
    std::string_view rest = stack;
    for (std::size_t end; (end = rest.find(';')) != std::string_view::npos;
         rest = rest.substr(end + 1)) {
      frames.push_back(rest.substr(0, end));
    }
    frames.push_back(rest);
    char text[64];
    std::snprintf(text, sizeof text, "%.9f", count);
    const Weight weight = count == static_cast<double>(static_cast<uint64_t>(count))
                              ? Weight::from_integer(static_cast<uint64_t>(count))
                              : *Weight::parse(text);
    profile.add_stack(std::span<const std::string_view>(frames), weight);
  }
  return profile;
}

inline DiffReport diff_folded_counts(const std::map<std::string, double>& before,
                                     const std::map<std::string, double>& after,
                                     const DiffOptions& options) {
  return diff_profiles(profile_of(before), profile_of(after), options, "before.folded",
                       "after.folded");
}

}  // namespace kiln::diff
