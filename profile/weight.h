// profile/weight.h: the Weight of a stack, part of the profile module (profile/profile.h).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::profile {

// Weight: an exact, non-negative decimal count (samples, microseconds, ...). Stored as an
// unsigned 128-bit number of 10^-9 units, so integer weights up to 2^63 and sums of millions of
// them neither overflow nor lose precision, and fractional weights ("31.23") add up exactly.
class Weight {
 public:
  using Units = unsigned __int128;
  static constexpr int kFractionDigits = 9;
  static constexpr uint64_t kUnitsPerOne = 1'000'000'000;

  constexpr Weight() = default;
  static constexpr Weight from_units(Units units) {
    Weight w;
    w.units_ = units;
    return w;
  }
  static constexpr Weight from_integer(uint64_t value) {
    return from_units(static_cast<Units>(value) * kUnitsPerOne);
  }
  // Parses "42", "31.23", "6." or ".5" (no sign, no exponent). Digits beyond the 9th fractional
  // one are truncated. nullopt if the text is not such a number or exceeds 10^27.
  static std::optional<Weight> parse(std::string_view text);

  constexpr Units units() const { return units_; }
  constexpr bool is_zero() const { return units_ == 0; }
  bool is_integer() const { return units_ % kUnitsPerOne == 0; }
  double to_double() const;
  // Shortest exact decimal: "42", "31.23".
  std::string to_string() const;

  constexpr Weight& operator+=(Weight other) {
    units_ += other.units_;
    return *this;
  }
  friend constexpr Weight operator+(Weight a, Weight b) { return a += b; }
  // Saturates at zero (weights are never negative).
  friend constexpr Weight operator-(Weight a, Weight b) {
    return from_units(a.units_ > b.units_ ? a.units_ - b.units_ : 0);
  }
  friend constexpr auto operator<=>(Weight a, Weight b) = default;

 private:
  Units units_ = 0;
};

}  // namespace kiln::profile
