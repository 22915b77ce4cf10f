// PprofReader: a pprof profile (any producer's) -> folded stacks of one sample type. Each
// location becomes its inline chain, outermost first; kernel and JIT frames get their
// annotations; a location without a name is named after its mapping as kiln names addresses
// without symbols.
#include <algorithm>
#include <charconv>
#include <optional>
#include <ostream>
#include <unordered_map>
#include <vector>

#include "formats/formats.h"
#include "formats/text_input.h"
#include "pprof/pprof.h"

namespace kiln::formats {

namespace {

// A pprof file is read whole: profiles are compact, and 1 GiB is far beyond any real one.
constexpr size_t kMaxFileBytes = size_t{1} << 30;

std::string_view basename(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The kernel's mapping as perf, perf_data_converter and kiln name it.
bool is_kernel_mapping(std::string_view file) {
  return file.starts_with("[kernel") || basename(file).starts_with("vmlinux");
}

// JIT code: perf maps (/tmp/perf-PID.map), jitdump's jitted-*.so, kiln's "[jit]".
bool is_jit_mapping(std::string_view file) {
  const std::string_view name = basename(file);
  return file == "[jit]" || (name.starts_with("perf-") && name.ends_with(".map")) ||
         name.starts_with("jitted-");
}

// Folded text separates frames with ';' and stacks with newlines.
std::string folded_safe(std::string_view name) {
  std::string text(name);
  for (char& c : text) {
    if (c == ';') c = ':';
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

// The folded unit of a pprof unit, and what was measured, for the profile's metadata.
std::string count_name_of(std::string_view unit) {
  if (unit == "count" || unit.empty()) return "samples";
  if (unit == "nanoseconds") return "ns";
  if (unit == "microseconds") return "us";
  if (unit == "milliseconds") return "ms";
  if (unit == "seconds") return "s";
  return std::string(unit);
}
std::string measured_of(std::string_view type) {
  if (type == "cpu") return "cpu";
  if (type == "off_cpu") return "off-cpu";
  return {};
}

}  // namespace

class PprofReader::Converter {
 public:
  Converter(const pprof::Profile& p, Profile& into) : p_(p), into_(into) {
    for (size_t i = 0; i < p.mappings.size(); ++i) mapping_index_[p.mappings[i].id] = i;
    for (size_t i = 0; i < p.functions.size(); ++i) function_index_[p.functions[i].id] = i;
    for (size_t i = 0; i < p.locations.size(); ++i) location_index_[p.locations[i].id] = i;
    frames_.resize(p.locations.size());
    named_.resize(p.locations.size());
  }

  // Adds every sample with a positive value of sample type `primary` as a stack weighing that
  // value, with its positive values of the other types in the Profile columns `columns` names
  // (one per sample type; none for the primary one). Returns how many samples had a negative
  // value of `primary`.
  uint64_t add_samples(size_t primary, const std::vector<std::optional<size_t>>& columns) {
    uint64_t skipped = 0;
    std::vector<FrameId> stack;
    for (const pprof::Sample& sample : p_.samples) {
      const int64_t value = sample.values[primary];
      if (value <= 0) {
        skipped += value < 0;
        continue;
      }
      stack.clear();
      if (std::optional<FrameId> root = thread_root(sample)) stack.push_back(*root);
      for (size_t i = sample.location_ids.size(); i-- > 0;) {
        const std::vector<FrameId>& frames = location_frames(sample.location_ids[i]);
        stack.insert(stack.end(), frames.begin(), frames.end());
      }
      into_.add_stack(stack, Weight::from_integer(static_cast<uint64_t>(value)));
      for (size_t type = 0; type < columns.size(); ++type)
        if (columns[type] && sample.values[type] > 0)
          into_.set_value(*columns[type], into_.stack_count() - 1,
                          Weight::from_integer(static_cast<uint64_t>(sample.values[type])));
    }
    return skipped;
  }

 private:
  std::string_view str(int64_t index) const { return p_.strings[static_cast<size_t>(index)]; }

  // Frames of a location, outermost first, interned once.
  const std::vector<FrameId>& location_frames(uint64_t id) {
    const size_t index = location_index_.at(id);  // ids were checked by pprof::check
    if (named_[index]) return frames_[index];
    named_[index] = true;
    const pprof::Location& location = p_.locations[index];
    std::string_view file;
    if (auto m = mapping_index_.find(location.mapping_id); m != mapping_index_.end())
      file = str(p_.mappings[m->second].filename);
    const bool kernel = is_kernel_mapping(file);
    const bool jit = !kernel && is_jit_mapping(file);
    std::vector<FrameId>& frames = frames_[index];
    for (size_t i = location.lines.size(); i-- > 0;) {
      const pprof::Function& f = p_.functions[function_index_.at(location.lines[i].function_id)];
      const std::string name = folded_safe(str(f.name).empty() ? str(f.system_name) : str(f.name));
      // A name with an annotation was written so by kiln (where the structure could not say
      // it: `_[w]`, an `_[i]` frame with nothing to be inlined into): read as folded text.
      Frame frame = folded_frame(name);
      if (frame.name.size() == name.size()) {
        // Every line but the last was inlined into the next one.
        frame.kind = kernel                          ? FrameKind::kKernel
                     : jit                           ? FrameKind::kJit
                     : i + 1 < location.lines.size() ? FrameKind::kInlined
                                                     : frame.kind;
      }
      frame.module = file;
      frame.file = str(f.filename);
      frame.line = static_cast<uint32_t>(std::max<int64_t>(location.lines[i].line, 0));
      frame.address = location.address;
      frames.push_back(into_.intern(frame));
    }
    if (frames.empty()) {
      const std::string name = unnamed(file, kernel);
      frames.push_back(into_.intern(Frame{.name = name,
                                          .kind = kernel ? FrameKind::kKernel
                                                  : jit  ? FrameKind::kJit
                                                         : FrameKind::kUnknown,
                                          .module = file,
                                          .address = location.address}));
    }
    return frames;
  }

  // An address without a name: "[module]" as kiln names one, "[unknown]" without a mapping.
  static std::string unnamed(std::string_view file, bool kernel) {
    if (kernel) return "[kernel]";
    std::string_view name = basename(file);
    std::string text = name.empty() ? std::string("[unknown]")
                       : name.starts_with('[') && name.ends_with(']')
                           ? std::string(name)
                           : "[" + std::string(name) + "]";
    return folded_safe(text);
  }

  // The thread's name, as kiln record roots its stacks, when the producer labelled samples
  // with it (kiln: thread_name; perf_data_converter: thread_comm, comm).
  std::optional<FrameId> thread_root(const pprof::Sample& sample) {
    std::string_view best;
    int best_rank = 0;
    for (const pprof::Label& label : sample.labels) {
      const std::string_view key = str(label.key);
      const int rank = key == "thread_name" ? 3 : key == "thread_comm" ? 2 : key == "comm" ? 1 : 0;
      if (rank > best_rank && label.str != 0) {
        best = str(label.str);
        best_rank = rank;
      }
    }
    if (best_rank == 0) return std::nullopt;
    return into_.intern(folded_safe(best));
  }

  const pprof::Profile& p_;
  Profile& into_;
  std::unordered_map<uint64_t, size_t> mapping_index_, function_index_, location_index_;
  std::vector<std::vector<FrameId>> frames_;
  std::vector<bool> named_;
};

PprofReader::PprofReader(Profile& into, PprofReadOptions options, std::ostream* diagnostics)
    : profile_(into), options_(std::move(options)), diagnostics_(diagnostics) {}

bool PprofReader::read_file(const std::string& path) {
  TextInput input(path);
  return read_input(input);
}

bool PprofReader::read_input(TextInput& input) {
  std::string bytes;
  if (!input.read_all(bytes, kMaxFileBytes)) return fail(input.error());
  return read_bytes(bytes, input.source());
}

bool PprofReader::fail(std::string error) {
  error_ = std::move(error);
  if (diagnostics_) *diagnostics_ << error_ << '\n';
  return false;
}

bool PprofReader::read_bytes(std::string_view bytes, std::string_view source) {
  pprof::Profile p;
  std::string error;
  if (!pprof::parse(bytes, source, p, error)) return fail(error);
  if (p.sample_types.empty())
    return fail(std::string(source) + ": a pprof profile without sample types");
  const auto type_name = [&](const pprof::ValueType& v) {
    return p.strings[static_cast<size_t>(v.type)] + "/" + p.strings[static_cast<size_t>(v.unit)];
  };
  std::string all;
  for (const pprof::ValueType& v : p.sample_types) all += (all.empty() ? "" : ", ") + type_name(v);

  // The column: --sample-type (a type name, or type/unit), else the file's default, else the
  // last one, as `go tool pprof` chooses.
  size_t column = p.sample_types.size() - 1;
  std::string why = "the last one, as go tool pprof chooses";
  const std::string& wanted = options_.sample_type;
  if (!wanted.empty()) {
    size_t i = 0;
    while (i < p.sample_types.size() &&
           p.strings[static_cast<size_t>(p.sample_types[i].type)] != wanted &&
           type_name(p.sample_types[i]) != wanted)
      ++i;
    if (i == p.sample_types.size())
      return fail(std::string(source) + ": no sample type '" + wanted + "'; it has " + all);
    column = i;
    why = "--sample-type";
  } else if (p.default_sample_type != 0) {
    for (size_t i = 0; i < p.sample_types.size(); ++i)
      if (p.sample_types[i].type == p.default_sample_type) {
        column = i;
        why = "the file's default";
      }
  }
  const pprof::ValueType& chosen = p.sample_types[column];
  if (diagnostics_)
    *diagnostics_ << source << ": pprof profile, sample type " << type_name(chosen) << " (" << why
                  << (p.sample_types.size() > 1 ? "; it has " + all + ", --sample-type NAME chooses"
                                                : "")
                  << ")\n";
  sample_type_ = type_name(chosen);

  Profile read;
  // The other sample types become named columns with their pprof units (the first of a name);
  // one named "before" is left out: that column means a differential profile's first count.
  std::vector<std::optional<size_t>> columns(p.sample_types.size());
  for (size_t i = 0; i < p.sample_types.size(); ++i) {
    const std::string& type = p.strings[static_cast<size_t>(p.sample_types[i].type)];
    if (i != column && type != p.strings[static_cast<size_t>(chosen.type)] &&
        type != profile::kBeforeColumn && !read.find_column(type))
      columns[i] = read.add_column(type, p.strings[static_cast<size_t>(p.sample_types[i].unit)]);
  }
  const uint64_t negative = Converter(p, read).add_samples(column, columns);
  if (negative > 0 && diagnostics_)
    *diagnostics_ << source << ": " << negative
                  << " sample(s) with negative values (a pprof difference profile?) left out\n";
  ProfileMetadata& m = read.metadata;
  m.count_name = count_name_of(p.strings[static_cast<size_t>(chosen.unit)]);
  m.measured = measured_of(p.strings[static_cast<size_t>(chosen.type)]);
  if (p.period > 0 && p.strings[static_cast<size_t>(p.period_type.unit)] == "nanoseconds")
    m.frequency_hz = 1e9 / static_cast<double>(p.period);
  m.duration_s = static_cast<double>(p.duration_nanos) / 1e9;
  for (int64_t comment : p.comments) {
    const std::string& text = p.strings[static_cast<size_t>(comment)];
    if (text.starts_with("lost: "))
      std::from_chars(text.data() + 6, text.data() + text.size(), m.lost_samples);
    if (text.starts_with("measured: ")) m.measured = text.substr(10);  // kiln's own files
  }
  profile_.append(read);
  return true;
}

bool looks_like_pprof(std::string_view head) {
  return pprof::looks_like_profile(head);
}

}  // namespace kiln::formats
