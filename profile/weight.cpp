// Weight: exact decimal counts in 10^-9 units.
#include <cmath>

#include "profile/profile.h"

namespace kiln::profile {

namespace {
// 10^27 units-of-one fit easily in 128 bits (2^128 is about 3.4e38 = 3.4e29 ones).
constexpr Weight::Units kMaxUnits = static_cast<Weight::Units>(1'000'000'000'000'000'000ULL) *
                                    1'000'000'000ULL * Weight::kUnitsPerOne;
}  // namespace

std::optional<Weight> Weight::parse(std::string_view text) {
  Units integer = 0;
  size_t i = 0;
  size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    integer = integer * 10 + static_cast<unsigned>(text[i] - '0');
    if (integer * kUnitsPerOne > kMaxUnits) return std::nullopt;
  }
  Units fraction = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    Units scale = kUnitsPerOne / 10;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
      fraction += static_cast<unsigned>(text[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (i != text.size() || digits == 0) return std::nullopt;
  return from_units(integer * kUnitsPerOne + fraction);
}

double Weight::to_double() const {
  return static_cast<double>(units_ / kUnitsPerOne) +
         static_cast<double>(units_ % kUnitsPerOne) / kUnitsPerOne;
}

std::string Weight::to_string() const {
  Units integer = units_ / kUnitsPerOne;
  uint64_t fraction = static_cast<uint64_t>(units_ % kUnitsPerOne);
  char buffer[64];
  char* end = buffer + sizeof buffer;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + static_cast<unsigned>(integer % 10));
    integer /= 10;
  } while (integer != 0);
  std::string text(p, end);
  if (fraction != 0) {
    std::string digits(kFractionDigits, '0');
    for (int k = kFractionDigits - 1; k >= 0; --k, fraction /= 10) {
      digits[k] = static_cast<char>('0' + fraction % 10);
    }
    digits.erase(digits.find_last_not_of('0') + 1);
    text += '.';
    text += digits;
  }
  return text;
}

}  // namespace kiln::profile
