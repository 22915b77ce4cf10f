// TextInput: a text file (or standard input) read line by line in large blocks, for the readers
// of this module. Internal to flamegraph/; other modules use the readers in flamegraph.h.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::formats {

class TextInput {
 public:
  // Opens `path` ("-" = standard input); check ok() and error().
  explicit TextInput(const std::string& path);
  ~TextInput();
  TextInput(const TextInput&) = delete;
  TextInput& operator=(const TextInput&) = delete;

  bool ok() const { return error_.empty(); }
  // "FILE: reason" or "FILE:LINE: reason" once something failed.
  const std::string& error() const { return error_; }
  // The name used in diagnostics: the path, or "<stdin>".
  const std::string& source() const { return source_; }
  // The size of a regular file, 0 for a pipe or terminal.
  size_t file_size() const { return file_size_; }

  // The first block of the input (up to 128 KiB), without consuming it: what a reader looks at
  // to tell formats apart. Empty at end of input or on error.
  std::string_view head();

  // Calls on_line(line, number) for every line (without its '\n'; numbers from 1). False if
  // reading failed or a line exceeded the limit (error() says which and where).
  template <typename OnLine>
  bool for_each_line(OnLine&& on_line);

  // Appends the whole input (what head() buffered and the rest), for binary formats (pprof).
  // False if reading failed or the input exceeds `max_bytes` (error() says which).
  bool read_all(std::string& out, size_t max_bytes);

  // After for_each_line: whether the last line ended with '\n' (an input cut in the middle of
  // a line does not).
  bool ended_with_newline() const { return ended_with_newline_; }

 private:
  // Reads more bytes after the `filled_` ones, growing the buffer when it is full; false at end
  // of input or on error.
  bool fill(uint64_t next_line_number);

  std::string source_;
  std::string error_;
  int fd_ = -1;
  bool owned_ = false;
  size_t file_size_ = 0;
  std::vector<char> buffer_;
  size_t filled_ = 0;
  bool eof_ = false;
  bool ended_with_newline_ = true;
};

template <typename OnLine>
bool TextInput::for_each_line(OnLine&& on_line) {
  if (!ok()) return false;
  uint64_t number = 0;
  size_t scan = 0;  // bytes before `scan` hold no newline
  for (;;) {
    size_t start = 0;
    for (;;) {
      const void* nl = std::memchr(buffer_.data() + scan, '\n', filled_ - scan);
      if (!nl) break;
      size_t stop = static_cast<size_t>(static_cast<const char*>(nl) - buffer_.data());
      on_line(std::string_view(buffer_.data() + start, stop - start), ++number);
      start = scan = stop + 1;
    }
    std::memmove(buffer_.data(), buffer_.data() + start, filled_ - start);
    filled_ -= start;
    scan = filled_;
    if (!fill(number + 1)) break;
  }
  if (!ok()) return false;
  ended_with_newline_ = filled_ == 0;
  if (filled_ > 0) on_line(std::string_view(buffer_.data(), filled_), ++number);
  return true;
}

}  // namespace kiln::formats
