// InputFile: a fuzz input as a file (an anonymous memfd reached through /proc/self/fd), for the
// parsers whose interface takes a path, so they read it exactly as they read a user's file.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace kiln::fuzz {

class InputFile {
 public:
  InputFile() : fd_(memfd_create("kiln-fuzz-input", MFD_CLOEXEC)) {
    if (fd_ < 0) {
      perror("memfd_create");
      abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~InputFile() { close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Replaces the contents with `size` bytes.
  void assign(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0) abort();
    append(data, size);
  }
  // Adds bytes at the end (a file that grows while it is read, like a JIT's perf map).
  void append(const uint8_t* data, size_t size) {
    off_t end = lseek(fd_, 0, SEEK_END);
    for (size_t done = 0; done < size;) {
      ssize_t n = pwrite(fd_, data + done, size - done, end + static_cast<off_t>(done));
      if (n <= 0) abort();
      done += static_cast<size_t>(n);
    }
  }
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

}  // namespace kiln::fuzz
