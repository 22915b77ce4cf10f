#include "symbolizer/symbolizer.h"

#include <cinttypes>
#include <cstdio>
#include <set>
#include <unordered_set>

#include "symbolizer/frame_cache.h"
#include "symbolizer/kernel_symbols.h"
#include "symbolizer/module_cache.h"
#include "symbolizer/process_layer.h"

namespace kiln::symbolizer {
namespace {

// What names an unknown place in `module`: "[libfoo.so]", or "[vdso]" as it is.
std::string in_brackets(std::string_view module) {
  return module.starts_with("[") ? std::string(module) : "[" + std::string(module) + "]";
}

// An unnamed function told apart by its start: "[libfoo.so]+0x1b3f20".
std::string unnamed_function(std::string_view module, uint64_t start) {
  char offset[24];
  snprintf(offset, sizeof offset, "+0x%" PRIx64, start);
  return in_brackets(module) + offset;
}

std::vector<Frame> copies(const std::vector<FrameView>& views) {
  std::vector<Frame> frames;
  frames.reserve(views.size());
  for (const FrameView& v : views) {
    frames.push_back({std::string(v.function), std::string(v.mangled), std::string(v.module),
                      std::string(v.file), v.line, v.kind});
  }
  return frames;
}

}  // namespace

struct Symbolizer::Impl {
  explicit Impl(Options o) : options(std::move(o)), modules(options, &processes.problems()) {
    // A binary's debug file is found when it is opened, while its process's root exists.
    processes.binary_cache().on_open([this](const process::Binary& b) { modules.of(b); });
    processes.binary_cache().on_forget([this](const std::vector<const process::Binary*>& gone) {
      std::set<uint64_t> ids;
      for (const process::Binary* binary : gone) {
        ids.insert(binary->id);
        modules.forget(*binary);
      }
      cache.forget(ids);
    });
  }

  // Names made up here ("[module]", "[module]+0xSTART", "perf-PID.map", a file's base name),
  // kept once each so that views of them stay valid.
  std::string_view text(std::string s) { return *texts.insert(std::move(s)).first; }

  // One frame naming only where the address is ("[module]").
  const std::vector<FrameView>& unknown(std::string_view module, FrameKind kind) {
    views.assign(1,
                 FrameView{.function = text(in_brackets(module)), .module = module, .kind = kind});
    ++counters.unknown;
    return views;
  }

  // Frames for a link-time address in `binary`, computed once per (binary, address) and
  // cached compactly (pointers to names its module owns); the views point into that cache.
  const std::vector<FrameView>& module_frames(const process::Binary& binary, uint64_t vaddr,
                                              std::string_view name) {
    std::span<const FrameRef> refs;
    if (cache.find(binary.id, vaddr, &refs)) {
      ++counters.cache_hits;
    } else {
      modules.of(binary).symbolize(vaddr, options, &computed);
      cache.insert(binary.id, vaddr, computed);
      refs = computed;
    }
    if (refs.empty()) return unknown(name, FrameKind::kUnknown);
    views.clear();
    for (const FrameRef& ref : refs) {
      FrameView& frame = views.emplace_back();
      if (ref.function) {
        frame.function = *ref.function;
        if (ref.mangled && frame.function != ref.mangled) frame.mangled = ref.mangled;
      } else {
        frame.function = text(ref.function_start ? unnamed_function(name, *ref.function_start)
                                                 : in_brackets(name));
      }
      frame.module = name;
      if (ref.file) frame.file = ref.file;
      frame.line = ref.line;
      frame.kind = !ref.function && ref.kind == FrameKind::kUser ? FrameKind::kUnknown : ref.kind;
    }
    if (views.size() == 1 && views[0].kind == FrameKind::kUnknown) ++counters.unknown;
    return views;
  }

  Options options;
  process::ProcessTable processes;  // before `modules`, whose modules refer to its binaries
  ModuleCache modules;
  Stats counters;  // addresses, cache hits and unknown frames; problems are in processes
  KernelSymbols kernel;
  bool kernel_loaded = false;
  FrameCache cache;
  std::vector<FrameRef> computed;  // scratch
  std::vector<FrameView> views;    // the last answer
  std::unordered_set<std::string> texts;
  // The file symbolize_file was asked about last (a script's addresses: one file) and the
  // name its frames carry.
  std::string last_path;
  std::shared_ptr<const process::Binary> last_binary;
  std::string_view last_name;
};

Symbolizer::Symbolizer(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Symbolizer::~Symbolizer() = default;

process::ProcessTable& Symbolizer::processes() {
  return impl_->processes;
}

std::vector<Frame> Symbolizer::symbolize_user(pid_t tgid, uint64_t address) {
  return copies(view_user(tgid, address));
}

std::vector<Frame> Symbolizer::symbolize_kernel(uint64_t address) {
  return copies(view_kernel(address));
}

std::vector<Frame> Symbolizer::symbolize_file(const std::string& path, uint64_t address,
                                              AddressKind kind) {
  return copies(view_file(path, address, kind));
}

const std::vector<FrameView>& Symbolizer::view_user(pid_t tgid, uint64_t address) {
  ++impl_->counters.addresses;
  bool known = false;
  const process::SnapshotMapping* mapping = impl_->processes.find(tgid, address, &known);
  if (!known) return impl_->unknown("[unknown]", FrameKind::kUnmapped);
  if (!mapping || !mapping->binary) {
    // JIT code lives in anonymous memory and is named by the process's perf map.
    if (!mapping || mapping->name == "[anon]" || !mapping->path.starts_with("/")) {
      if (const std::string* jit = impl_->processes.jit_symbol(tgid, address)) {
        impl_->views.assign(
            1, FrameView{.function = *jit,
                         .module = impl_->text("perf-" + std::to_string(tgid) + ".map"),
                         .kind = FrameKind::kJit});
        return impl_->views;
      }
    }
    if (!mapping) {
      char text[32];
      snprintf(text, sizeof text, "%#" PRIx64, address);
      impl_->processes.problems().note(kUnmappedAddress, std::string("address ") + text +
                                                             " of process " + std::to_string(tgid) +
                                                             " is in no executable mapping");
    }
    return mapping ? impl_->unknown(mapping->name, FrameKind::kUnknown)
                   : impl_->unknown("[unknown]", FrameKind::kUnmapped);
  }
  auto vaddr = mapping->binary->file->offset_to_vaddr(address - mapping->start + mapping->offset);
  if (!vaddr) return impl_->unknown(mapping->name, FrameKind::kUnknown);
  return impl_->module_frames(*mapping->binary, *vaddr, mapping->name);
}

const std::vector<FrameView>& Symbolizer::view_kernel(uint64_t address) {
  ++impl_->counters.addresses;
  if (!impl_->kernel_loaded) {
    impl_->kernel_loaded = true;
    impl_->kernel.load();
    if (impl_->kernel.restricted()) {
      impl_->processes.problems().note(
          kKernelRestricted,
          "kernel symbols are hidden: /proc/kallsyms shows only zero addresses "
          "(kernel.kptr_restrict); run kiln as root, or `sysctl -w "
          "kernel.kptr_restrict=0`; kernel frames show as [kernel]");
    }
  }
  const KernelSymbols::Symbol* symbol = impl_->kernel.find(address);
  if (!symbol) return impl_->unknown("[kernel]", FrameKind::kKernel);
  impl_->views.assign(
      1, FrameView{.function = symbol->name, .module = symbol->module, .kind = FrameKind::kKernel});
  return impl_->views;
}

const std::vector<FrameView>& Symbolizer::view_file(const std::string& path, uint64_t address,
                                                    AddressKind kind) {
  Impl& impl = *impl_;
  ++impl.counters.addresses;
  if (impl.last_name.data() == nullptr || path != impl.last_path) {
    impl.last_path = path;
    impl.last_binary = impl.processes.binary_cache().from_path(path);
    const size_t slash = path.rfind('/');
    impl.last_name = impl.text(slash == std::string::npos ? path : path.substr(slash + 1));
  }
  if (!impl.last_binary) return impl.unknown(impl.last_name, FrameKind::kUnknown);
  uint64_t vaddr = address;
  if (kind == AddressKind::kFileOffset) {
    auto translated = impl.last_binary->file->offset_to_vaddr(address);
    if (!translated) {
      impl.processes.problems().note(kUnmappedAddress,
                                     path + ": file offset is in no loadable segment");
      return impl.unknown(impl.last_name, FrameKind::kUnknown);
    }
    vaddr = *translated;
  }
  return impl.module_frames(*impl.last_binary, vaddr, impl.last_name);
}

Stats Symbolizer::stats() const {
  const ProblemLog& problems = impl_->processes.problems();
  Stats stats = impl_->counters;
  stats.missing_files = problems.count(kMissingFile);
  stats.corrupt_files = problems.count(kCorruptFile);
  stats.exited_processes = problems.count(process::kExitedProcess);
  stats.unmapped_addresses = problems.count(kUnmappedAddress);
  stats.kptr_restricted = problems.count(kKernelRestricted) > 0;
  stats.binaries_parsed = impl_->processes.binary_cache().opened();
  stats.debuginfod = impl_->modules.debuginfod_stats();
  stats.messages = problems.messages();
  return stats;
}

std::string describe_debuginfod(const DebuginfodStats& stats) {
  if (stats.asked() == 0) return "";
  char text[160];
  std::snprintf(text, sizeof text,
                "debuginfod: %" PRIu64 " debug file%s fetched, %" PRIu64 " from the cache, %" PRIu64
                " missing",
                stats.fetched, stats.fetched == 1 ? "" : "s", stats.cached, stats.missing);
  std::string result = text;
  if (stats.failed) result += ", " + std::to_string(stats.failed) + " failed";
  std::snprintf(text, sizeof text, " (%.2f s)", stats.seconds);
  return result + text;
}

}  // namespace kiln::symbolizer
