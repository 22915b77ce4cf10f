// Builds Profiles from folded stack -> count maps, read as folded text by formats::FoldedReader
// as `kiln diff` reads its files, and diffs them (the public diff_profiles()).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <string>

#include "diff/diff.h"
#include "formats/formats.h"
#include "profile/profile.h"

namespace kiln::diff {

inline Profile profile_of(const std::map<std::string, double>& folded) {
  std::string text;
  for (const auto& [stack, count] : folded) {
    char number[32];
    std::snprintf(number, sizeof number, "%.17g", count);  // exact: whole counts stay whole
    text += stack + ' ' + number + '\n';
  }
  Profile profile;
  std::ostringstream diagnostics;
  formats::FoldedReader reader(profile, &diagnostics);
  reader.read_text(text, "test.folded");
  EXPECT_EQ(reader.bad_lines(), 0u) << diagnostics.str();
  return profile;
}

inline DiffReport diff_folded_counts(const std::map<std::string, double>& before,
                                     const std::map<std::string, double>& after,
                                     const DiffOptions& options) {
  return diff_profiles(profile_of(before), profile_of(after), options, "before.folded",
                       "after.folded");
}

}  // namespace kiln::diff
