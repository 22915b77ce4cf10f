// profile: kiln's in-memory profile, the model every stage after recording works on: stacks of
// interned frames (root first; a name, a kind and where known a location), named value columns
// of exact decimal numbers per stack (the weight every stage draws and compares, in
// metadata.count_name; besides it any number of named columns with their units, such as the
// BEFORE column of differential folded input or the blocks of an off-CPU recording), plus what
// was measured. It uses nothing else of kiln; every later stage (formats, flamegraph, diff,
// record, cli) uses it.
//
// A profiler builds a Profile directly:
//   Profile p;
//   p.metadata.measured = "cpu"; p.metadata.count_name = "samples"; p.metadata.frequency_hz = 99;
//   p.add_stack({"app", "main", "parse", "memcpy_[k]"}, Weight::from_integer(42));
//   FrameId f = p.intern(Frame{.name = "memcpy", .kind = FrameKind::kKernel});  // the same frame
//   const size_t blocks = p.add_column("blocks", "count");
//   p.set_value(blocks, p.stack_count() - 1, Weight::from_integer(3));  // that stack's blocks
// and formats/formats.h reads and writes it as folded text, perf script text or pprof.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "profile/frame.h"
#include "profile/weight.h"

namespace kiln::profile {

// ---------------------------------------------------------------------------------------------
// Profile: stacks (frames root first, names interned) with weights and named value columns,
// plus what was measured.

using FrameId = uint32_t;                         // index of an interned frame in its Profile
inline constexpr FrameId kNoFrame = 0xffffffffu;  // no frame (the root of a tree)

struct ProfileMetadata {
  std::string measured;                // what was measured: "cpu", "off-cpu", "wall", ...
  std::string count_name = "samples";  // unit of the weights: "samples", "us", "ns", ...
  double frequency_hz = 0;             // sampling frequency; 0 = unknown
  double duration_s = 0;               // recording duration; 0 = unknown
  uint64_t lost_samples = 0;           // samples dropped by the recorder
  // Other `# key: value` header lines of a folded file, in input order.
  std::vector<std::pair<std::string, std::string>> extra;
};

// A named value column beside the weights: one more number per stack. A stack given no value
// in a column has zero there.
struct Column {
  std::string name;  // "before", "blocks", "alloc_space"
  std::string unit;  // "samples", "us", "count", "bytes", ...
};
// The column of the first count of two-column (differential) folded input ("stack BEFORE
// AFTER"; the weight is AFTER), in the weights' unit.
inline constexpr std::string_view kBeforeColumn = "before";

class Profile {
 public:
  Profile();
  ~Profile();
  Profile(Profile&&) noexcept;
  Profile& operator=(Profile&&) noexcept;
  Profile(const Profile&) = delete;  // names are interned in an arena; use append() to copy
  Profile& operator=(const Profile&) = delete;

  // A frame is identified by its name as folded text writes it (name and annotation, which is
  // what graphs merge and diffs compare): the same text always gets the same id. Any bytes are
  // allowed.
  //
  // Interns a frame given as folded text: folded_frame() says its kind.
  FrameId intern(std::string_view folded_name);
  // Interns a structured frame. Its location (module, file, line, address) is kept if the frame
  // is new: a frame keeps the location of its first occurrence, later ones are not looked at.
  FrameId intern(const Frame& frame);
  // Interns several folded names, appending their ids to `ids`; faster than one by one (the hash
  // table lookups overlap).
  void intern_all(std::span<const std::string_view> names, std::vector<FrameId>& ids);
  // nullopt if the folded name was never interned.
  std::optional<FrameId> find(std::string_view folded_name) const;
  // The frame as folded text writes it: "vfs_read_[k]".
  std::string_view name(FrameId id) const { return names_[id]; }
  FrameKind kind(FrameId id) const { return kinds_[id]; }
  // The name without annotation ("vfs_read"): what labels show.
  std::string_view label(FrameId id) const {
    return names_[id].substr(0, names_[id].size() - annotation(kinds_[id]).size());
  }
  // Name without annotation, kind and location.
  Frame frame(FrameId id) const;
  size_t name_count() const { return names_.size(); }
  // Per FrameId, the position of its name among all names in byte order.
  std::vector<uint32_t> name_ranks() const;

  // Appends one stack (root first). Stacks are kept in the order added, duplicates included
  // (the flame chart needs that order); merged() and FrameTree merge them.
  void add_stack(std::span<const FrameId> root_first, Weight weight);
  void add_stack(std::span<const std::string_view> root_first, Weight weight);
  void add_stack(std::span<const std::string> root_first, Weight weight);
  void add_stack(std::initializer_list<std::string_view> root_first, Weight weight);

  // Room for this many more stacks and frames (avoids regrowing the arrays of a large input).
  void reserve(size_t stacks, size_t frames);

  // Memory a large profile can give back once it has been read and drawn from (a flame graph
  // of a 100k-stack file keeps only the names once its tree is built):
  // - the hash index of names, which only interning and find() use (they rebuild it);
  // - the stacks with their weights and column values (names, kinds and metadata stay, so views
  //   of names stay valid; the profile is then empty).
  void drop_name_index();
  void clear_stacks();

  size_t stack_count() const { return weights_.size(); }
  std::span<const FrameId> frames(size_t stack) const {
    return {frames_.data() + offsets_[stack], frames_.data() + offsets_[stack + 1]};
  }
  // The primary column: what graphs draw and diffs compare, in metadata.count_name.
  Weight weight(size_t stack) const { return weights_[stack]; }
  Weight total() const { return total_; }
  bool empty() const { return weights_.empty(); }

  // Named value columns besides the weights; a Profile has none until one is added, and costs
  // nothing for columns it does not have. The index of the column named `name`, added with
  // `unit` if there is none yet (an existing column keeps its unit).
  size_t add_column(std::string_view name, std::string_view unit);
  std::optional<size_t> find_column(std::string_view name) const;
  size_t column_count() const { return columns_.size(); }
  const Column& column(size_t column) const { return columns_[column].column; }
  Weight value(size_t column, size_t stack) const {
    const std::vector<Weight>& values = columns_[column].values;
    return stack < values.size() ? values[stack] : Weight{};
  }
  void set_value(size_t column, size_t stack, Weight value);

  // Appends every stack of `other` (frames re-interned) with its values in every column (added
  // by name); fills metadata fields that are unset.
  void append(const Profile& other);
  // A copy with identical stacks merged (weights and the values of every column added) and
  // stacks sorted by frame names (byte order, root first): deterministic whatever the input
  // order.
  Profile merged() const;

  ProfileMetadata metadata;

 private:
  struct NameTable;
  struct Location {
    std::string_view module, file;
    uint32_t line = 0;
    uint64_t address = 0;
  };
  FrameId intern_hashed(std::string_view name, uint64_t hash, const Frame* structured);
  FrameId copy_frame(const Profile& from, FrameId id);  // interns from's frame, location kept
  void end_stack(Weight weight);
  std::unique_ptr<NameTable> table_;
  std::vector<std::string_view> names_;  // per FrameId, as folded text writes it
  std::vector<FrameKind> kinds_;         // per FrameId
  // Per FrameId up to the last frame interned with a location (none from folded text).
  std::vector<Location> locations_;
  std::string scratch_;  // intern(Frame)'s folded name
  std::vector<FrameId> frames_;
  std::vector<uint64_t> offsets_{0};
  std::vector<Weight> weights_;
  Weight total_;
  struct ValueColumn {
    Column column;
    std::vector<Weight> values;  // per stack up to the last one given a value
  };
  std::vector<ValueColumn> columns_;
};
// Frame names may hold any bytes; the writers that must emit valid text (the SVG's XML, the
// diff's JSON) check them with this. Length (2 to 4) of the valid UTF-8 sequence of a code
// point above U+007F at text[i], with the code point in *code_point (if not null); 0 when the
// bytes there are not one (an ASCII byte, a stray or truncated byte, an overlong form, a
// surrogate, or beyond U+10FFFF).
size_t utf8_sequence_length(std::string_view text, size_t i, uint32_t* code_point = nullptr);

}  // namespace kiln::profile
