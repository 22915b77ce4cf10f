#include "symbolizer.h"

#include <cinttypes>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "frame_cache.h"
#include "kernel_symbols.h"
#include "module_cache.h"
#include "problem_log.h"
#include "process_snapshot.h"

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
  explicit Impl(Options o) : options(std::move(o)), modules(options, &log) {}

  // Names made up here ("[module]", "[module]+0xSTART", "perf-PID.map", a file's base name),
  // kept once each so that views of them stay valid.
  std::string_view text(std::string s) { return *texts.insert(std::move(s)).first; }

  // One frame naming only where the address is ("[module]").
  const std::vector<FrameView>& unknown(std::string_view module, FrameKind kind) {
    views.assign(1,
                 FrameView{.function = text(in_brackets(module)), .module = module, .kind = kind});
    return counted();
  }

  // Frames for a link-time address in `module`, computed once per (module, address) and
  // cached compactly (pointers to names the module owns).
  const std::vector<FrameView>& module_frames(BinaryModule* module, uint64_t vaddr,
                                              std::string_view name) {
    if (cache.find(module, vaddr, &refs)) {
      ++log.stats().cache_hits;
    } else {
      module->symbolize(vaddr, options, &refs);
      cache.insert(module, vaddr, refs);
    }
    if (refs.empty()) return unknown(name, FrameKind::kUser);
    views.clear();
    for (const FrameRef& ref : refs) {
      FrameView& frame = views.emplace_back();
      if (ref.function) {
        frame.function = *ref.function;
        if (ref.mangled && frame.function != ref.mangled) frame.mangled = ref.mangled;
      } else if (ref.function_start) {
        frame.function = text(unnamed_function(name, *ref.function_start));
      } else {
        frame.function = text(in_brackets(name));
      }
      frame.module = name;
      if (ref.file) frame.file = ref.file;
      frame.line = ref.line;
      frame.kind = ref.kind;
    }
    return counted();
  }

  // A binary opened by path for symbolize_file (each is opened once) and its base name.
  struct OpenedFile {
    std::shared_ptr<BinaryModule> module;
    std::string_view name;
  };
  const OpenedFile& file_module(const std::string& path) {
    if (last_file && path == last_path) return *last_file;  // a script's addresses: one file
    auto [it, inserted] = files.try_emplace(path);
    if (inserted) {
      size_t slash = path.rfind('/');
      it->second.name = text(slash == std::string::npos ? path : path.substr(slash + 1));
      it->second.module = modules.from_path(path);
    }
    last_path = path;
    last_file = &it->second;
    return it->second;
  }

  // The snapshot of a process, taken now if it has none (nullptr if it cannot be), or its
  // recorded binaries opened if it was built from kernel records and never asked for.
  ProcessSnapshot* process(pid_t tgid) {
    auto [it, inserted] = processes.try_emplace(tgid);
    if ((inserted || !it->second.taken()) && !it->second.take(tgid, modules, log)) {
      processes.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  const std::vector<FrameView>& counted() {
    if (views.size() == 1 && views[0].function.starts_with("[")) ++log.stats().unknown;
    return views;
  }

  Options options;
  ProblemLog log;
  ModuleCache modules;
  KernelSymbols kernel;
  bool kernel_loaded = false;
  std::map<pid_t, ProcessSnapshot> processes;
  FrameCache cache;
  std::vector<FrameRef> refs;    // scratch
  std::vector<FrameView> views;  // the last answer
  std::unordered_set<std::string> texts;
  std::unordered_map<std::string, OpenedFile> files;
  std::string last_path;
  const OpenedFile* last_file = nullptr;
};

Symbolizer::Symbolizer(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Symbolizer::~Symbolizer() = default;

bool Symbolizer::snapshot_process(pid_t tgid) {
  auto [it, inserted] = impl_->processes.try_emplace(tgid);
  bool ok = it->second.take(tgid, impl_->modules, impl_->log);
  if (!ok && inserted) impl_->processes.erase(it);
  return ok;
}

void Symbolizer::forget_process(pid_t tgid) {
  impl_->processes.erase(tgid);
}

void Symbolizer::record_exec(pid_t tgid) {
  impl_->processes[tgid].record_exec();
}

void Symbolizer::record_fork(pid_t child, pid_t parent) {
  const auto from = impl_->processes.find(parent);
  if (from == impl_->processes.end()) return;  // read from /proc when asked for
  const auto [it, inserted] = impl_->processes.try_emplace(child);
  // A snapshot of a process that lives (its exec was read first) is newer than the fork.
  if (!inserted && !it->second.exited()) return;
  if (!inserted) it->second = ProcessSnapshot();  // the pid was reused
  it->second.inherit(from->second);
}

void Symbolizer::record_mapping(pid_t tgid, const RecordedMapping& mapping) {
  const auto it = impl_->processes.find(tgid);
  if (it != impl_->processes.end()) it->second.record_mapping(mapping, impl_->modules, impl_->log);
}

void Symbolizer::record_exit(pid_t tgid) {
  const auto it = impl_->processes.find(tgid);
  if (it != impl_->processes.end()) it->second.record_exit();
}

uint64_t Symbolizer::process_binaries(pid_t tgid, uint64_t address, uint64_t known,
                                      std::vector<MappedBinary>* mappings) {
  ProcessSnapshot* found = impl_->process(tgid);
  if (!found) return 0;
  ProcessSnapshot& process = *found;
  // An unwinder asks while the process most likely still runs, and a library just mapped by
  // ld.so or dlopen is needed now, not at the next timed refresh: look again at once.
  if (!process.find(address))
    process.refresh(impl_->modules, impl_->log, std::chrono::milliseconds(0));
  // A sample taken before the process exec'd is unwound in the program it ran then.
  const EarlierImage* earlier = process.earlier_image(address);
  const uint64_t generation = earlier ? earlier->generation : process.generation();
  if (generation == known) return known;
  mappings->clear();
  for (const SnapshotMapping& sm : earlier ? earlier->mappings : process.mappings()) {
    MappedBinary& binary = mappings->emplace_back();
    binary.start = sm.mapping.start;
    binary.end = sm.mapping.end;
    binary.name = sm.name;
    binary.offset = sm.mapping.offset;
    binary.path = sm.mapping.path;
    if (!sm.module) continue;
    const ElfFile& file = sm.module->binary();
    binary.build_id = file.build_id();
    const auto vaddr = file.offset_to_vaddr(sm.mapping.offset);
    if (!vaddr) continue;
    binary.bias = sm.mapping.start - *vaddr;
    binary.elf = file.elf();
    binary.fd = file.fd();
  }
  return generation;
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
  ++impl_->log.stats().addresses;
  ProcessSnapshot* found = impl_->process(tgid);
  if (!found) return impl_->unknown("[unknown]", FrameKind::kUser);
  ProcessSnapshot& process = *found;
  const SnapshotMapping* mapping = process.find(address);
  // Mapped after the snapshot (libraries ld.so maps after exec, dlopen): look again.
  if (!mapping && process.refresh(impl_->modules, impl_->log)) mapping = process.find(address);
  if (!mapping || !mapping->module) {
    // JIT code lives in anonymous memory and is named by the process's perf map.
    if (!mapping || mapping->name == "[anon]" || !mapping->mapping.path.starts_with("/")) {
      if (PerfMap* map = process.perf_map()) {
        if (const PerfMap::Entry* entry = map->find(address)) {
          impl_->views.assign(
              1, FrameView{.function = entry->name,
                           .module = impl_->text("perf-" + std::to_string(tgid) + ".map"),
                           .kind = FrameKind::kJit});
          return impl_->views;
        }
      }
    }
    if (!mapping) {
      char text[32];
      snprintf(text, sizeof text, "%#" PRIx64, address);
      impl_->log.note(ProblemLog::kUnmappedAddress, std::string("address ") + text +
                                                        " of process " + std::to_string(tgid) +
                                                        " is in no executable mapping");
    }
    return impl_->unknown(mapping ? std::string_view(mapping->name) : "[unknown]",
                          FrameKind::kUser);
  }
  const Mapping& m = mapping->mapping;
  auto vaddr = mapping->module->binary().offset_to_vaddr(address - m.start + m.offset);
  if (!vaddr) return impl_->unknown(mapping->name, FrameKind::kUser);
  return impl_->module_frames(mapping->module.get(), *vaddr, mapping->name);
}

const std::vector<FrameView>& Symbolizer::view_kernel(uint64_t address) {
  ++impl_->log.stats().addresses;
  if (!impl_->kernel_loaded) {
    impl_->kernel_loaded = true;
    impl_->kernel.load();
    if (impl_->kernel.restricted()) {
      impl_->log.note(ProblemLog::kKernelRestricted,
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
  ++impl_->log.stats().addresses;
  const Impl::OpenedFile& file = impl_->file_module(path);
  if (!file.module) return impl_->unknown(file.name, FrameKind::kUser);
  uint64_t vaddr = address;
  if (kind == AddressKind::kFileOffset) {
    auto translated = file.module->binary().offset_to_vaddr(address);
    if (!translated) {
      impl_->log.note(ProblemLog::kUnmappedAddress,
                      path + ": file offset is in no loadable segment");
      return impl_->unknown(file.name, FrameKind::kUser);
    }
    vaddr = *translated;
  }
  return impl_->module_frames(file.module.get(), vaddr, file.name);
}

Stats Symbolizer::stats() const {
  Stats stats = impl_->log.stats();
  stats.binaries_parsed = impl_->modules.parsed();
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

std::string annotated_name(const Frame& frame) {
  switch (frame.kind) {
    case FrameKind::kKernel:
      return frame.function + "_[k]";
    case FrameKind::kJit:
      return frame.function + "_[j]";
    case FrameKind::kInlined:
      return frame.function + "_[i]";
    case FrameKind::kUser:
      break;
  }
  return frame.function;
}

}  // namespace kiln::symbolizer
