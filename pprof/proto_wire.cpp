// The protobuf wire format: varints (7 bits a byte, least significant first, at most 10 bytes)
// and length-delimited fields, every read checked against the end of its range.
#include "pprof/proto_wire.h"

namespace kiln::pprof {

void ProtoWriter::append_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void ProtoWriter::add_varint(uint32_t field, uint64_t value) {
  append_varint(bytes_, uint64_t{field} << 3 | static_cast<uint8_t>(WireType::kVarint));
  append_varint(bytes_, value);
}

void ProtoWriter::add_bytes(uint32_t field, std::string_view bytes) {
  append_varint(bytes_, uint64_t{field} << 3 | static_cast<uint8_t>(WireType::kLengthDelimited));
  append_varint(bytes_, bytes.size());
  bytes_.append(bytes);
}

bool ProtoReader::fail(std::string what) {
  error_ = "byte " + std::to_string(offset()) + ": " + std::move(what);
  return false;
}

bool ProtoReader::read_varint(uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos_ >= data_.size()) return fail("a number cut off by the end of its message");
    const auto byte = static_cast<uint8_t>(data_[pos_++]);
    value |= uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) return true;
  }
  return fail("a number longer than 10 bytes");
}

bool ProtoReader::next(uint32_t& field, WireType& type) {
  uint64_t key = 0;
  if (!read_varint(key)) return false;
  const uint64_t number = key >> 3;
  if (number == 0 || number > 0x1fffffff) return fail("field number " + std::to_string(number));
  field = static_cast<uint32_t>(number);
  const auto wire = static_cast<uint8_t>(key & 7);
  switch (wire) {
    case 0:
    case 1:
    case 2:
    case 5:
      type = static_cast<WireType>(wire);
      return true;
    default:
      return fail("wire type " + std::to_string(wire) + " of field " + std::to_string(number));
  }
}

bool ProtoReader::read_bytes(std::string_view& bytes) {
  uint64_t length = 0;
  if (!read_varint(length)) return false;
  if (length > data_.size() - pos_)
    return fail("a field of " + std::to_string(length) + " bytes where " +
                std::to_string(data_.size() - pos_) + " are left");
  bytes = data_.substr(pos_, static_cast<size_t>(length));
  pos_ += static_cast<size_t>(length);
  return true;
}

bool ProtoReader::read_message(ProtoReader& nested) {
  const size_t start = offset();
  std::string_view bytes;
  if (!read_bytes(bytes)) return false;
  nested = ProtoReader(bytes, start + (offset() - start - bytes.size()));
  return true;
}

bool ProtoReader::skip(WireType type) {
  switch (type) {
    case WireType::kVarint: {
      uint64_t ignored = 0;
      return read_varint(ignored);
    }
    case WireType::kLengthDelimited: {
      std::string_view ignored;
      return read_bytes(ignored);
    }
    case WireType::kFixed64:
    case WireType::kFixed32: {
      const size_t size = type == WireType::kFixed64 ? 8 : 4;
      if (data_.size() - pos_ < size) return fail("a fixed-size number cut off");
      pos_ += size;
      return true;
    }
  }
  return fail("unknown wire type");
}

}  // namespace kiln::pprof
