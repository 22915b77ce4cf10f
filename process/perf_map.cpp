#include "process/perf_map.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string_view>

namespace kiln::process {
namespace {

// Takes a hex field and the space after it from the front of `line` ("7f3a1c000040 ", or with
// "0x"). Only the line's own bytes count: no leading blanks, sign or newline is skipped.
bool take_hex_field(std::string_view& line, uint64_t* value) {
  if (line.starts_with("0x")) line.remove_prefix(2);
  const char* end_of_line = line.data() + line.size();
  auto [end, ec] = std::from_chars(line.data(), end_of_line, *value, 16);
  if (ec != std::errc() || end == end_of_line || *end != ' ') return false;
  line.remove_prefix(static_cast<size_t>(end - line.data()) + 1);
  return true;
}

}  // namespace

bool PerfMap::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  parsed_bytes_ = 0;
  partial_line_.clear();
  entries_.clear();
  sorted_ = false;
  refresh();
  return true;
}

PerfMap::~PerfMap() {
  if (fd_ >= 0) ::close(fd_);
}

void PerfMap::refresh() {
  struct stat st;
  if (fd_ < 0 || fstat(fd_, &st) != 0) return;
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < parsed_bytes_) {  // truncated and rewritten: start over
    parsed_bytes_ = 0;
    partial_line_.clear();
    entries_.clear();
  }
  if (size == parsed_bytes_) return;
  std::string text = std::move(partial_line_);
  char buf[65536];
  uint64_t off = parsed_bytes_;
  while (off < size) {
    ssize_t n = pread(fd_, buf, sizeof buf, static_cast<off_t>(off));
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    off += static_cast<uint64_t>(n);
  }
  parsed_bytes_ = off;
  size_t pos = 0;
  for (size_t eol; (eol = text.find('\n', pos)) != std::string::npos; pos = eol + 1) {
    std::string_view line(text.data() + pos, eol - pos);
    Entry e;
    if (!take_hex_field(line, &e.start) || !take_hex_field(line, &e.size)) continue;
    if (line.ends_with('\r')) line.remove_suffix(1);
    e.name.assign(line);
    entries_.push_back(std::move(e));
  }
  partial_line_ = text.substr(pos);
  sorted_ = false;
}

const PerfMap::Entry* PerfMap::find(uint64_t address) {
  refresh();
  if (!sorted_) {
    by_start_.resize(entries_.size());
    for (uint32_t i = 0; i < by_start_.size(); ++i) by_start_[i] = i;
    std::stable_sort(by_start_.begin(), by_start_.end(),
                     [&](uint32_t a, uint32_t b) { return entries_[a].start < entries_[b].start; });
    sorted_ = true;
  }
  // Entries may overlap when code memory is reused: take the latest entry containing it
  // among those starting at or below the address.
  auto it = std::upper_bound(by_start_.begin(), by_start_.end(), address,
                             [&](uint64_t a, uint32_t i) { return a < entries_[i].start; });
  const Entry* best = nullptr;
  uint32_t best_index = 0;
  for (int checked = 0; it != by_start_.begin() && checked < 64; ++checked) {
    --it;
    const Entry& e = entries_[*it];
    if (address - e.start < e.size && (!best || *it > best_index)) {
      best = &e;
      best_index = *it;
    }
  }
  return best;
}

}  // namespace kiln::process
