// kiln's pprof module: the `profile.proto` messages that `go tool pprof`, Grafana Pyroscope,
// Parca and Perforator read and write, encoded and decoded with kiln's own protobuf wire codec
// (no generated code; every read bounds-checked, bad input is an error, never a crash), and
// gzip through zlib. It uses no other kiln module; formats/ and record/ use it.
//
// The model mirrors the format: strings are indexes into `strings` (index 0 is ""), objects
// refer to each other by id (non-zero). A location's lines are innermost first: every line but
// the last was inlined into the one after it. A sample's locations are leaf first.
//
//   pprof::Profile profile;
//   std::string error;
//   if (!pprof::read_file("cpu.pb.gz", profile, error)) ...   // error names the file
//   if (std::string problem = pprof::check(profile); !problem.empty()) ...
//   std::string bytes = pprof::gzip(pprof::encode(profile));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kiln::pprof {

struct ValueType {
  int64_t type = 0;  // string index: "samples", "cpu", "off_cpu", ...
  int64_t unit = 0;  // string index: "count", "nanoseconds", ...
};

struct Label {
  int64_t key = 0;       // string index
  int64_t str = 0;       // string index; 0 for a numeric label
  int64_t num = 0;       // the number of a numeric label
  int64_t num_unit = 0;  // string index, optional
};

struct Sample {
  std::vector<uint64_t> location_ids;  // leaf first
  std::vector<int64_t> values;         // one per sample type
  std::vector<Label> labels;
};

struct Mapping {
  uint64_t id = 0;
  uint64_t memory_start = 0;
  uint64_t memory_limit = 0;
  uint64_t file_offset = 0;
  int64_t filename = 0;  // string index
  int64_t build_id = 0;  // string index
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
};

struct Line {
  uint64_t function_id = 0;
  int64_t line = 0;
};

struct Location {
  uint64_t id = 0;
  uint64_t mapping_id = 0;  // 0: none
  uint64_t address = 0;
  std::vector<Line> lines;  // innermost first
  bool is_folded = false;
};

struct Function {
  uint64_t id = 0;
  int64_t name = 0;         // string index: the demangled name
  int64_t system_name = 0;  // string index: the name as the binary has it (mangled)
  int64_t filename = 0;     // string index
  int64_t start_line = 0;
};

struct Profile {
  std::vector<ValueType> sample_types;
  std::vector<Sample> samples;
  std::vector<Mapping> mappings;
  std::vector<Location> locations;
  std::vector<Function> functions;
  std::vector<std::string> strings{""};
  int64_t drop_frames = 0;  // string index
  int64_t keep_frames = 0;  // string index
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  ValueType period_type;
  int64_t period = 0;
  std::vector<int64_t> comments;    // string indexes
  int64_t default_sample_type = 0;  // string index: the type shown by default
};

// The wire format of a Profile (uncompressed).
std::string encode(const Profile& profile);
// Appends `sample` to `out` in the wire format of a Profile's sample field. Samples encoded as
// they come, appended to encode() of the rest of their profile, are that profile with them
// (the repeated fields of concatenated messages add up), in a fraction of the memory of Samples.
void encode_sample(const Sample& sample, std::string& out);
// Parses profile.proto bytes into `profile` (replacing its contents). False on malformed
// input: `error` says what is wrong and at which byte. Fields unknown to kiln are skipped.
bool decode(std::string_view bytes, Profile& profile, std::string& error);
// What makes a decoded profile unusable (a string index out of range, a duplicate or zero id,
// a reference to a missing mapping, location or function, a sample with the wrong number of
// values); empty when it is sound.
std::string check(const Profile& profile);

// gzip (RFC 1952) through zlib.
bool is_gzip(std::string_view bytes);
std::string gzip(std::string_view bytes);
// Decompresses every member of a gzip stream. False on a truncated or corrupt stream, or when
// the output would exceed `max_bytes`; `error` says which.
bool gunzip(std::string_view bytes, std::string& out, std::string& error,
            size_t max_bytes = size_t{1} << 32);

// Whether `head` (the start of a file) is a pprof profile: gzip data, or a profile.proto
// message (a Profile field first, binary bytes that no text profile holds).
bool looks_like_profile(std::string_view head);

// Reads a pprof file, gzip-compressed or not, already in memory (`source` names it in errors).
bool parse(std::string_view bytes, std::string_view source, Profile& profile, std::string& error);

// Interns strings for a Profile being built: the same text always gets the same index.
class StringTable {
 public:
  explicit StringTable(std::vector<std::string>& strings);
  int64_t operator()(std::string_view text);

 private:
  std::vector<std::string>& strings_;
  std::unordered_map<std::string, int64_t> index_;
};

}  // namespace kiln::pprof
