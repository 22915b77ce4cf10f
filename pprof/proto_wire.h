// The protobuf wire format, as much of it as profile.proto needs: varints, length-delimited
// fields (strings, bytes, messages, packed repeated numbers), and skipping fields of the other
// wire types. Internal to pprof/; other modules use pprof.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::pprof {

enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Appends fields to a byte string. A nested message is written into its own ProtoWriter and
// added with add_bytes (its length first).
class ProtoWriter {
 public:
  void add_varint(uint32_t field, uint64_t value);
  void add_int64(uint32_t field, int64_t value) { add_varint(field, static_cast<uint64_t>(value)); }
  // Proto3 leaves fields at their default value out of the message.
  void add_nonzero(uint32_t field, uint64_t value) {
    if (value != 0) add_varint(field, value);
  }
  void add_bytes(uint32_t field, std::string_view bytes);
  // A packed repeated field of varints (nothing when empty).
  template <typename Range>
  void add_packed(uint32_t field, const Range& values) {
    if (values.empty()) return;
    packed_.clear();
    for (auto value : values) append_varint(packed_, static_cast<uint64_t>(value));
    add_bytes(field, packed_);
  }
  const std::string& bytes() const { return bytes_; }
  void clear() { bytes_.clear(); }

  static void append_varint(std::string& out, uint64_t value);

 private:
  std::string bytes_;
  std::string packed_;
};

// Reads fields from a byte range without ever reading past it. Every method returns false on
// malformed input, with error() saying what and at which byte (counted from the start of the
// outermost message, so that messages name the place in the file).
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view bytes, size_t base_offset = 0)
      : data_(bytes), base_(base_offset) {}

  bool at_end() const { return pos_ >= data_.size(); }
  // The next field's number and wire type.
  bool next(uint32_t& field, WireType& type);
  bool read_varint(uint64_t& value);
  bool read_bytes(std::string_view& bytes);
  // The value of a field of wire type `type` that is not wanted.
  bool skip(WireType type);
  // A repeated varint field, packed (length-delimited) or not; values are appended.
  template <typename Out>
  bool read_repeated(WireType type, Out& values);
  // A reader over a length-delimited field (a nested message).
  bool read_message(ProtoReader& nested);
  // Offset of the next byte, from the start of the outermost message.
  size_t offset() const { return base_ + pos_; }
  const std::string& error() const { return error_; }

 private:
  bool fail(std::string what);
  std::string_view data_;
  size_t base_ = 0;
  size_t pos_ = 0;
  std::string error_;
};

template <typename Out>
bool ProtoReader::read_repeated(WireType type, Out& values) {
  using Value = typename Out::value_type;
  if (type == WireType::kVarint) {
    uint64_t value = 0;
    if (!read_varint(value)) return false;
    values.push_back(static_cast<Value>(value));
    return true;
  }
  if (type != WireType::kLengthDelimited) return fail("a repeated number of the wrong wire type");
  ProtoReader packed(std::string_view{}, 0);
  if (!read_message(packed)) return false;
  while (!packed.at_end()) {
    uint64_t value = 0;
    if (!packed.read_varint(value)) {
      error_ = packed.error();
      return false;
    }
    values.push_back(static_cast<Value>(value));
  }
  return true;
}

}  // namespace kiln::pprof
