// TextInput: block reads with a bounded line length.
#include "formats/text_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace kiln::formats {

namespace {
// Small enough to stay in cache while it is parsed.
constexpr size_t kBlockBytes = size_t{1} << 17;
// Real lines are kilobytes (perf's deepest folded stacks, 1024 frames of long C++ names: a few
// MB). Without a bound an endless line (/dev/zero, a binary file) grows the buffer until the
// allocation fails.
constexpr size_t kMaxLineBytes = size_t{64} << 20;
}  // namespace

TextInput::TextInput(const std::string& path)
    : source_(path == "-" ? std::string("<stdin>") : path), buffer_(kBlockBytes) {
  if (path == "-") {
    fd_ = 0;
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    owned_ = fd_ >= 0;
    if (fd_ < 0) {
      error_ = source_ + ": cannot open: " + std::strerror(errno);
      return;
    }
  }
  struct stat info;
  if (::fstat(fd_, &info) == 0 && S_ISREG(info.st_mode)) {
    file_size_ = static_cast<size_t>(info.st_size);
  }
}

TextInput::~TextInput() {
  if (owned_) ::close(fd_);
}

std::string_view TextInput::head() {
  while (ok() && filled_ < kBlockBytes && fill(1)) {
  }
  return {buffer_.data(), filled_};
}

bool TextInput::read_all(std::string& out, size_t max_bytes) {
  out.assign(buffer_.data(), filled_);
  filled_ = 0;
  char block[1 << 16];
  while (ok() && !eof_) {
    ssize_t got = ::read(fd_, block, sizeof block);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      error_ = source_ + ": cannot read: " + std::strerror(errno);
      return false;
    }
    if (got == 0) eof_ = true;
    out.append(block, static_cast<size_t>(got));
    if (out.size() > max_bytes) {
      error_ = source_ + ": larger than " + std::to_string(max_bytes >> 20) + " MiB";
      return false;
    }
  }
  return ok();
}

bool TextInput::fill(uint64_t next_line_number) {
  if (!ok() || eof_) return false;
  if (filled_ == buffer_.size()) {  // a line longer than the buffer
    if (buffer_.size() >= kMaxLineBytes) {
      error_ = source_ + ':' + std::to_string(next_line_number) + ": a line longer than " +
               std::to_string(kMaxLineBytes >> 20) + " MB: not a text profile";
      return false;
    }
    buffer_.resize(buffer_.size() * 2);
  }
  for (;;) {
    ssize_t got = ::read(fd_, buffer_.data() + filled_, buffer_.size() - filled_);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      error_ = source_ + ": cannot read: " + std::strerror(errno);
      return false;
    }
    if (got == 0) {
      eof_ = true;
      return false;
    }
    filled_ += static_cast<size_t>(got);
    return true;
  }
}

}  // namespace kiln::formats
