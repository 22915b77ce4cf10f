#include "record/stack_spill.h"

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace kiln::record {

namespace {

// One profile in the file: its frames, its columns, then its stacks.
//   u64 frames; per frame: u8 kind, u32 line, u64 address, then name, module, file (u32 length
//   and bytes each)
//   u64 columns; per column: name, unit
//   u64 stacks; per stack: u32 depth, depth x u32 frame index, weight, one value per column
//   (each a 128-bit count of 10^-9 units, as two u64)
class Writer {
 public:
  explicit Writer(std::FILE* file) : file_(file) {}
  void u8(uint8_t value) { put(&value, sizeof value); }
  void u32(uint32_t value) { put(&value, sizeof value); }
  void u64(uint64_t value) { put(&value, sizeof value); }
  void text(std::string_view text) {
    u32(static_cast<uint32_t>(text.size()));
    put(text.data(), text.size());
  }
  void weight(profile::Weight weight) {
    u64(static_cast<uint64_t>(weight.units()));
    u64(static_cast<uint64_t>(weight.units() >> 64));
  }
  bool ok() const { return ok_; }

 private:
  void put(const void* data, size_t size) {
    ok_ = ok_ && (size == 0 || std::fwrite(data, size, 1, file_) == 1);
  }
  std::FILE* file_;
  bool ok_ = true;
};

class Reader {
 public:
  explicit Reader(std::FILE* file) : file_(file) {}
  uint8_t u8() { return get<uint8_t>(); }
  uint32_t u32() { return get<uint32_t>(); }
  uint64_t u64() { return get<uint64_t>(); }
  std::string_view text() {
    buffer_.resize(u32());
    if (ok_ && !buffer_.empty()) ok_ = std::fread(buffer_.data(), buffer_.size(), 1, file_) == 1;
    return ok_ ? std::string_view(buffer_) : std::string_view();
  }
  profile::Weight weight() {
    const uint64_t low = u64();
    const uint64_t high = u64();
    return profile::Weight::from_units((static_cast<profile::Weight::Units>(high) << 64) | low);
  }
  bool ok() const { return ok_; }
  // A count read from the file, checked against what is left of it, so that a damaged file
  // cannot make a huge allocation.
  uint64_t count(uint64_t at_least_bytes_each, uint64_t left) {
    const uint64_t n = u64();
    if (at_least_bytes_each && n > left / at_least_bytes_each) ok_ = false;
    return ok_ ? n : 0;
  }

 private:
  template <typename T>
  T get() {
    T value{};
    if (ok_) ok_ = std::fread(&value, sizeof value, 1, file_) == 1;
    return value;
  }
  std::FILE* file_;
  bool ok_ = true;
  std::string buffer_;
};

void write_profile(Writer& out, const profile::Profile& profile) {
  out.u64(profile.name_count());
  for (profile::FrameId id = 0; id < profile.name_count(); ++id) {
    const profile::Frame frame = profile.frame(id);
    out.u8(static_cast<uint8_t>(frame.kind));
    out.u32(frame.line);
    out.u64(frame.address);
    out.text(frame.name);
    out.text(frame.module);
    out.text(frame.file);
  }
  out.u64(profile.column_count());
  for (size_t column = 0; column < profile.column_count(); ++column) {
    out.text(profile.column(column).name);
    out.text(profile.column(column).unit);
  }
  out.u64(profile.stack_count());
  for (size_t stack = 0; stack < profile.stack_count(); ++stack) {
    const auto frames = profile.frames(stack);
    out.u32(static_cast<uint32_t>(frames.size()));
    for (const profile::FrameId id : frames) out.u32(id);
    out.weight(profile.weight(stack));
    for (size_t column = 0; column < profile.column_count(); ++column)
      out.weight(profile.value(column, stack));
  }
}

bool read_profile(Reader& in, uint64_t size, profile::Profile& into) {
  std::vector<profile::FrameId> ids(in.count(26, size));  // kind, line, address, 3 lengths
  for (profile::FrameId& id : ids) {
    profile::Frame frame;
    frame.kind = static_cast<profile::FrameKind>(in.u8());
    frame.line = in.u32();
    frame.address = in.u64();
    // Each view is copied by intern below before the next text() reuses the buffer: read
    // the three into strings first.
    const std::string name(in.text()), module(in.text()), file(in.text());
    frame.name = name;
    frame.module = module;
    frame.file = file;
    if (!in.ok() || frame.kind > profile::FrameKind::kUnknown) return false;
    id = into.intern(frame);
  }
  std::vector<size_t> columns(in.count(8, size));
  for (size_t& column : columns) {
    const std::string name(in.text());
    const std::string unit(in.text());
    if (!in.ok()) return false;
    column = into.add_column(name, unit);
  }
  const uint64_t stacks = in.count(20, size);
  std::vector<profile::FrameId> frames;
  for (uint64_t stack = 0; stack < stacks && in.ok(); ++stack) {
    frames.resize(in.u32());
    for (profile::FrameId& frame : frames) {
      const uint32_t index = in.u32();
      if (index >= ids.size()) return false;
      frame = ids[index];
    }
    const profile::Weight weight = in.weight();
    if (!in.ok()) return false;
    into.add_stack(frames, weight);
    for (const size_t column : columns) into.set_value(column, into.stack_count() - 1, in.weight());
  }
  return in.ok();
}

}  // namespace

bool StackSpill::write(const profile::Profile& profile) {
  if (!file_) {
    file_.reset(std::tmpfile());
    if (!file_) {
      error_ = std::string("cannot make a temporary file in /tmp: ") + std::strerror(errno);
      return false;
    }
  }
  Writer out(file_.get());
  write_profile(out, profile);
  if (!out.ok() || std::fflush(file_.get()) != 0) {
    error_ = std::string("cannot write the temporary file of stacks: ") + std::strerror(errno);
    // What was written of this profile is not read back: reading stops at the end of the last
    // whole one, and the stacks written before stay.
    std::fseek(file_.get(), static_cast<long>(bytes_), SEEK_SET);
    return false;
  }
  bytes_ = static_cast<uint64_t>(std::ftell(file_.get()));
  stacks_ += profile.stack_count();
  return true;
}

bool StackSpill::read_each(const std::function<void(const profile::Profile&)>& profile) {
  if (!file_ || bytes_ == 0) return true;
  std::rewind(file_.get());
  Reader in(file_.get());
  while (static_cast<uint64_t>(std::ftell(file_.get())) < bytes_) {
    profile::Profile part;
    if (!read_profile(in, bytes_, part)) {
      error_ = "the temporary file of stacks could not be read back whole";
      return false;
    }
    profile(part);
  }
  return true;
}

}  // namespace kiln::record
