// profile.proto's messages to and from the wire format. The field numbers are those the format
// defines (github.com/google/pprof, proto/profile.proto); repeated numbers are written packed
// and read packed or not, as proto3 requires.
#include "pprof/pprof.h"
#include "pprof/proto_wire.h"

namespace kiln::pprof {

namespace {

// Field numbers of each message.
namespace profile_field {
constexpr uint32_t kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5,
                   kStringTable = 6, kDropFrames = 7, kKeepFrames = 8, kTimeNanos = 9,
                   kDurationNanos = 10, kPeriodType = 11, kPeriod = 12, kComment = 13,
                   kDefaultSampleType = 14;
}
namespace value_type_field {
constexpr uint32_t kType = 1, kUnit = 2;
}
namespace sample_field {
constexpr uint32_t kLocationId = 1, kValue = 2, kLabel = 3;
}
namespace label_field {
constexpr uint32_t kKey = 1, kStr = 2, kNum = 3, kNumUnit = 4;
}
namespace mapping_field {
constexpr uint32_t kId = 1, kMemoryStart = 2, kMemoryLimit = 3, kFileOffset = 4, kFilename = 5,
                   kBuildId = 6, kHasFunctions = 7, kHasFilenames = 8, kHasLineNumbers = 9,
                   kHasInlineFrames = 10;
}
namespace location_field {
constexpr uint32_t kId = 1, kMappingId = 2, kAddress = 3, kLine = 4, kIsFolded = 5;
}
namespace line_field {
constexpr uint32_t kFunctionId = 1, kLine = 2;
}
namespace function_field {
constexpr uint32_t kId = 1, kName = 2, kSystemName = 3, kFilename = 4, kStartLine = 5;
}

// ---- Encoding --------------------------------------------------------------------------------

void put(ProtoWriter& w, const ValueType& v) {
  w.add_nonzero(value_type_field::kType, static_cast<uint64_t>(v.type));
  w.add_nonzero(value_type_field::kUnit, static_cast<uint64_t>(v.unit));
}

void put(ProtoWriter& w, const Label& l) {
  w.add_nonzero(label_field::kKey, static_cast<uint64_t>(l.key));
  w.add_nonzero(label_field::kStr, static_cast<uint64_t>(l.str));
  w.add_nonzero(label_field::kNum, static_cast<uint64_t>(l.num));
  w.add_nonzero(label_field::kNumUnit, static_cast<uint64_t>(l.num_unit));
}

// One writer per nesting level, reused for every message at that level.
struct Writers {
  ProtoWriter inner;
  ProtoWriter innermost;
};

void put(ProtoWriter& w, const Sample& s, Writers& scratch) {
  w.add_packed(sample_field::kLocationId, s.location_ids);
  w.add_packed(sample_field::kValue, s.values);
  for (const Label& label : s.labels) {
    scratch.innermost.clear();
    put(scratch.innermost, label);
    w.add_bytes(sample_field::kLabel, scratch.innermost.bytes());
  }
}

void put(ProtoWriter& w, const Mapping& m) {
  using namespace mapping_field;
  w.add_nonzero(kId, m.id);
  w.add_nonzero(kMemoryStart, m.memory_start);
  w.add_nonzero(kMemoryLimit, m.memory_limit);
  w.add_nonzero(kFileOffset, m.file_offset);
  w.add_nonzero(kFilename, static_cast<uint64_t>(m.filename));
  w.add_nonzero(kBuildId, static_cast<uint64_t>(m.build_id));
  w.add_nonzero(kHasFunctions, m.has_functions);
  w.add_nonzero(kHasFilenames, m.has_filenames);
  w.add_nonzero(kHasLineNumbers, m.has_line_numbers);
  w.add_nonzero(kHasInlineFrames, m.has_inline_frames);
}

void put(ProtoWriter& w, const Location& l, Writers& scratch) {
  w.add_nonzero(location_field::kId, l.id);
  w.add_nonzero(location_field::kMappingId, l.mapping_id);
  w.add_nonzero(location_field::kAddress, l.address);
  for (const Line& line : l.lines) {
    scratch.innermost.clear();
    scratch.innermost.add_nonzero(line_field::kFunctionId, line.function_id);
    scratch.innermost.add_nonzero(line_field::kLine, static_cast<uint64_t>(line.line));
    w.add_bytes(location_field::kLine, scratch.innermost.bytes());
  }
  w.add_nonzero(location_field::kIsFolded, l.is_folded);
}

void put(ProtoWriter& w, const Function& f) {
  using namespace function_field;
  w.add_nonzero(kId, f.id);
  w.add_nonzero(kName, static_cast<uint64_t>(f.name));
  w.add_nonzero(kSystemName, static_cast<uint64_t>(f.system_name));
  w.add_nonzero(kFilename, static_cast<uint64_t>(f.filename));
  w.add_nonzero(kStartLine, static_cast<uint64_t>(f.start_line));
}

// ---- Decoding --------------------------------------------------------------------------------

// Reads a nested message field by field; `on_field` returns false for a malformed field.
template <typename OnField>
bool read_fields(ProtoReader& r, OnField&& on_field) {
  while (!r.at_end()) {
    uint32_t field = 0;
    WireType type{};
    if (!r.next(field, type) || !on_field(field, type)) return false;
  }
  return true;
}

// A scalar field must arrive as a varint; anything else is skipped (as protobuf parsers do with
// fields they do not know).
template <typename T>
bool read_scalar(ProtoReader& r, WireType type, T& value) {
  if (type != WireType::kVarint) return r.skip(type);
  uint64_t raw = 0;
  if (!r.read_varint(raw)) return false;
  value = static_cast<T>(raw);
  return true;
}

template <typename Parse>
bool read_nested(ProtoReader& r, WireType type, std::string& error, Parse&& parse) {
  if (type != WireType::kLengthDelimited) return r.skip(type);
  ProtoReader nested{std::string_view{}};
  if (!r.read_message(nested)) return false;
  if (!parse(nested)) {
    error = nested.error();
    return false;
  }
  return true;
}

bool get(ProtoReader& r, ValueType& v) {
  return read_fields(r, [&](uint32_t field, WireType type) {
    if (field == value_type_field::kType) return read_scalar(r, type, v.type);
    if (field == value_type_field::kUnit) return read_scalar(r, type, v.unit);
    return r.skip(type);
  });
}

bool get(ProtoReader& r, Label& l) {
  return read_fields(r, [&](uint32_t field, WireType type) {
    switch (field) {
      case label_field::kKey:
        return read_scalar(r, type, l.key);
      case label_field::kStr:
        return read_scalar(r, type, l.str);
      case label_field::kNum:
        return read_scalar(r, type, l.num);
      case label_field::kNumUnit:
        return read_scalar(r, type, l.num_unit);
      default:
        return r.skip(type);
    }
  });
}

bool get(ProtoReader& r, Sample& s, std::string& error) {
  return read_fields(r, [&](uint32_t field, WireType type) {
    switch (field) {
      case sample_field::kLocationId:
        return r.read_repeated(type, s.location_ids);
      case sample_field::kValue:
        return r.read_repeated(type, s.values);
      case sample_field::kLabel:
        return read_nested(r, type, error,
                           [&](ProtoReader& n) { return get(n, s.labels.emplace_back()); });
      default:
        return r.skip(type);
    }
  });
}

bool get(ProtoReader& r, Mapping& m) {
  return read_fields(r, [&](uint32_t field, WireType type) {
    using namespace mapping_field;
    switch (field) {
      case kId:
        return read_scalar(r, type, m.id);
      case kMemoryStart:
        return read_scalar(r, type, m.memory_start);
      case kMemoryLimit:
        return read_scalar(r, type, m.memory_limit);
      case kFileOffset:
        return read_scalar(r, type, m.file_offset);
      case kFilename:
        return read_scalar(r, type, m.filename);
      case kBuildId:
        return read_scalar(r, type, m.build_id);
      case kHasFunctions:
        return read_scalar(r, type, m.has_functions);
      case kHasFilenames:
        return read_scalar(r, type, m.has_filenames);
      case kHasLineNumbers:
        return read_scalar(r, type, m.has_line_numbers);
      case kHasInlineFrames:
        return read_scalar(r, type, m.has_inline_frames);
      default:
        return r.skip(type);
    }
  });
}

bool get(ProtoReader& r, Line& l) {
  return read_fields(r, [&](uint32_t field, WireType type) {
    if (field == line_field::kFunctionId) return read_scalar(r, type, l.function_id);
    if (field == line_field::kLine) return read_scalar(r, type, l.line);
    return r.skip(type);
  });
}

bool get(ProtoReader& r, Location& l, std::string& error) {
  return read_fields(r, [&](uint32_t field, WireType type) {
    switch (field) {
      case location_field::kId:
        return read_scalar(r, type, l.id);
      case location_field::kMappingId:
        return read_scalar(r, type, l.mapping_id);
      case location_field::kAddress:
        return read_scalar(r, type, l.address);
      case location_field::kLine:
        return read_nested(r, type, error,
                           [&](ProtoReader& n) { return get(n, l.lines.emplace_back()); });
      case location_field::kIsFolded:
        return read_scalar(r, type, l.is_folded);
      default:
        return r.skip(type);
    }
  });
}

bool get(ProtoReader& r, Function& f) {
  return read_fields(r, [&](uint32_t field, WireType type) {
    using namespace function_field;
    switch (field) {
      case kId:
        return read_scalar(r, type, f.id);
      case kName:
        return read_scalar(r, type, f.name);
      case kSystemName:
        return read_scalar(r, type, f.system_name);
      case kFilename:
        return read_scalar(r, type, f.filename);
      case kStartLine:
        return read_scalar(r, type, f.start_line);
      default:
        return r.skip(type);
    }
  });
}

}  // namespace

std::string encode(const Profile& p) {
  using namespace profile_field;
  ProtoWriter out;
  Writers scratch;
  const auto message = [&](uint32_t field, const auto& put_fields) {
    scratch.inner.clear();
    put_fields(scratch.inner);
    out.add_bytes(field, scratch.inner.bytes());
  };
  for (const ValueType& v : p.sample_types)
    message(kSampleType, [&](ProtoWriter& w) { put(w, v); });
  for (const Sample& s : p.samples) message(kSample, [&](ProtoWriter& w) { put(w, s, scratch); });
  for (const Mapping& m : p.mappings) message(kMapping, [&](ProtoWriter& w) { put(w, m); });
  for (const Location& l : p.locations)
    message(kLocation, [&](ProtoWriter& w) { put(w, l, scratch); });
  for (const Function& f : p.functions) message(kFunction, [&](ProtoWriter& w) { put(w, f); });
  // Every string, the empty first one included: indexes are positions.
  for (const std::string& s : p.strings) out.add_bytes(kStringTable, s);
  out.add_nonzero(kDropFrames, static_cast<uint64_t>(p.drop_frames));
  out.add_nonzero(kKeepFrames, static_cast<uint64_t>(p.keep_frames));
  out.add_nonzero(kTimeNanos, static_cast<uint64_t>(p.time_nanos));
  out.add_nonzero(kDurationNanos, static_cast<uint64_t>(p.duration_nanos));
  if (p.period_type.type || p.period_type.unit)
    message(kPeriodType, [&](ProtoWriter& w) { put(w, p.period_type); });
  out.add_nonzero(kPeriod, static_cast<uint64_t>(p.period));
  out.add_packed(kComment, p.comments);
  out.add_nonzero(kDefaultSampleType, static_cast<uint64_t>(p.default_sample_type));
  return out.bytes();
}

void encode_sample(const Sample& sample, std::string& out) {
  ProtoWriter field, message;
  Writers scratch;
  put(message, sample, scratch);
  field.add_bytes(profile_field::kSample, message.bytes());
  out += field.bytes();
}

bool decode(std::string_view bytes, Profile& p, std::string& error) {
  using namespace profile_field;
  p = Profile{};
  p.strings.clear();
  ProtoReader r(bytes);
  std::string nested_error;
  const bool ok = read_fields(r, [&](uint32_t field, WireType type) {
    switch (field) {
      case kSampleType:
        return read_nested(r, type, nested_error,
                           [&](ProtoReader& n) { return get(n, p.sample_types.emplace_back()); });
      case kSample:
        return read_nested(r, type, nested_error, [&](ProtoReader& n) {
          return get(n, p.samples.emplace_back(), nested_error);
        });
      case kMapping:
        return read_nested(r, type, nested_error,
                           [&](ProtoReader& n) { return get(n, p.mappings.emplace_back()); });
      case kLocation:
        return read_nested(r, type, nested_error, [&](ProtoReader& n) {
          return get(n, p.locations.emplace_back(), nested_error);
        });
      case kFunction:
        return read_nested(r, type, nested_error,
                           [&](ProtoReader& n) { return get(n, p.functions.emplace_back()); });
      case kStringTable: {
        if (type != WireType::kLengthDelimited) return r.skip(type);
        std::string_view text;
        if (!r.read_bytes(text)) return false;
        p.strings.emplace_back(text);
        return true;
      }
      case kDropFrames:
        return read_scalar(r, type, p.drop_frames);
      case kKeepFrames:
        return read_scalar(r, type, p.keep_frames);
      case kTimeNanos:
        return read_scalar(r, type, p.time_nanos);
      case kDurationNanos:
        return read_scalar(r, type, p.duration_nanos);
      case kPeriodType:
        return read_nested(r, type, nested_error,
                           [&](ProtoReader& n) { return get(n, p.period_type); });
      case kPeriod:
        return read_scalar(r, type, p.period);
      case kComment:
        return r.read_repeated(type, p.comments);
      case kDefaultSampleType:
        return read_scalar(r, type, p.default_sample_type);
      default:
        return r.skip(type);
    }
  });
  if (!ok) {
    error = !nested_error.empty() ? nested_error : r.error();
    return false;
  }
  if (p.strings.empty() || !p.strings[0].empty()) {
    error = "the string table does not start with the empty string";
    return false;
  }
  return true;
}

}  // namespace kiln::pprof
