// kiln's flame graph module: the Profile model, folded stacks in and out, the frame tree,
// colors, and the interactive SVG writer (flame, icicle, flame chart; differential graphs are
// drawn by `kiln diff` through the FrameStyler hook of SvgOptions).
//
// Typical use:
//   Profile profile;
//   FoldedReader reader(profile);                 // diagnostics go to std::cerr
//   reader.read_file("perf.folded");              // may be called for several files (merged)
//   FrameTree tree = FrameTree::build(profile);   // merged, siblings sorted by name
//   std::ofstream out("perf.svg");
//   write_svg(tree, SvgOptions{}, out);
//
// A profiler builds a Profile directly:
//   Profile p;
//   p.metadata.measured = "cpu"; p.metadata.count_name = "samples"; p.metadata.frequency_hz = 99;
//   p.add_stack({"app", "main", "parse", "memcpy_[k]"}, Weight::from_integer(42));
//   FoldedWriter{}.write(p, std::cout);           // merged, sorted, deterministic
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::flamegraph {

// ---------------------------------------------------------------------------------------------
// Weight: an exact, non-negative decimal count (samples, microseconds, ...). Stored as an
// unsigned 128-bit number of 10^-9 units, so integer weights up to 2^63 and sums of millions of
// them neither overflow nor lose precision, and fractional weights ("31.23") add up exactly.
class Weight {
 public:
  using Units = unsigned __int128;
  static constexpr int kFractionDigits = 9;
  static constexpr uint64_t kUnitsPerOne = 1'000'000'000;

  constexpr Weight() = default;
  static constexpr Weight from_units(Units units) {
    Weight w;
    w.units_ = units;
    return w;
  }
  static constexpr Weight from_integer(uint64_t value) {
    return from_units(static_cast<Units>(value) * kUnitsPerOne);
  }
  // Parses "42", "31.23", "6." or ".5" (no sign, no exponent). Digits beyond the 9th fractional
  // one are truncated. nullopt if the text is not such a number or exceeds 10^27.
  static std::optional<Weight> parse(std::string_view text);

  constexpr Units units() const { return units_; }
  constexpr bool is_zero() const { return units_ == 0; }
  bool is_integer() const { return units_ % kUnitsPerOne == 0; }
  double to_double() const;
  // Shortest exact decimal: "42", "31.23".
  std::string to_string() const;

  constexpr Weight& operator+=(Weight other) {
    units_ += other.units_;
    return *this;
  }
  friend constexpr Weight operator+(Weight a, Weight b) { return a += b; }
  // Saturates at zero (weights are never negative).
  friend constexpr Weight operator-(Weight a, Weight b) {
    return from_units(a.units_ > b.units_ ? a.units_ - b.units_ : 0);
  }
  friend constexpr auto operator<=>(Weight a, Weight b) = default;

 private:
  Units units_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Profile: stacks (frames root first, names interned) with weights, plus what was measured.

using FrameId = uint32_t;  // index of an interned frame name in its Profile

struct ProfileMetadata {
  std::string measured;                // what was measured: "cpu", "off-cpu", "wall", ...
  std::string count_name = "samples";  // unit of the weights: "samples", "us", "ns", ...
  double frequency_hz = 0;             // sampling frequency; 0 = unknown
  double duration_s = 0;               // recording duration; 0 = unknown
  uint64_t lost_samples = 0;           // samples dropped by the recorder
  // Other `# key: value` header lines of a folded file, in input order.
  std::vector<std::pair<std::string, std::string>> extra;
};

class Profile {
 public:
  Profile();
  ~Profile();
  Profile(Profile&&) noexcept;
  Profile& operator=(Profile&&) noexcept;
  Profile(const Profile&) = delete;  // names are interned in an arena; use append() to copy
  Profile& operator=(const Profile&) = delete;

  // Interns a frame name (the same name always gets the same id). Any bytes are allowed.
  FrameId intern(std::string_view name);
  // Interns several names, appending their ids to `ids`; faster than one by one (the hash table
  // lookups overlap).
  void intern_all(std::span<const std::string_view> names, std::vector<FrameId>& ids);
  // nullopt if the name was never interned.
  std::optional<FrameId> find(std::string_view name) const;
  std::string_view name(FrameId id) const { return names_[id]; }
  size_t name_count() const { return names_.size(); }
  // Per FrameId, the position of its name among all names in byte order.
  std::vector<uint32_t> name_ranks() const;

  // Appends one stack (root first). Stacks are kept in the order added, duplicates included
  // (the flame chart needs that order); merged() and FrameTree merge them.
  void add_stack(std::span<const FrameId> root_first, Weight weight);
  void add_stack(std::span<const std::string_view> root_first, Weight weight);
  void add_stack(std::span<const std::string> root_first, Weight weight);
  void add_stack(std::initializer_list<std::string_view> root_first, Weight weight);
  // For two-column (differential) folded input: `weight` is the second column, `before` the
  // first one. Profiles with any such stack report has_before().
  void add_stack(std::span<const FrameId> root_first, Weight before, Weight weight);

  // Room for this many more stacks and frames (avoids regrowing the arrays of a large input).
  void reserve(size_t stacks, size_t frames);

  size_t stack_count() const { return weights_.size(); }
  std::span<const FrameId> frames(size_t stack) const {
    return {frames_.data() + offsets_[stack], frames_.data() + offsets_[stack + 1]};
  }
  Weight weight(size_t stack) const { return weights_[stack]; }
  bool has_before() const { return !before_.empty(); }
  Weight before(size_t stack) const { return before_.empty() ? Weight{} : before_[stack]; }
  Weight total() const { return total_; }
  bool empty() const { return weights_.empty(); }

  // Appends every stack of `other` (names re-interned); fills metadata fields that are unset.
  void append(const Profile& other);
  // A copy with identical stacks merged (weights added) and stacks sorted by frame names
  // (byte order, root first): deterministic whatever the input order.
  Profile merged() const;

  ProfileMetadata metadata;

 private:
  struct NameTable;
  FrameId intern_hashed(std::string_view name, uint64_t hash);
  void end_stack(Weight weight);
  std::unique_ptr<NameTable> table_;
  std::vector<std::string_view> names_;
  std::vector<FrameId> frames_;
  std::vector<uint64_t> offsets_{0};
  std::vector<Weight> weights_;
  std::vector<Weight> before_;
  Weight total_;
};

// ---------------------------------------------------------------------------------------------
// Folded stacks: `frame;frame;frame COUNT` per line (see ARCHITECTURE.md).

class TextInput;  // a file or standard input read in blocks (text_input.h, internal)

// Reads folded text into a Profile. Accepts what flamegraph.pl and inferno accept: spaces and
// any punctuation but `;` in names, fractional counts, blank lines, CRLF, `#` comment lines
// (`# key: value` lines become metadata: measured, countname, frequency, duration, lost), input
// in any order, two-column differential lines, and several files read into one Profile.
// Every line it cannot read is reported as `FILE:LINE: reason` and counted. Never throws on
// bad input. Files are read in large blocks (not mapped, so a huge file does not count in RSS).
class FoldedReader {
 public:
  // Diagnostics go to `diagnostics` (nullptr: only counted).
  explicit FoldedReader(Profile& into, std::ostream* diagnostics);
  explicit FoldedReader(Profile& into);  // diagnostics to std::cerr

  // Reads a file ("-" = standard input). False if it cannot be opened or read; the reason is
  // reported like a bad line (`FILE: reason`) and kept in error().
  bool read_file(const std::string& path);
  bool read_input(TextInput& input);  // an input already opened (see StackFileReader)
  // Reads text held in memory; `source` names it in diagnostics.
  void read_text(std::string_view text, std::string_view source = "<input>");

  uint64_t bad_lines() const { return bad_lines_; }
  uint64_t stacks_read() const { return stacks_read_; }
  const std::string& error() const { return error_; }

 private:
  class LineParser;
  void report(std::string_view source, uint64_t line, std::string_view reason);
  Profile& profile_;
  std::ostream* diagnostics_;
  uint64_t bad_lines_ = 0;
  uint64_t stacks_read_ = 0;
  std::string error_;
};

// ---------------------------------------------------------------------------------------------
// `perf script` text: samples (an event line, then stack lines leaf first, then a blank line)
// folded into a Profile the way stackcollapse-perf.pl folds them (README, "perf script input").

struct PerfScriptOptions {
  enum class Root { kComm, kPid, kTid };  // root frame: comm, comm-PID or comm-PID/TID
  Root root = Root::kComm;
  bool annotate_kernel = false;  // kernel frames get `_[k]`
  bool annotate_jit = false;     // frames in perf maps and jitdump files get `_[j]`
  bool annotate_inline = false;  // perf's `(inlined)` frames get `_[i]` (`a->b` chains always)
  bool include_addrs = false;    // unsymbolized frames as `[module <address>]`
  bool sample_counts = false;    // weight 1 per sample instead of the sample's period
  // Every sample in input (time) order, for flame charts; otherwise identical stacks are
  // added up as they are read.
  bool keep_sample_order = false;
  // Keep samples of this event only ("cycles", "cpu-clock", with or without modifiers such
  // as ":u"); empty: the first event of the input.
  std::string event_filter;
};

// Reads `perf script` output into a Profile (metadata: the unit of the weights, `event`). Every
// line it cannot read is reported as `FILE:LINE: reason` and counted; an input cut in the middle of
// a line or holding binary data is an error (read_file returns false). Never throws on bad input.
class PerfScriptReader {
 public:
  PerfScriptReader(Profile& into, PerfScriptOptions options, std::ostream* diagnostics);
  ~PerfScriptReader();

  // Reads a file ("-" = standard input); several files go into one Profile.
  bool read_file(const std::string& path);
  bool read_input(TextInput& input);  // an input already opened (see StackFileReader)
  // Reads text held in memory; `source` names it in diagnostics.
  bool read_text(std::string_view text, std::string_view source = "<input>");

  uint64_t bad_lines() const { return bad_lines_; }
  uint64_t samples_read() const { return samples_read_; }
  // Samples of other events than the one kept.
  uint64_t samples_filtered() const { return samples_filtered_; }
  // The event kept ("" if no sample named one).
  const std::string& event() const;
  const std::string& error() const { return error_; }

 private:
  class Parser;
  void report(std::string_view source, uint64_t line, std::string_view reason);
  bool finish(std::string_view source, bool ended_with_newline, uint64_t samples_before,
              uint64_t bad_before);
  bool fail();              // reports error_; returns false
  void describe_weights();  // the unit of the weights and the event, in the metadata
  Profile& profile_;
  std::ostream* diagnostics_;
  std::unique_ptr<Parser> parser_;  // kept across files: caches and the event filter
  uint64_t bad_lines_ = 0;
  uint64_t samples_read_ = 0;
  uint64_t samples_filtered_ = 0;
  std::string error_;
};

// Whether `head` (the start of an input) is `perf script` output rather than folded stacks: its
// first line that is neither blank nor a `#` comment is a perf sample's event line.
bool looks_like_perf_script(std::string_view head);

// ---------------------------------------------------------------------------------------------
// pprof (profile.proto, gzip-compressed or not): read as folded stacks of one sample type, and
// written from folded stacks (README, section "pprof").

struct PprofReadOptions {
  // The value column: a sample type's name ("cpu") or type/unit ("cpu/nanoseconds"); empty:
  // the file's default_sample_type, else the last one (as `go tool pprof` chooses).
  std::string sample_type;
};

// Reads pprof profiles into a Profile: each location's inline chain outermost first (inlined
// frames `_[i]`), kernel frames (`[kernel.kallsyms]`, vmlinux mappings) `_[k]`, JIT frames
// (perf maps, jitted-*.so) `_[j]`, a location without function `[module]` or `[unknown]`; the
// thread name as root frame when samples carry a thread_name (thread_comm, comm) label. Says on
// `diagnostics` which sample type it took. Malformed files (truncated gzip, bad protobuf, ids
// that resolve to nothing) are an error naming the file; never throws or crashes on them.
class PprofReader {
 public:
  PprofReader(Profile& into, PprofReadOptions options, std::ostream* diagnostics);
  bool read_file(const std::string& path);  // "-" = standard input
  bool read_input(TextInput& input);        // an input already opened (see StackFileReader)
  bool read_bytes(std::string_view bytes, std::string_view source);
  const std::string& error() const { return error_; }
  // "cpu/nanoseconds": the sample type of the last file read.
  const std::string& sample_type() const { return sample_type_; }

 private:
  class Converter;
  bool fail(std::string error);
  Profile& profile_;
  PprofReadOptions options_;
  std::ostream* diagnostics_;
  std::string error_;
  std::string sample_type_;
};

// Whether `head` (the start of an input) is a pprof profile (gzip data or profile.proto).
bool looks_like_pprof(std::string_view head);
// Whether an output path asks for pprof: .pb.gz, .pb or .pprof.
bool is_pprof_path(std::string_view path);

// Writes folded stacks as a gzip-compressed pprof profile: one function per name, one location
// per distinct frame (a frame with the `_[i]` frames after it is one location whose lines are
// its inline chain), kernel frames in a `[kernel.kallsyms]` mapping, JIT frames in a `[jit]`
// one; sample type samples/count (plus cpu/nanoseconds when the frequency is known) for on-CPU
// profiles, off_cpu/<unit> for off-CPU ones; duration, frequency and losses kept. Weights
// that are not whole numbers are rounded (pprof values are integers): `warning` says so.
void write_pprof(const Profile& profile, std::ostream& out, std::string* warning);

// Reads files of folded stacks, `perf script` text or pprof profiles, telling them apart by
// content, into one Profile (what `kiln render` and `kiln diff` read). perf script text is
// folded with `perf`, pprof read with `pprof`.
class StackFileReader {
 public:
  StackFileReader(Profile& into, std::ostream* diagnostics, PerfScriptOptions perf,
                  PprofReadOptions pprof = {});
  bool read_file(const std::string& path);  // false: the reason is reported and in error()
  uint64_t bad_lines() const { return folded_.bad_lines() + perf_.bad_lines(); }
  const std::string& error() const { return error_; }

 private:
  FoldedReader folded_;
  PerfScriptReader perf_;
  PprofReader pprof_;
  std::string error_;
};

// Writes a Profile as folded text: metadata as `# key: value` lines first (unless disabled),
// then identical stacks merged and sorted, so the same profile always gives the same bytes.
struct FoldedWriter {
  bool write_metadata = true;
  void write(const Profile& profile, std::ostream& out) const;
};

// ---------------------------------------------------------------------------------------------
// FrameTree: the merged call tree a graph draws. Node 0 is the synthetic root ("all"); nodes are
// stored in preorder, so the subtree of `n` is the id range [n, subtree_end(n)), and children
// appear left to right in drawing order.

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = 0xffffffffu;
inline constexpr FrameId kNoFrame = 0xffffffffu;

enum class SiblingOrder { kName, kWeight };

struct TreeOptions {
  bool reverse = false;      // stacks reversed (leaf becomes root): the bottom-up view
  bool flame_chart = false;  // keep input (time) order: only adjacent identical frames merge
  SiblingOrder order = SiblingOrder::kName;  // ignored for flame charts
  // Frames lighter than this fraction of the total are left out of the tree (their weight stays
  // in their parent). Rendering passes min_drawn_fraction(svg options) so that a huge profile
  // never holds the nodes too narrow to draw; 0 keeps every frame.
  double min_fraction = 0;
};

class FrameTree {
 public:
  // The profile must outlive the tree (names are referenced, not copied).
  static FrameTree build(const Profile& profile, const TreeOptions& options = {});

  NodeId root() const { return 0; }
  size_t size() const { return nodes_.size(); }
  FrameId frame(NodeId n) const { return nodes_[n].frame; }   // kNoFrame for the root
  std::string_view name(NodeId n) const;                      // "all" for the root
  Weight weight(NodeId n) const { return nodes_[n].weight; }  // including descendants
  // Of the stacks that end at `n` (children left out by min_fraction are not self weight).
  Weight self_weight(NodeId n) const;
  // Weight and number of the children of `n` left out by min_fraction.
  Weight pruned_weight(NodeId n) const { return pruned_.empty() ? Weight{} : pruned_[n]; }
  uint32_t pruned_children(NodeId n) const { return pruned_count_.empty() ? 0 : pruned_count_[n]; }
  // Per FrameId, the weight of the frames of that name left out by min_fraction that have no
  // ancestor of the same name (so a name's weight counts nested calls once); empty when no
  // frame can be left out.
  std::span<const Weight> pruned_by_name() const { return pruned_by_name_; }
  NodeId parent(NodeId n) const { return nodes_[n].parent; }  // kNoNode for the root
  uint32_t depth(NodeId n) const { return nodes_[n].depth; }  // root 0
  NodeId subtree_end(NodeId n) const { return nodes_[n].end; }
  // Children left to right: for (NodeId c = first_child(n); c != kNoNode; c = next_sibling(c))
  NodeId first_child(NodeId n) const { return n + 1 < nodes_[n].end ? n + 1 : kNoNode; }
  NodeId next_sibling(NodeId n) const;
  NodeId find_child(NodeId parent, std::string_view name) const;  // kNoNode if absent
  // Names from the first frame below the root down to `n`.
  std::vector<std::string_view> path(NodeId n) const;
  uint32_t max_depth() const { return max_depth_; }
  const Profile& profile() const { return *profile_; }
  bool flame_chart() const { return flame_chart_; }

 private:
  struct Node {
    Weight weight;
    FrameId frame;
    NodeId parent;
    NodeId end;
    uint32_t depth;
  };
  void sort_by_weight();
  const Profile* profile_ = nullptr;
  std::vector<Node> nodes_;
  // Per node, the weight of its children left out by min_fraction; empty when none can be.
  std::vector<Weight> pruned_;
  std::vector<uint32_t> pruned_count_;
  std::vector<Weight> pruned_by_name_;
  uint32_t max_depth_ = 0;
  bool flame_chart_ = false;
};

// ---------------------------------------------------------------------------------------------
// Colors.

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(Rgb, Rgb) = default;
};
std::string to_css(Rgb color);  // "#rrggbb"

enum class Palette {
  kHot,
  kMem,
  kIo,
  kWakeup,
  kJava,
  kJs,
  kPerl,
  kRed,
  kGreen,
  kBlue,
  kAqua,
  kYellow,
  kPurple,
  kOrange,
};
std::optional<Palette> parse_palette(std::string_view name);  // "hot", "java", ...
std::string_view palette_name(Palette palette);
std::span<const std::string_view> palette_names();

// The frame annotations of folded stacks: `_[k]` kernel, `_[j]` JIT, `_[i]` inlined, `_[w]`
// wakeup. Labels hide the suffix; colors depend on it.
enum class Annotation { kNone, kKernel, kJit, kInlined, kWakeup };
Annotation annotation_of(std::string_view name);
std::string_view without_annotation(std::string_view name);

// The color of a frame: deterministic from the whole name (a hash of every byte) within the
// palette; annotated frames get the annotation's own hue in every palette.
Rgb frame_color(std::string_view name, Palette palette);

// A name -> color map kept in a file (`name->rgb(r,g,b)` per line, as flamegraph.pl and inferno
// write it), so that several graphs color the same function alike.
class PaletteMap {
 public:
  // Loads a file; a missing file is an empty map (it is created by save()). Unreadable lines are
  // reported as `FILE:LINE: reason` to `diagnostics` and counted. False if the file exists but
  // cannot be read.
  bool load(const std::string& path, std::ostream* diagnostics);
  bool save(const std::string& path) const;  // sorted by name
  // The stored color, or frame_color() which is then stored.
  Rgb color(std::string_view name, Palette palette);
  std::optional<Rgb> find(std::string_view name) const;
  size_t size() const { return colors_.size(); }
  uint64_t bad_lines() const { return bad_lines_; }

 private:
  std::map<std::string, Rgb, std::less<>> colors_;
  uint64_t bad_lines_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Layout: where each frame is drawn. Coordinates are in hundredths of a pixel and computed from
// rounded edges, so the widths of adjacent frames add up exactly to their parent's.

struct LayoutOptions {
  unsigned width = 1200;      // image width, px
  unsigned side_margin = 10;  // px left and right of the frames
  double min_width_px = 0.1;  // frames narrower than this are not drawn (nor their subtree)
};

struct FrameBox {
  NodeId node;
  Weight offset;        // weight of everything left of this frame (at any depth)
  int64_t x_centi;      // left edge, 1/100 px, from the image's left border
  int64_t width_centi;  // 1/100 px
  uint32_t depth;       // root = 0
  Weight narrow;        // weight of the children too narrow to draw (pruned or left out here)
  uint32_t narrow_frames = 0;  // how many children that is
  // Where that weight is drawn as one box, right of the drawn children (not in flame charts).
  int64_t narrow_x_centi = 0;
  int64_t narrow_width_centi = 0;
};

// Frames in preorder (a parent before its children). Frames too narrow to draw keep their
// weight in their parent (`narrow`), which keeps its full width; except in flame charts (time
// order), the drawn children come first and the narrow weight is at the parent's right end.
// `pruned` (if given) receives the number of frames left out.
std::vector<FrameBox> compute_layout(const FrameTree& tree, const LayoutOptions& options,
                                     size_t* pruned = nullptr);

// ---------------------------------------------------------------------------------------------
// The SVG writer.

// Per-frame overrides, for differential graphs and other annotated views.
struct FrameStyle {
  std::optional<Rgb> fill;  // replaces the palette color
  std::string tooltip;      // extra tooltip line, e.g. "before 120 (3.1%) -> after 250 (6.0%)"
};
// Called once per drawn frame (never for the root) with the style to fill in.
using FrameStyler = std::function<void(const FrameTree& tree, NodeId node, FrameStyle& style)>;

struct LegendEntry {
  Rgb color;
  std::string label;  // e.g. "slower (more samples)"
};

struct SvgOptions {
  std::string title{};         // default: "Flame Graph", "Icicle Graph" or "Flame Chart"
  std::string subtitle{};      // second line under the title (e.g. the command, the duration)
  std::string count_name{};    // unit in tooltips; default: the profile's metadata.count_name
  double factor = 1.0;         // weights are multiplied by this for display
  bool icicle = false;         // root at the top
  unsigned width = 1200;       // px
  unsigned frame_height = 16;  // px
  double font_size = 12;
  double min_width_px = 0.1;      // see LayoutOptions
  double min_width_percent = -1;  // if >= 0, replaces min_width_px: % of the image width
  // Frames at least the minimum width but narrower than this are not SVG elements in the full
  // view (hairlines cost the browser as much as wide frames); they stay in the embedded data,
  // count in search results, and the script draws them once a zoom makes them this wide.
  double element_min_width_px = 1.0;
  Palette palette = Palette::kHot;
  PaletteMap* palette_map = nullptr;  // if set, colors come from (and are added to) this map
  FrameStyler styler{};               // optional per-frame fill and tooltip line
  std::vector<LegendEntry> legend{};  // optional color legend drawn under the title
};

// The fraction of the total weight below which write_svg draws no frame (from min_width_px or
// min_width_percent and the width); a lower bound, meant for TreeOptions::min_fraction.
double min_drawn_fraction(const SvgOptions& options);

struct SvgStats {
  size_t frames_drawn = 0;   // frames in the picture (as elements or as script data)
  size_t frames_pruned = 0;  // frames of the tree left out by the minimum width
};

// Writes one self-contained, deterministic SVG (kiln's script embedded: tooltips, click-zoom,
// search, URL state). Every frame name is escaped or sanitized (invalid UTF-8 and control
// characters become U+FFFD), so no name can break the markup or reach the script as code.
SvgStats write_svg(const FrameTree& tree, const SvgOptions& options, std::ostream& out);

// ---------------------------------------------------------------------------------------------
// Wall-clock graphs (`kiln record --wall`): on-CPU samples and off-CPU waits of the same threads
// in one profile of time, each off-CPU stack ending in a frame that names how its thread waited.

enum class WallState { kSleeping, kUninterruptible, kRunnable };
// "[off-cpu: S]" (sleeping: interruptible), "[off-cpu: D]" (uninterruptible) or "[runnable]"
// (preempted, waiting for a CPU).
std::string_view wall_state_frame(WallState state);
// Styles a wall-clock graph: frames whose time is mostly off-CPU (blocked) in the io blues,
// mostly runnable in lavender, mostly on-CPU in `svg.palette`; every tooltip gets the frame's
// split into on-CPU, off-CPU (blocked) and runnable time, and the legend says which color is
// which.
void use_wall_time_style(SvgOptions& svg);

// XML-escapes text for an attribute or element body, replacing invalid UTF-8 and characters XML
// forbids by U+FFFD. Exposed for the writers of other SVG views and for tests.
void append_xml_escaped(std::string& out, std::string_view text);

// ---------------------------------------------------------------------------------------------
// kiln diff: per-function comparison of two profiles, its significance, the CI gate and the
// reports (flamegraph/diff_*.cpp). README.md, section "diff", documents the method and the keys.
// ---------------------------------------------------------------------------------------------

struct DiffOptions {
  // Compare shares of each profile's total (default) or raw weights (--no-normalize), in which
  // case every share and change is relative to BEFORE's total.
  bool normalize = true;
  double alpha = 0.01;  // family-wise error rate, Bonferroni-corrected over the tests made
  // When > 0, each profile counts as this many independent samples for the significance test
  // (weights that are not sample counts: off-CPU time, fractional weights).
  double effective_samples = 0;
  // Profiles with fewer samples are not tested at all: in the far tail that Bonferroni needs,
  // the normal approximation of a small binomial is not trustworthy.
  double min_samples = 100;
  // The functions considered (reported, tested, gated); all when empty. `kiln diff` builds it
  // from --focus and --ignore.
  std::function<bool(const std::string& name)> considered;
};

// Weights of one function in one profile; percents are of the profile's total (see DiffOptions).
struct FunctionShare {
  double total = 0;
  double self = 0;
  double total_percent = 0;
  double self_percent = 0;
};

struct FunctionChange {
  std::string name;
  FunctionShare before;
  FunctionShare after;
  double total_change_points = 0;  // after.total_percent - before.total_percent
  double self_change_points = 0;
  // Bonferroni-adjusted two-sided p-values; nullopt when the change could not be tested.
  std::optional<double> total_p_value;
  std::optional<double> self_p_value;
  bool total_significant = false;
  bool self_significant = false;
};

struct DiffSide {
  std::string name;           // file name as given on the command line
  double total = 0;           // sum of weights
  bool sample_counts = true;  // weights are sample counts (whole numbers, unit samples)
  std::string count_name;     // the folded file's unit ("samples", "us", ...), as read
};

struct DiffReport {
  DiffSide before;
  DiffSide after;
  bool normalized = true;
  double alpha = 0.01;
  std::size_t tests = 0;                  // hypotheses tested (the Bonferroni factor)
  std::string untested_reason;            // why nothing was tested, empty when tests were made
  std::vector<FunctionChange> functions;  // considered functions, largest |total change| first
};

// A --fail-on rule: fail when a function's total (or self) share grew by more than `points`
// percentage points and the growth is significant.
// Compares two profiles function by function (names label them in reports). A profile's weights
// count as samples when they are whole numbers and its metadata.count_name is "samples".
DiffReport diff_profiles(const Profile& before, const Profile& after, const DiffOptions& options,
                         std::string before_name = "BEFORE", std::string after_name = "AFTER");

struct GateRule {
  enum class Share { kTotal, kSelf };
  Share share = Share::kTotal;
  double points = 0;
};
// Parses "total:N" or "self:N"; throws std::invalid_argument naming what is wrong.
GateRule parse_gate_rule(std::string_view text);
std::string to_string(const GateRule& rule);

struct GateFailure {
  const FunctionChange* function;
  GateRule rule;
};
std::vector<GateFailure> evaluate_gate(const DiffReport& report, std::span<const GateRule> rules);

struct GateResult {
  std::vector<GateRule> rules;
  std::vector<GateFailure> failures;
};

// The reports: `top` rows per table (text, markdown); JSON lists every considered function.
void write_diff_text(std::ostream& out, const DiffReport& report, const GateResult& gate,
                     std::size_t top);
void write_diff_markdown(std::ostream& out, const DiffReport& report, const GateResult& gate,
                         std::size_t top);
void write_diff_json(std::ostream& out, const DiffReport& report, const GateResult& gate);
// A weight as kiln diff's report and graph print it: whole numbers in full (a uint64 count has
// up to 20 digits), others with two decimals.
std::string format_diff_weight(double weight);

// The differential flame graph: frame widths from AFTER (or BEFORE), color from the change of
// the frame's share (red grew, blue shrank, saturation by size, grey unchanged), and a tooltip
// line with both weights and shares and the change in points of total and self share.
struct DiffGraphOptions {
  bool widths_from_before = false;  // --widths before: the view where removed code is visible
  bool normalize = true;            // see DiffOptions::normalize
  SvgOptions svg;                   // title, width, ...; styler and legend are set by the diff
};
SvgStats write_diff_svg(const Profile& before, const Profile& after,
                        const DiffGraphOptions& options, std::ostream& out);

}  // namespace kiln::flamegraph
