// write_pprof: folded stacks -> gzip-compressed pprof. The annotations of folded frames become
// structure (inline chains, kernel and JIT mappings), so that PprofReader gives the same
// stacks back; an annotation that has no place in the structure stays in the name.
#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <unordered_map>

#include "formats/formats.h"
#include "pprof/pprof.h"

namespace kiln::formats {

namespace {

std::string unit_of(std::string_view count_name) {
  if (count_name == "samples" || count_name.empty()) return "count";
  if (count_name == "ns") return "nanoseconds";
  if (count_name == "us") return "microseconds";
  if (count_name == "ms") return "milliseconds";
  if (count_name == "s") return "seconds";
  return std::string(count_name);
}

class PprofBuilder {
 public:
  explicit PprofBuilder(const Profile& folded) : folded_(folded), strings_(p_.strings) {}

  pprof::Profile build(std::string* warning) {
    const ProfileMetadata& m = folded_.metadata;
    const std::string unit = unit_of(m.count_name);
    const bool samples = unit == "count";
    const std::string type = samples                   ? "samples"
                             : m.measured.empty()      ? std::string("value")
                             : m.measured == "off-cpu" ? std::string("off_cpu")
                                                       : m.measured;
    p_.sample_types.push_back({strings_(type), strings_(unit)});
    // CPU time per sample is known from the frequency: go tool pprof and Pyroscope show it.
    int64_t nanos_per_sample = 0;
    if (samples && m.frequency_hz > 0) {
      nanos_per_sample = std::llround(1e9 / m.frequency_hz);
      p_.sample_types.push_back({strings_("cpu"), strings_("nanoseconds")});
      p_.period_type = {strings_("cpu"), strings_("nanoseconds")};
      p_.period = nanos_per_sample;
    }
    p_.default_sample_type = p_.sample_types[0].type;
    p_.duration_nanos = std::llround(m.duration_s * 1e9);
    if (m.lost_samples > 0)
      p_.comments.push_back(strings_("lost: " + std::to_string(m.lost_samples) + " samples"));
    if (!m.measured.empty()) p_.comments.push_back(strings_("measured: " + m.measured));

    const Profile merged = folded_.merged();
    // The named columns (a pprof file's other sample types, a differential profile's BEFORE)
    // follow as sample types of their own, but for a name already written (`cpu`).
    std::vector<size_t> columns;
    for (size_t c = 0; c < merged.column_count(); ++c) {
      const profile::Column& column = merged.column(c);
      const int64_t name = strings_(column.name);
      if (std::ranges::any_of(p_.sample_types, [&](const auto& t) { return t.type == name; }))
        continue;
      columns.push_back(c);
      p_.sample_types.push_back({name, strings_(unit_of(column.unit))});
    }
    uint64_t rounded = 0, clamped = 0;
    // pprof values are 64-bit integers: a weight is rounded to the nearest, and clamped.
    auto value_of = [&](Weight w) {
      if (!w.is_integer()) ++rounded;
      const Weight::Units whole = (w.units() + Weight::kUnitsPerOne / 2) / Weight::kUnitsPerOne;
      constexpr auto kMax = static_cast<Weight::Units>(std::numeric_limits<int64_t>::max());
      if (whole > kMax) ++clamped;
      return static_cast<int64_t>(std::min(whole, kMax));
    };
    for (size_t s = 0; s < merged.stack_count(); ++s) {
      pprof::Sample& sample = p_.samples.emplace_back();
      add_locations(merged, merged.frames(s), sample.location_ids);
      const int64_t value = value_of(merged.weight(s));
      sample.values.push_back(value);
      if (nanos_per_sample > 0) sample.values.push_back(value * nanos_per_sample);
      for (size_t c : columns) sample.values.push_back(value_of(merged.value(c, s)));
    }
    if (warning && (rounded || clamped)) {
      *warning = std::to_string(rounded + clamped) +
                 " value(s) are not whole numbers up to 2^63 and were rounded: pprof values "
                 "are 64-bit integers";
    }
    return std::move(p_);
  }

 private:
  enum Kind : uint8_t { kUser, kKernel, kJit };

  // Locations leaf first. A plain frame and the `_[i]` frames after it (inlined into it, as
  // kiln record writes them) make one location.
  void add_locations(const Profile& folded, std::span<const FrameId> frames,
                     std::vector<uint64_t>& leaf_first) {
    for (size_t i = 0; i < frames.size();) {
      const FrameKind k = folded.kind(frames[i]);
      const Kind kind = k == FrameKind::kKernel ? kKernel : k == FrameKind::kJit ? kJit : kUser;
      const bool plain = k == FrameKind::kUser || k == FrameKind::kUnknown;
      chain_.clear();
      // A frame's annotation is kept in its name where the structure cannot say it (an `_[i]`
      // frame with no frame to be inlined into, the wakeup mark `_[w]`).
      const bool structural = kind != kUser || plain;
      chain_.push_back(function(structural ? folded.label(frames[i]) : folded.name(frames[i])));
      size_t next = i + 1;
      if (plain) {
        while (next < frames.size() && folded.kind(frames[next]) == FrameKind::kInlined) {
          chain_.push_back(function(folded.label(frames[next])));
          ++next;
        }
      }
      leaf_first.push_back(location(kind));
      i = next;
    }
    std::reverse(leaf_first.begin(), leaf_first.end());
  }

  uint64_t function(std::string_view name) {
    const int64_t index = strings_(name);
    auto [it, inserted] = functions_.try_emplace(index, p_.functions.size() + 1);
    if (inserted) {
      pprof::Function& f = p_.functions.emplace_back();
      f.id = it->second;
      f.name = f.system_name = index;
    }
    return it->second;
  }

  // The location of chain_ (functions outermost first) in a mapping of `kind`.
  uint64_t location(Kind kind) {
    key_.assign(1, static_cast<char>(kind));
    for (uint64_t id : chain_) key_.append(reinterpret_cast<const char*>(&id), sizeof id);
    auto [it, inserted] = locations_.try_emplace(key_, p_.locations.size() + 1);
    if (inserted) {
      pprof::Location& l = p_.locations.emplace_back();
      l.id = it->second;
      l.mapping_id = kind == kUser ? 0 : mapping(kind);
      for (size_t i = chain_.size(); i-- > 0;) l.lines.push_back({chain_[i], 0});
    }
    return it->second;
  }

  uint64_t mapping(Kind kind) {
    uint64_t& id = kind == kKernel ? kernel_mapping_ : jit_mapping_;
    if (id == 0) {
      pprof::Mapping& m = p_.mappings.emplace_back();
      m.id = id = p_.mappings.size();
      m.filename = strings_(kind == kKernel ? "[kernel.kallsyms]" : "[jit]");
      // Named already: go tool pprof must not look for these files to symbolize them.
      m.has_functions = true;
    }
    return id;
  }

  const Profile& folded_;
  pprof::Profile p_;
  pprof::StringTable strings_;
  std::unordered_map<int64_t, uint64_t> functions_;  // name string -> function id
  std::unordered_map<std::string, uint64_t> locations_;
  std::vector<uint64_t> chain_;
  std::string key_;
  uint64_t kernel_mapping_ = 0, jit_mapping_ = 0;
};

}  // namespace

bool is_pprof_path(std::string_view path) {
  return path.ends_with(".pb.gz") || path.ends_with(".pb") || path.ends_with(".pprof");
}

void write_pprof(const Profile& profile, std::ostream& out, std::string* warning) {
  const std::string bytes = pprof::gzip(pprof::encode(PprofBuilder(profile).build(warning)));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace kiln::formats
