// What makes a decoded profile usable: every string index and id reference resolves, ids are
// unique, every sample has one value per sample type. Also: telling a pprof file from text.
#include <unordered_set>

#include "pprof/pprof.h"

namespace kiln::pprof {

namespace {

class Checker {
 public:
  explicit Checker(const Profile& p) : p_(p) {}

  std::string run() {
    check_ids("mapping", p_.mappings, mapping_ids_);
    check_ids("location", p_.locations, location_ids_);
    check_ids("function", p_.functions, function_ids_);
    for (const ValueType& v : p_.sample_types) value_type(v, "sample type");
    value_type(p_.period_type, "period type");
    string(p_.drop_frames, "drop_frames");
    string(p_.keep_frames, "keep_frames");
    string(p_.default_sample_type, "default_sample_type");
    for (int64_t c : p_.comments) string(c, "a comment");
    for (const Mapping& m : p_.mappings) {
      string(m.filename, "mapping " + std::to_string(m.id) + "'s file name");
      string(m.build_id, "mapping " + std::to_string(m.id) + "'s build-id");
    }
    for (const Function& f : p_.functions) {
      const std::string what = "function " + std::to_string(f.id) + "'s ";
      string(f.name, what + "name");
      string(f.system_name, what + "system name");
      string(f.filename, what + "file name");
    }
    for (const Location& l : p_.locations) {
      if (l.mapping_id != 0 && !mapping_ids_.count(l.mapping_id))
        fail("location " + std::to_string(l.id) + " refers to mapping " +
             std::to_string(l.mapping_id) + ", which the profile does not have");
      for (const Line& line : l.lines)
        if (!function_ids_.count(line.function_id))
          fail("location " + std::to_string(l.id) + " refers to function " +
               std::to_string(line.function_id) + ", which the profile does not have");
    }
    for (size_t i = 0; i < p_.samples.size() && error_.empty(); ++i) {
      const Sample& s = p_.samples[i];
      if (s.values.size() != p_.sample_types.size())
        fail("sample " + std::to_string(i + 1) + " has " + std::to_string(s.values.size()) +
             " values for " + std::to_string(p_.sample_types.size()) + " sample types");
      for (uint64_t id : s.location_ids)
        if (!location_ids_.count(id))
          fail("sample " + std::to_string(i + 1) + " refers to location " + std::to_string(id) +
               ", which the profile does not have");
      for (const Label& label : s.labels) {
        string(label.key, "a label key");
        string(label.str, "a label value");
        string(label.num_unit, "a label unit");
      }
    }
    return error_;
  }

 private:
  void fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
  }
  void string(int64_t index, const std::string& what) {
    if (index < 0 || static_cast<uint64_t>(index) >= p_.strings.size())
      fail(what + " is string " + std::to_string(index) + " of a table of " +
           std::to_string(p_.strings.size()));
  }
  void value_type(const ValueType& v, const char* what) {
    string(v.type, what);
    string(v.unit, what);
  }
  template <typename Items>
  void check_ids(const char* what, const Items& items, std::unordered_set<uint64_t>& ids) {
    for (const auto& item : items) {
      if (item.id == 0) fail(std::string("a ") + what + " has id 0");
      if (!ids.insert(item.id).second)
        fail(std::string("two ") + what + "s have id " + std::to_string(item.id));
    }
  }
  const Profile& p_;
  std::unordered_set<uint64_t> mapping_ids_, location_ids_, function_ids_;
  std::string error_;
};

}  // namespace

std::string check(const Profile& profile) {
  return Checker(profile).run();
}

bool looks_like_profile(std::string_view head) {
  if (is_gzip(head)) return true;
  if (head.empty()) return false;
  // The first byte is the key of a Profile field: fields 1-6, 11 are messages or strings,
  // the others numbers (13 may be packed).
  const auto key = static_cast<uint8_t>(head[0]);
  const unsigned field = key >> 3, wire = key & 7;
  const bool profile_key = field >= 1 && field <= 14 &&
                           (wire == 2 ? (field <= 6 || field == 11 || field == 13) : wire == 0);
  if (!profile_key) return false;
  // Text profiles have no bytes below 0x09; every protobuf message of more than a few fields
  // has some (lengths, small ids).
  for (char c : head.substr(0, 4096))
    if (static_cast<uint8_t>(c) < 0x09) return true;
  return false;
}

bool parse(std::string_view bytes, std::string_view source, Profile& profile, std::string& error) {
  std::string inflated;
  if (is_gzip(bytes)) {
    if (!gunzip(bytes, inflated, error)) {
      error = std::string(source) + ": " + error;
      return false;
    }
    bytes = inflated;
  }
  if (!decode(bytes, profile, error)) {
    // A gzip'd text profile (folded stacks, perf script) is a likely mistake: say so.
    if (!inflated.empty() && !looks_like_profile(inflated)) {
      error = std::string(source) + ": gzip-compressed data that is not a pprof profile (" + error +
              "); for compressed text, decompress it first: zcat " + std::string(source) +
              " | kiln render -";
    } else {
      error = std::string(source) + ": not a valid pprof profile: " + error;
    }
    return false;
  }
  if (std::string problem = check(profile); !problem.empty()) {
    error = std::string(source) + ": not a valid pprof profile: " + problem;
    return false;
  }
  return true;
}

StringTable::StringTable(std::vector<std::string>& strings) : strings_(strings) {
  for (size_t i = 0; i < strings_.size(); ++i)
    index_.try_emplace(strings_[i], static_cast<int64_t>(i));
}

int64_t StringTable::operator()(std::string_view text) {
  auto [it, inserted] = index_.try_emplace(std::string(text), strings_.size());
  if (inserted) strings_.emplace_back(text);
  return it->second;
}

}  // namespace kiln::pprof
