// FoldedReader: folded stacks text -> Profile, streamed in large blocks.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <iostream>

#include "formats/formats.h"
#include "formats/text_input.h"

namespace kiln::formats {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_blank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Length of the common prefix, compared 8 bytes at a time (little-endian: the first differing
// byte is the lowest set byte of the XOR).
size_t common_prefix(std::string_view a, std::string_view b) {
  static_assert(std::endian::native == std::endian::little);
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return i + static_cast<size_t>(std::countr_zero(x ^ y) / 8);
  }
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// Splits "rest COUNT" where COUNT is the digits and dots after the last blank; nullopt if the
// text does not end that way. Scans only the count, never the whole line.
std::optional<std::pair<std::string_view, Weight>> split_count(std::string_view text) {
  size_t start = text.size();
  while (start > 0 &&
         ((text[start - 1] >= '0' && text[start - 1] <= '9') || text[start - 1] == '.')) {
    --start;
  }
  if (start == text.size() || start == 0 || !is_blank(text[start - 1])) return std::nullopt;
  std::optional<Weight> count = Weight::parse(text.substr(start));
  if (!count) return std::nullopt;
  std::string_view rest = text.substr(0, start - 1);
  while (!rest.empty() && is_blank(rest.back())) rest.remove_suffix(1);
  return std::pair{rest, *count};
}

}  // namespace

// Parses lines of one source. Consecutive lines of a sorted folded file share long prefixes, so
// frames in the byte prefix shared with the previous line reuse its ids without hashing.
class FoldedReader::LineParser {
 public:
  LineParser(FoldedReader& reader, std::string_view source) : reader_(reader), source_(source) {}

  void parse(std::string_view raw, uint64_t number) {
    std::string_view text = trim(raw);
    if (text.empty()) return;
    if (text.front() == '#') return parse_comment(text);
    auto counted = split_count(text);
    if (!counted) {
      size_t blank = text.find_last_of(" \t");
      if (blank == std::string_view::npos) {
        return reader_.report(source_, number, "no count at the end of the line");
      }
      std::string reason = "the count '";
      reason += text.substr(blank + 1, 40);
      reason += "' is not a non-negative number";
      return reader_.report(source_, number, reason);
    }
    auto [stack, weight] = *counted;
    std::optional<Weight> before;
    if (auto second = split_count(stack); second && !second->first.empty()) {
      before = weight;  // two columns: "stack BEFORE AFTER"
      std::swap(*before, second->second);
      stack = second->first;
      weight = second->second;
    }
    if (stack.empty()) return reader_.report(source_, number, "no frames before the count");
    intern_frames(stack);
    Profile& profile = reader_.profile_;
    profile.add_stack(ids_, weight);
    if (before) {
      if (!before_column_)
        before_column_ = profile.add_column(profile::kBeforeColumn, profile.metadata.count_name);
      profile.set_value(*before_column_, profile.stack_count() - 1, *before);
    }
    ++reader_.stacks_read_;
  }

 private:
  void intern_frames(std::string_view stack) {
    size_t common = common_prefix(stack, prev_);
    if (common == stack.size() && common == prev_.size()) return;  // same stack as before
    // A previous frame is shared if the `;` after it is inside the common prefix.
    size_t reused = 0;
    // ids_ and ends_ still describe the previous line here.
    while (reused < ends_.size() && ends_[reused] < common) ++reused;
    ids_.resize(reused);
    ends_.resize(reused);
    names_.clear();
    for (size_t start = reused == 0 ? 0 : ends_.back() + 1;;) {
      const void* semi = std::memchr(stack.data() + start, ';', stack.size() - start);
      size_t end =
          semi ? static_cast<size_t>(static_cast<const char*>(semi) - stack.data()) : stack.size();
      names_.push_back(stack.substr(start, end - start));
      ends_.push_back(static_cast<uint32_t>(end));
      if (end == stack.size()) break;
      start = end + 1;
    }
    reader_.profile_.intern_all(names_, ids_);
    prev_.assign(stack);
  }

  void parse_comment(std::string_view text) {
    text.remove_prefix(1);
    size_t colon = text.find(':');
    if (colon == std::string_view::npos) return;
    std::string_view key = trim(text.substr(0, colon));
    std::string_view value = trim(text.substr(colon + 1));
    if (key.empty() || key.find(' ') != std::string_view::npos) return;  // prose, not a header
    ProfileMetadata& m = reader_.profile_.metadata;
    // kiln's own keys carry a unit, so other tools' headers (austin writes "# duration: 23873",
    // in microseconds) stay in `extra` instead of being misread.
    auto number = [&](auto& field, std::string_view unit) {
      if (!value.ends_with(unit)) return false;
      std::string_view digits = trim(value.substr(0, value.size() - unit.size()));
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), field);
      return ec == std::errc() && end == digits.data() + digits.size();
    };
    bool known = (key == "frequency" && number(m.frequency_hz, "Hz")) ||
                 (key == "duration" && number(m.duration_s, " s")) ||
                 (key == "lost" && number(m.lost_samples, " samples"));
    if (key == "measured") {
      m.measured = value;
    } else if (key == "countname") {
      m.count_name = value;
    } else if (!known) {
      m.extra.emplace_back(key, value);
    }
  }

  FoldedReader& reader_;
  std::string_view source_;
  std::string prev_;
  std::vector<FrameId> ids_;
  std::vector<std::string_view> names_;  // frames of the current line not shared with the last
  std::vector<uint32_t> ends_;           // offset of the `;` (or end) after each frame
  std::optional<size_t> before_column_;  // once a two-column line was read
};

FoldedReader::FoldedReader(Profile& into, std::ostream* diagnostics)
    : profile_(into), diagnostics_(diagnostics) {}
FoldedReader::FoldedReader(Profile& into) : FoldedReader(into, &std::cerr) {}

void FoldedReader::report(std::string_view source, uint64_t line, std::string_view reason) {
  ++bad_lines_;
  if (diagnostics_) *diagnostics_ << source << ':' << line << ": " << reason << '\n';
}

void FoldedReader::read_text(std::string_view text, std::string_view source) {
  LineParser parser(*this, source);
  uint64_t number = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    parser.parse(line, ++number);
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
}

bool FoldedReader::read_file(const std::string& path) {
  TextInput input(path);
  return read_input(input);
}

bool FoldedReader::read_input(TextInput& input) {
  // Reserving from the file size (generously: untouched pages cost no memory) spares the
  // copies and page faults of growing the stack arrays many times.
  if (size_t size = input.file_size(); size > 0) profile_.reserve(size / 256, size / 24);
  LineParser parser(*this, input.source());
  if (!input.for_each_line(
          [&](std::string_view line, uint64_t number) { parser.parse(line, number); })) {
    error_ = input.error();
    if (diagnostics_) *diagnostics_ << error_ << '\n';
    return false;
  }
  return true;
}

}  // namespace kiln::formats
