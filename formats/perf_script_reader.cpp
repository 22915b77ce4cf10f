// PerfScriptReader: `perf script` text -> Profile, one pass over lines held in the read buffer.
//
// A sample is an event line ("COMM PID[/TID] [CPU] TIME: [PERIOD] EVENT: [IP SYM (DSO)]"),
// stack lines leaf first ("ADDRESS SYMBOL+0xOFF (MODULE)") and a blank line. The text after
// each stack line's address maps to the same frames every time it appears, so it is interned
// once and its frames are looked up by that id: a stack line costs one hash of its text.
#include <cstring>
#include <iostream>
#include <optional>

#include "formats/formats.h"
#include "formats/perf_frame_names.h"
#include "formats/stack_accumulator.h"
#include "formats/text_input.h"

namespace kiln::formats {

namespace {

constexpr uint64_t kReportedLines = 20;  // bad lines shown; the rest are only counted

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

bool is_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return s;
}

// The next blank-separated word of `s` (consumed), or "" at its end.
std::string_view next_word(std::string_view& s) {
  s = trim_left(s);
  size_t end = 0;
  while (end < s.size() && !is_blank(s[end])) ++end;
  std::string_view word = s.substr(0, end);
  s.remove_prefix(end);
  return word;
}

// Splits "ADDRESS SYMBOL (MODULE)"; nullopt if the line is not shaped so. The module is the
// parenthesized group that ends the line, nested parentheses included ("(/lib/x.so (deleted))").
std::optional<PerfStackLine> split_stack_line(std::string_view text) {
  PerfStackLine line;
  text = trim_left(text);
  size_t space = 0;
  while (space < text.size() && !is_blank(text[space])) ++space;
  if (space == 0 || space == text.size() || text.back() != ')') return std::nullopt;
  line.address = text.substr(0, space);
  std::string_view rest = trim_left(text.substr(space));
  size_t open = rest.size() - 1;
  for (int depth = 0;; --open) {
    if (rest[open] == ')') ++depth;
    if (rest[open] == '(' && --depth == 0) break;
    if (open == 0) return std::nullopt;
  }
  if (open > 0 && !is_blank(rest[open - 1])) return std::nullopt;
  line.module = rest.substr(open + 1, rest.size() - open - 2);
  line.symbol = rest.substr(0, open);
  while (!line.symbol.empty() && is_blank(line.symbol.back())) line.symbol.remove_suffix(1);
  return line;
}

// The fields of an event line that the folding uses.
struct EventLine {
  std::string_view comm;
  std::string_view pid;  // "?" when perf printed only the thread id
  std::string_view tid;
  std::string_view key;    // the text up to the end of PID/TID: the same key, the same root
  std::string_view event;  // "cycles", "cpu-clock:ppp", "sched:sched_switch"; may be empty
  uint64_t period = 0;     // 0 when not printed
  std::string_view stack;  // "IP SYM (DSO)" after the event (perf script -F ip,sym without -g)
};

// The first word after the command name that is "PID" or "PID/TID" ends the name (which may
// contain blanks: "V8 WorkerThread 25607 ..."). nullopt if there is no such word.
std::optional<EventLine> split_event_line(std::string_view text) {
  EventLine e;
  size_t start = 0;
  for (;;) {
    while (start < text.size() && !is_blank(text[start])) ++start;  // skip a word
    while (start < text.size() && is_blank(text[start])) ++start;
    if (start == text.size()) return std::nullopt;
    size_t end = start;
    while (end < text.size() && !is_blank(text[end])) ++end;
    std::string_view word = text.substr(start, end - start);
    size_t slash = word.find('/');
    std::string_view first = word.substr(0, slash);
    if (is_digits(first) &&
        (slash == std::string_view::npos || is_digits(word.substr(slash + 1)))) {
      e.comm = text.substr(0, start);
      while (is_blank(e.comm.back())) e.comm.remove_suffix(1);
      e.pid = slash == std::string_view::npos ? std::string_view("?") : first;
      e.tid = slash == std::string_view::npos ? first : word.substr(slash + 1);
      e.key = text.substr(0, end);
      text.remove_prefix(end);
      if (trim_left(text).empty()) return std::nullopt;  // "main;f 12" is a folded line
      break;
    }
    start = end;
  }
  // [CPU] TIME: PERIOD EVENT: ... with any of them left out by `perf script -F`.
  std::string_view rest = text;
  std::string_view word = next_word(rest);
  if (word.starts_with('[') && word.ends_with(']')) word = next_word(rest);
  if (word.ends_with(':')) {  // the time: "94564.109216:" (no event name is a number)
    std::string_view time = word.substr(0, word.size() - 1);
    size_t dot = time.find('.');
    if (is_digits(time.substr(0, dot)) &&
        (dot == std::string_view::npos || is_digits(time.substr(dot + 1)))) {
      word = next_word(rest);
    }
  }
  if (is_digits(word)) {
    for (char c : word) e.period = e.period * 10 + static_cast<uint64_t>(c - '0');
    word = next_word(rest);
  }
  if (word.size() > 1 && word.ends_with(':')) {
    e.event = word.substr(0, word.size() - 1);
    e.stack = trim_left(rest);
  }
  return e;
}

// "cycles:u" -> "cycles"; "sched:sched_switch" stays (a tracepoint, not modifiers).
std::string_view without_modifiers(std::string_view event) {
  size_t colon = event.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == event.size()) return event;
  for (char c : event.substr(colon + 1)) {
    if (std::string_view("ukhIGHpPSDWe").find(c) == std::string_view::npos) return event;
  }
  return event.substr(0, colon);
}

}  // namespace

class PerfScriptReader::Parser {
 public:
  Parser(PerfScriptReader& reader, PerfScriptOptions options)
      : reader_(reader), options_(std::move(options)), filter_(options_.event_filter) {}

  const std::string& event() const { return filter_.empty() ? first_event_ : filter_; }
  bool sample_counts() const { return options_.sample_counts; }

  void begin(std::string_view source) {
    source_ = source;
    state_ = State::kBetween;
    leaf_first_.clear();
  }

  // False once the input proved not to be text (then reader_.error_ says why).
  bool line(std::string_view text, uint64_t number) {
    line_ = text;
    while (!text.empty() && (is_blank(text.back()) || text.back() == '\r')) text.remove_suffix(1);
    last_line_ = {number, true};
    if (text.empty()) {
      end_sample();
      return true;
    }
    if (text.front() == '#') return true;
    line_stack_or_event(text, number);
    return !binary_;
  }

  // End of a source: its last sample counts even without a blank line after it, unless the
  // input stops in the middle of a line.
  bool finish(bool ended_with_newline) {
    if (!ended_with_newline && !last_line_.complete) {
      reader_.error_ = std::string(source_) + ':' + std::to_string(last_line_.number) +
                       ": the input ends in the middle of a line: is the file truncated?";
      return false;
    }
    end_sample();
    samples_.move_into(reader_.profile_);
    return true;
  }

 private:
  enum class State { kBetween, kInSample, kSkipping };

  // Frames of one distinct stack-line text: ids_[first, first + count), outermost first.
  struct Entry {
    uint32_t first = 0;
    uint32_t count = 0;
    bool bad = false;
  };
  struct LineCache {
    Profile keys;  // only its name table: text -> dense id
    std::vector<Entry> entries;
  };

  void line_stack_or_event(std::string_view text, uint64_t number) {
    if (is_blank(text.front()) && state_ != State::kBetween) {
      if (state_ == State::kInSample) last_line_.complete = stack_line(text, number);
      return;
    }
    // perf right-aligns short command names: an event line may start with blanks.
    std::optional<EventLine> event = split_event_line(trim_left(text));
    if (!event && state_ == State::kBetween && is_blank(text.front())) {
      last_line_.complete = false;
      bad_line(number, "a stack line outside a sample (no event line above)");
      return;
    }
    if (!event && state_ != State::kBetween && split_stack_line(text)) {
      // Very old perf versions did not indent stack lines.
      if (state_ == State::kInSample) last_line_.complete = stack_line(text, number);
      return;
    }
    end_sample();
    last_line_.complete = event_line(event, number);
  }

  // Reports the current line, or stops at binary data (no perf script line holds a NUL byte;
  // only lines that fail to parse are searched for one).
  void bad_line(uint64_t number, std::string_view reason) {
    if (std::memchr(line_.data(), '\0', line_.size())) {
      binary_ = true;
      reader_.error_ = std::string(source_) + ':' + std::to_string(number) +
                       ": binary data (a NUL byte): not perf script text";
      return;
    }
    reader_.report(source_, number, reason);
  }

  bool stack_line(std::string_view text, uint64_t number) {
    std::string_view body = trim_left(text);
    size_t space = 0;
    while (space < body.size() && !is_blank(body[space])) ++space;
    std::string_view key = options_.include_addrs ? body : trim_left(body.substr(space));
    LineCache& cache = java_ ? java_cache_ : cache_;
    FrameId id = cache.keys.intern(key);
    if (id == cache.entries.size()) cache.entries.push_back(resolve(body));
    const Entry& entry = cache.entries[id];
    if (entry.bad) {
      bad_line(number, "not a stack line (ADDRESS SYMBOL (MODULE))");
      return false;
    }
    for (uint32_t i = entry.count; i > 0; --i) leaf_first_.push_back(ids_[entry.first + i - 1]);
    return true;
  }

  Entry resolve(std::string_view body) {
    std::optional<PerfStackLine> line = split_stack_line(body);
    if (!line) return {.bad = true};
    frames_.clear();
    perf_frames(*line, options_, java_, frames_);
    Entry entry{static_cast<uint32_t>(ids_.size()), static_cast<uint32_t>(frames_.size())};
    // perf's "(inlined)" and "([unknown])" name no module.
    const PerfModuleKind module_kind = classify_perf_module(line->module);
    const std::string_view module =
        module_kind == PerfModuleKind::kInlined || module_kind == PerfModuleKind::kUnknown
            ? std::string_view()
            : line->module;
    for (const PerfFrame& frame : frames_)
      ids_.push_back(
          reader_.profile_.intern(Frame{.name = frame.name, .kind = frame.kind, .module = module}));
    return entry;
  }

  bool event_line(const std::optional<EventLine>& e, uint64_t number) {
    if (!e) {
      state_ = State::kSkipping;
      bad_line(number, "not an event line (COMM PID[/TID] [CPU] TIME: PERIOD EVENT:)");
      return false;
    }
    if (!e->event.empty() && !keep_event(e->event)) {
      state_ = State::kSkipping;
      ++reader_.samples_filtered_;
      return true;
    }
    if (e->key != root_key_) {
      root_key_.assign(e->key);
      std::string root(e->comm);
      for (char& c : root) {
        if (c == ' ') c = '_';
      }
      if (options_.root != PerfScriptOptions::Root::kComm) (root += '-') += e->pid;
      if (options_.root == PerfScriptOptions::Root::kTid) (root += '/') += e->tid;
      root_ = reader_.profile_.intern(root);
      java_ = e->comm.starts_with("java");
    }
    weight_ = Weight::from_integer(options_.sample_counts || e->period == 0 ? 1 : e->period);
    state_ = State::kInSample;
    if (!e->stack.empty() && split_stack_line(e->stack)) {
      // `perf script -F ip,sym` without a call graph: the sample is this one line.
      stack_line(e->stack, number);
      end_sample();
    }
    return !e->event.empty();
  }

  bool keep_event(std::string_view event) {
    if (filter_.empty()) {
      if (first_event_.empty()) first_event_ = event;
      if (without_modifiers(event) == without_modifiers(first_event_)) return true;
      if (!warned_) {
        warned_ = true;
        if (reader_.diagnostics_) {
          *reader_.diagnostics_ << source_ << ": samples of several events; kept only '"
                                << first_event_ << "' (the first), --event-filter chooses\n";
        }
      }
      return false;
    }
    return event == filter_ || without_modifiers(event) == filter_;
  }

  void end_sample() {
    if (state_ == State::kInSample) {
      stack_.clear();
      stack_.push_back(root_);
      stack_.insert(stack_.end(), leaf_first_.rbegin(), leaf_first_.rend());
      if (options_.keep_sample_order) {
        reader_.profile_.add_stack(stack_, weight_);
      } else {
        samples_.add(stack_, weight_);
      }
      ++reader_.samples_read_;
    }
    state_ = State::kBetween;
    leaf_first_.clear();
  }

  PerfScriptReader& reader_;
  PerfScriptOptions options_;
  std::string filter_;       // --event-filter
  std::string first_event_;  // without a filter: the event kept
  bool warned_ = false;
  std::string_view source_;
  std::string_view line_;  // the line being parsed, as read
  bool binary_ = false;
  State state_ = State::kBetween;
  struct {
    uint64_t number = 0;
    bool complete = true;  // parsed as a whole stack or event line
  } last_line_;
  std::string root_key_;
  FrameId root_ = 0;
  bool java_ = false;
  Weight weight_;
  LineCache cache_;
  LineCache java_cache_;  // java processes strip the 'L' of class names
  std::vector<FrameId> ids_;
  std::vector<PerfFrame> frames_;
  std::vector<FrameId> leaf_first_;
  std::vector<FrameId> stack_;
  StackAccumulator samples_;
};

PerfScriptReader::PerfScriptReader(Profile& into, PerfScriptOptions options,
                                   std::ostream* diagnostics)
    : profile_(into),
      diagnostics_(diagnostics),
      parser_(std::make_unique<Parser>(*this, std::move(options))) {}

PerfScriptReader::~PerfScriptReader() = default;

const std::string& PerfScriptReader::event() const {
  return parser_->event();
}

void PerfScriptReader::report(std::string_view source, uint64_t line, std::string_view reason) {
  if (++bad_lines_ <= kReportedLines && diagnostics_) {
    *diagnostics_ << source << ':' << line << ": " << reason << '\n';
  } else if (bad_lines_ == kReportedLines + 1 && diagnostics_) {
    *diagnostics_ << source << ": more lines that cannot be read are counted, not shown\n";
  }
}

bool PerfScriptReader::fail() {
  if (diagnostics_) *diagnostics_ << error_ << '\n';
  return false;
}

bool PerfScriptReader::read_file(const std::string& path) {
  TextInput input(path);
  return read_input(input);
}

bool PerfScriptReader::read_input(TextInput& input) {
  if (size_t size = input.file_size(); size > 0) profile_.reserve(size / 2048, size / 64);
  uint64_t samples_before = samples_read_ + samples_filtered_;
  uint64_t bad_before = bad_lines_;
  parser_->begin(input.source());
  bool text = true;
  if (!input.for_each_line([&](std::string_view line, uint64_t number) {
        if (text) text = parser_->line(line, number);
      })) {
    error_ = input.error();
    return fail();
  }
  if (!text) return fail();
  return finish(input.source(), input.ended_with_newline(), samples_before, bad_before);
}

bool PerfScriptReader::read_text(std::string_view text, std::string_view source) {
  uint64_t samples_before = samples_read_ + samples_filtered_;
  uint64_t bad_before = bad_lines_;
  parser_->begin(source);
  uint64_t number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t newline = text.find('\n', start);
    size_t end = newline == std::string_view::npos ? text.size() : newline;
    if (!parser_->line(text.substr(start, end - start), ++number)) return fail();
    start = end + 1;
  }
  return finish(source, text.empty() || text.back() == '\n', samples_before, bad_before);
}

bool PerfScriptReader::finish(std::string_view source, bool ended_with_newline,
                              uint64_t samples_before, uint64_t bad_before) {
  if (!parser_->finish(ended_with_newline)) return fail();
  if (samples_read_ > 0) describe_weights();
  if (samples_read_ + samples_filtered_ == samples_before && bad_lines_ > bad_before) {
    error_ = std::string(source) +
             ": not perf script output: no sample (no line like 'COMM PID [CPU] TIME: PERIOD "
             "EVENT:')";
    return fail();
  }
  return true;
}

void PerfScriptReader::describe_weights() {
  ProfileMetadata& m = profile_.metadata;
  std::string_view event = without_modifiers(parser_->event());
  // A period counts nanoseconds for the software clocks, events (cycles, ...) for the others.
  if (parser_->sample_counts() || event.empty()) {
    m.count_name = "samples";
  } else if (event == "cpu-clock" || event == "task-clock") {
    m.count_name = "ns";
  } else {
    m.count_name = event;
  }
  for (const auto& [key, value] : m.extra) {
    if (key == "event") return;
  }
  if (!event.empty()) m.extra.emplace_back("event", parser_->event());
}

bool looks_like_perf_script(std::string_view head) {
  for (size_t start = 0; start < head.size();) {
    size_t newline = head.find('\n', start);
    if (newline == std::string_view::npos) newline = head.size();
    std::string_view line = head.substr(start, newline - start);
    while (!line.empty() && (is_blank(line.back()) || line.back() == '\r')) line.remove_suffix(1);
    start = newline + 1;
    if (line.empty() || line.front() == '#') continue;
    if (is_blank(line.front())) return false;
    std::optional<EventLine> event = split_event_line(line);
    return event && !event->event.empty();
  }
  return false;
}

}  // namespace kiln::formats
