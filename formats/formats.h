// formats: a Profile (profile/profile.h) read from and written to the files of the ecosystem:
// folded stacks (kiln's interchange format, the one of flamegraph.pl and inferno), `perf
// script` text and pprof (profile.proto, through pprof/pprof.h). It uses profile/, pprof/ and
// the symbolizer's demangler (for the Rust names old perf versions left half demangled).
//
//   Profile profile;
//   FoldedReader reader(profile);              // diagnostics go to std::cerr
//   reader.read_file("perf.folded");           // several files merge into one Profile
//   FoldedWriter{}.write(profile, std::cout);  // merged, sorted, deterministic
// StackFileReader reads any of the three, telling them apart by content.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "profile/profile.h"

namespace kiln::formats {

using profile::folded_frame;
using profile::Frame;
using profile::FrameId;
using profile::FrameKind;
using profile::Profile;
using profile::ProfileMetadata;
using profile::Weight;

// ---------------------------------------------------------------------------------------------
// Folded stacks: `frame;frame;frame COUNT` per line (see README.md, "Flame graphs from folded
// stacks").

class TextInput;  // a file or standard input read in blocks (text_input.h, internal)

// Reads folded text into a Profile. Accepts what flamegraph.pl and inferno accept: spaces and
// any punctuation but `;` in names, fractional counts, blank lines, CRLF, `#` comment lines
// (`# key: value` lines become metadata: measured, countname, frequency, duration, lost), input
// in any order, two-column differential lines, and several files read into one Profile.
// Every line it cannot read is reported as `FILE:LINE: reason` and counted. Never throws on
// bad input. Files are read in large blocks (not mapped, so a huge file does not count in RSS).
// Each frame's annotation (`_[k]`...) is read into its kind (profile::folded_frame), once per
// distinct name.
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
// Frames are written as Profile::name gives them: the name with its kind's annotation.
struct FoldedWriter {
  bool write_metadata = true;
  void write(const Profile& profile, std::ostream& out) const;
};

}  // namespace kiln::formats
