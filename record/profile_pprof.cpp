// A recording as pprof: what kiln knows of each address kept (its mapping with build-id, its
// inline chain with files and lines), the thread in labels, the recording's facts in the
// header fields and comments.

#include <chrono>
#include <cstring>
#include <map>
#include <ostream>
#include <tuple>

#include "pprof/pprof.h"
#include "process/process.h"
#include "record/recording_pprof.h"
#include "symbolizer/symbolizer.h"

namespace kiln::record {

class RecordingPprof::Builder {
 public:
  Builder(symbolizer::Symbolizer& symbolizer, const std::string& measured, unsigned hz)
      : symbolizer_(symbolizer),
        off_cpu_(measured == "off-cpu"),
        wall_(measured == "wall"),
        s_(p_.strings) {
    if (off_cpu_) {
      p_.sample_types = {{s_("off_cpu"), s_("nanoseconds")}, {s_("blocks"), s_("count")}};
    } else if (wall_) {
      p_.sample_types = {{s_("wall"), s_("nanoseconds")}};
      p_.period_type = {s_("cpu"), s_("nanoseconds")};
      p_.period = hz > 0 ? static_cast<int64_t>(1'000'000'000 / hz) : 0;
    } else {
      p_.sample_types = {{s_("samples"), s_("count")}, {s_("cpu"), s_("nanoseconds")}};
      p_.period_type = {s_("cpu"), s_("nanoseconds")};
      p_.period = hz > 0 ? static_cast<int64_t>(1'000'000'000 / hz) : 0;
    }
    p_.default_sample_type = p_.sample_types[0].type;
  }

  void add(const RawProfile& raw, const SymbolizeOptions& options) {
    options_ = &options;
    for (const RawStack& stack : raw.stacks) add(raw, stack);
    options_ = nullptr;
  }

  void forget(const std::set<uint32_t>& tgids) {
    for (const uint32_t tgid : tgids) {
      by_process_.erase(by_process_.lower_bound({tgid, 0}), by_process_.lower_bound({tgid + 1, 0}));
      binaries_.erase(tgid);
    }
  }

  // The wire format of the samples added, with `facts`. Idempotent: one recording may be
  // written to several files.
  std::string encoded(const PprofFacts& facts) {
    p_.duration_nanos = static_cast<int64_t>(facts.seconds * 1e9);
    p_.time_nanos = facts.start_time_nanos;
    p_.comments = {s_("lost: " + std::to_string(facts.lost) + " samples")};
    for (const std::string& comment : facts.comments) p_.comments.push_back(s_(comment));
    if (kernel_mapping_) {
      pprof::Mapping& m = p_.mappings[kernel_mapping_ - 1];
      m.memory_start = kernel_low_;
      m.memory_limit = kernel_high_ + 1;
    }
    return pprof::encode(p_) + samples_;
  }

 private:
  void add(const RawProfile& raw, const RawStack& stack) {
    pprof::Sample& sample = sample_;
    sample.location_ids.clear();
    // User locations first: the first mapping is what go tool pprof calls the main binary.
    user_ids_.clear();
    bool cut = false;
    for (size_t i = 0; i < stack.user.size() && !cut; ++i) {
      const UserLocation location = user_location(stack.tgid, lookup_address(stack.user, i));
      // As symbolize_into: a return address in no mapping and what lies outside it are not
      // the stack; it is drawn from the frame inside it, as truncated.
      cut = i > 0 && location.unmapped;
      if (!cut) user_ids_.push_back(location.id);
    }
    for (size_t i = 0; i < stack.kernel.size(); ++i)
      sample.location_ids.push_back(kernel_location(lookup_address(stack.kernel, i)));
    sample.location_ids.insert(sample.location_ids.end(), user_ids_.begin(), user_ids_.end());
    // An unwind that stopped short: its outermost frame is not a child of the root.
    if (stack.truncated || cut) sample.location_ids.push_back(named_location("[truncated]"));
    // Time in nanoseconds as the folded stacks have it (microseconds, rounded per stack), so
    // that both outputs of one recording add up to the same total.
    const auto time_ns = [&raw, &stack] {
      return static_cast<int64_t>(raw.profile_weight(stack) * 1000);
    };
    if (off_cpu_) {
      sample.values = {time_ns(), static_cast<int64_t>(stack.events)};
    } else if (wall_) {
      // A wait ends in the frame naming its state, as in folded stacks.
      sample.values = {time_ns()};
      if (stack.state != 0)
        sample.location_ids.insert(sample.location_ids.begin(),
                                   named_location(std::string(wall_state_frame(stack.state))));
    } else {
      sample.values = {static_cast<int64_t>(stack.weight),
                       static_cast<int64_t>(stack.weight) * p_.period};
    }
    sample.labels = {{s_("pid"), 0, stack.tgid, 0},
                     {s_("tid"), 0, stack.pid, 0},
                     {s_("thread_name"), s_(stack.comm), 0, 0}};
    if (wall_)
      sample.labels.push_back(
          {s_("state"),
           s_(stack.state == 0 ? "on-cpu" : std::string(wall_state_frame(stack.state))), 0, 0});
    pprof::encode_sample(sample, samples_);
  }

  // As symbolize_into: a caller's return address steps back into its call instruction.
  static uint64_t lookup_address(const std::vector<uint64_t>& addresses, size_t index) {
    return index == 0 ? addresses[0] : addresses[index] - 1;
  }

  uint64_t function(const symbolizer::Frame& frame) {
    const auto key = std::make_tuple(frame.function, frame.mangled, frame.file);
    auto [it, inserted] = functions_.try_emplace(key, p_.functions.size() + 1);
    if (inserted) {
      pprof::Function& f = p_.functions.emplace_back();
      f.id = it->second;
      f.name = s_(frame.function);
      f.system_name = frame.mangled.empty() ? f.name : s_(frame.mangled);
      f.filename = s_(frame.file);
    }
    return it->second;
  }

  uint64_t new_location(uint64_t mapping_id, uint64_t address,
                        const std::vector<symbolizer::Frame>& frames) {
    pprof::Location& l = p_.locations.emplace_back();
    l.id = p_.locations.size();
    l.mapping_id = mapping_id;
    l.address = address;
    for (const symbolizer::Frame& frame : frames)  // innermost first, as pprof wants them
      l.lines.push_back({function(frame), frame.line});
    return l.id;
  }

  uint64_t named_location(const std::string& name) {
    auto [it, inserted] = named_.try_emplace(name, 0);
    if (inserted) {
      symbolizer::Frame frame;
      frame.function = name;
      it->second = new_location(0, 0, {frame});
    }
    return it->second;
  }

  uint64_t kernel_location(uint64_t address) {
    auto [it, inserted] = kernel_locations_.try_emplace(address, 0);
    if (!inserted) return it->second;
    if (!kernel_mapping_) {
      pprof::Mapping& m = p_.mappings.emplace_back();
      m.id = kernel_mapping_ = p_.mappings.size();
      m.filename = s_("[kernel.kallsyms]");
      m.build_id = s_(process::kernel_build_id());
      m.has_functions = true;
      kernel_low_ = address;
    }
    kernel_low_ = std::min(kernel_low_, address);
    kernel_high_ = std::max(kernel_high_, address);
    return it->second =
               new_location(kernel_mapping_, address, symbolizer_.symbolize_kernel(address));
  }

  struct UserLocation {
    uint64_t id = 0;
    bool unmapped = false;  // in_no_mapping: in no mapping of the process nor of its parent
  };
  UserLocation user_location(uint32_t tgid, uint64_t address) {
    auto [known, inserted] = by_process_.try_emplace({tgid, address});
    if (!inserted) return known->second;
    uint32_t owner = tgid;
    std::vector<symbolizer::Frame> frames =
        symbolizer_.symbolize_user(static_cast<pid_t>(tgid), address);
    // As symbolize_into: a child's samples from before its exec are in its parent's code.
    if (in_no_mapping(frames) && options_->parent_of)
      if (const uint32_t parent = options_->parent_of(tgid); parent > 1) {
        frames = symbolizer_.symbolize_user(static_cast<pid_t>(parent), address);
        owner = parent;
      }
    const uint64_t mapping_id = mapping(owner, address, frames);
    // One location per address in a mapping, shared by the processes that map it there.
    const auto key = std::make_tuple(mapping_id, mapping_id ? 0 : owner, address);
    auto [it, added] = locations_.try_emplace(key, 0);
    if (added) it->second = new_location(mapping_id, address, frames);
    return known->second = {it->second, in_no_mapping(frames)};
  }

  // The mapping holding `address` in process `tgid` (0 when none is known).
  uint64_t mapping(uint32_t tgid, uint64_t address, const std::vector<symbolizer::Frame>& frames) {
    Binaries& binaries = binaries_[tgid];
    binaries.generation = symbolizer_.processes().binaries(static_cast<pid_t>(tgid), address,
                                                           binaries.generation, &binaries.list);
    const process::MappedBinary* found = nullptr;
    for (const process::MappedBinary& b : binaries.list)
      if (address >= b.start && address < b.end) found = &b;
    const bool jit = !frames.empty() && frames.back().kind == symbolizer::FrameKind::kJit;
    if (!found && !jit) return 0;
    // JIT code is named by the perf map; the mapping says so by its name.
    const std::string file = jit                   ? frames.back().module
                             : found->path.empty() ? found->name
                                                   : found->path;
    const auto key = std::make_tuple(file, found ? found->start : 0, found ? found->end : 0,
                                     found ? found->offset : 0);
    auto [it, inserted] = mappings_.try_emplace(key, 0);
    if (inserted) {
      pprof::Mapping& m = p_.mappings.emplace_back();
      it->second = m.id = p_.mappings.size();
      m.filename = s_(file);
      if (found) {
        m.memory_start = found->start;
        m.memory_limit = found->end;
        m.file_offset = found->offset;
        m.build_id = s_(found->build_id);
      }
      // kiln named every address: go tool pprof must not symbolize them again.
      m.has_functions = true;
      m.has_filenames = m.has_line_numbers = m.has_inline_frames = found && found->elf;
    }
    return it->second;
  }

  struct Binaries {
    uint64_t generation = 0;
    std::vector<process::MappedBinary> list;
  };
  symbolizer::Symbolizer& symbolizer_;
  const bool off_cpu_, wall_;
  const SymbolizeOptions* options_ = nullptr;  // of the add under way
  pprof::Profile p_;                           // all but the samples
  pprof::StringTable s_;
  std::string samples_;   // encoded (pprof::encode_sample)
  pprof::Sample sample_;  // scratch
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> functions_;
  std::map<std::string, uint64_t> named_;
  std::map<uint64_t, uint64_t> kernel_locations_;
  std::map<std::pair<uint32_t, uint64_t>, UserLocation> by_process_;
  std::map<std::tuple<uint64_t, uint32_t, uint64_t>, uint64_t> locations_;
  std::map<std::tuple<std::string, uint64_t, uint64_t, uint64_t>, uint64_t> mappings_;
  std::map<uint32_t, Binaries> binaries_;
  std::vector<uint64_t> user_ids_;  // scratch
  uint64_t kernel_mapping_ = 0, kernel_low_ = 0, kernel_high_ = 0;
};

RecordingPprof::RecordingPprof(symbolizer::Symbolizer& symbolizer, const std::string& measured,
                               unsigned hz)
    : builder_(std::make_unique<Builder>(symbolizer, measured, hz)) {}

RecordingPprof::~RecordingPprof() = default;

void RecordingPprof::add(const RawProfile& raw, const SymbolizeOptions& options) {
  builder_->add(raw, options);
}

void RecordingPprof::forget(const std::set<uint32_t>& tgids) {
  builder_->forget(tgids);
}

void RecordingPprof::write(const PprofFacts& facts, std::ostream& out) {
  const std::string bytes = pprof::gzip(builder_->encoded(facts));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

int64_t start_time_nanos(double seconds) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() -
         static_cast<int64_t>(seconds * 1e9);
}

}  // namespace kiln::record
