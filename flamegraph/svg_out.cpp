// The buffered SVG output and its number formats.
#include <cstdio>

#include "flamegraph/svg_parts.h"

namespace kiln::flamegraph::svg {

SvgOut& SvgOut::centi(int64_t v) {
  if (v < 0) {
    buffer_ += '-';
    v = -v;
  }
  buffer_ += std::to_string(v / 100);
  int64_t frac = v % 100;
  if (frac != 0) {
    buffer_ += '.';
    buffer_ += static_cast<char>('0' + frac / 10);
    if (frac % 10) buffer_ += static_cast<char>('0' + frac % 10);
  }
  return *this;
}

void SvgOut::flush() {
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
}

std::string number(double v) {
  char buffer[32];
  int n = std::snprintf(buffer, sizeof buffer, "%.10g", v);
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace kiln::flamegraph::svg
