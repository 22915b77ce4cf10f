#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "process/process_maps.h"
#include "process/process_snapshot.h"

namespace kiln::process {

namespace {

// Drops the resident pages of the file libelf mapped for `file` (MADV_DONTNEED: a private
// read-only file mapping is read back from the page cache when touched). Only a mapping of
// that very file in kiln's `own` mappings: libelf reads a file it cannot map into its heap,
// which must not be dropped.
void release_file_pages(const ElfFile& file, const std::vector<Mapping>& own) {
  if (file.fd() < 0) return;  // an image in memory (the vDSO)
  size_t size = 0;
  const char* image = elf_rawfile(file.elf(), &size);
  struct stat st;
  if (!image || size == 0 || fstat(file.fd(), &st) != 0) return;
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t start = reinterpret_cast<uintptr_t>(image) & ~(page - 1);
  const uint64_t end = reinterpret_cast<uintptr_t>(image) + size;
  for (const Mapping& m : own) {
    if (m.start <= start && end <= m.end && m.inode == st.st_ino && !m.path.empty()) {
      madvise(reinterpret_cast<void*>(start), (end - start + page - 1) & ~(page - 1),
              MADV_DONTNEED);
      return;
    }
  }
}

}  // namespace

ProcessTable::ProcessTable() : binaries_(&log_) {}
ProcessTable::~ProcessTable() = default;

ProcessSnapshot* ProcessTable::process(pid_t tgid) {
  auto [it, inserted] = processes_.try_emplace(tgid);
  if (inserted) it->second = std::make_unique<ProcessSnapshot>();
  // Built from kernel records and never asked for: its recorded binaries are opened now.
  if ((inserted || !it->second->taken()) && !it->second->take(tgid, binaries_, log_)) {
    processes_.erase(it);
    return nullptr;
  }
  return it->second.get();
}

bool ProcessTable::snapshot(pid_t tgid) {
  auto [it, inserted] = processes_.try_emplace(tgid);
  if (inserted) it->second = std::make_unique<ProcessSnapshot>();
  bool ok = it->second->take(tgid, binaries_, log_);
  if (!ok && inserted) processes_.erase(it);
  return ok;
}

bool ProcessTable::forget(pid_t tgid) {
  const auto it = processes_.find(tgid);
  if (it == processes_.end() || !it->second->exited()) return false;
  processes_.erase(it);
  return true;
}

std::vector<pid_t> ProcessTable::exited(std::chrono::steady_clock::duration age) const {
  const auto before = std::chrono::steady_clock::now() - age;
  std::vector<pid_t> exited;
  for (const auto& [tgid, process] : processes_)
    if (process->exited() && process->exited_at() <= before) exited.push_back(tgid);
  return exited;
}

size_t ProcessTable::release_unmapped_binaries(std::chrono::steady_clock::duration forget_after) {
  std::set<const Binary*> mapped;
  for (const auto& [tgid, process] : processes_) process->binaries(&mapped);
  const size_t forgotten = binaries_.forget_unmapped(mapped, forget_after);
  std::vector<Mapping> own;
  if (!read_process_maps(getpid(), &own)) return forgotten;
  binaries_.for_each([&](const Binary& binary) {
    if (!mapped.count(&binary)) release_file_pages(*binary.file, own);
  });
  return forgotten;
}

void ProcessTable::record_exec(pid_t tgid) {
  std::unique_ptr<ProcessSnapshot>& process = processes_[tgid];
  if (!process) process = std::make_unique<ProcessSnapshot>();
  process->record_exec();
}

void ProcessTable::record_fork(pid_t child, pid_t parent) {
  const auto from = processes_.find(parent);
  if (from == processes_.end()) return;  // read from /proc when asked for
  const auto [it, inserted] = processes_.try_emplace(child);
  // A snapshot of a process that lives (its exec was read first) is newer than the fork.
  if (!inserted && !it->second->exited()) return;
  it->second = std::make_unique<ProcessSnapshot>();  // new, or the pid was reused
  it->second->inherit(*from->second);
}

void ProcessTable::record_mapping(pid_t tgid, const RecordedMapping& mapping) {
  const auto it = processes_.find(tgid);
  if (it != processes_.end()) it->second->record_mapping(mapping, binaries_, log_);
}

void ProcessTable::record_exit(pid_t tgid) {
  const auto it = processes_.find(tgid);
  if (it != processes_.end()) it->second->record_exit();
}

const SnapshotMapping* ProcessTable::find(pid_t tgid, uint64_t address, bool* known) {
  ProcessSnapshot* process = this->process(tgid);
  *known = process != nullptr;
  if (!process) return nullptr;
  const SnapshotMapping* mapping = process->find(address);
  // Mapped after the snapshot (libraries ld.so maps after exec, dlopen): look again.
  if (!mapping && process->refresh(binaries_, log_)) mapping = process->find(address);
  return mapping;
}

const std::string* ProcessTable::jit_symbol(pid_t tgid, uint64_t address) {
  const auto it = processes_.find(tgid);
  if (it == processes_.end()) return nullptr;
  PerfMap* map = it->second->perf_map();
  const PerfMap::Entry* entry = map ? map->find(address) : nullptr;
  return entry ? &entry->name : nullptr;
}

uint64_t ProcessTable::binaries(pid_t tgid, uint64_t address, uint64_t known,
                                std::vector<MappedBinary>* mappings) {
  ProcessSnapshot* found = process(tgid);
  if (!found) return 0;
  ProcessSnapshot& process = *found;
  // An unwinder asks while the process most likely still runs, and a library just mapped by
  // ld.so or dlopen is needed now, not at the next timed refresh: look again at once.
  if (!process.find(address)) process.refresh(binaries_, log_, std::chrono::milliseconds(0));
  // A sample taken before the process exec'd is unwound in the program it ran then.
  const EarlierImage* earlier = process.earlier_image(address);
  const uint64_t generation = earlier ? earlier->generation : process.generation();
  if (generation == known) return known;
  mappings->clear();
  for (const SnapshotMapping& sm : earlier ? earlier->mappings : process.mappings()) {
    MappedBinary& binary = mappings->emplace_back();
    binary.start = sm.start;
    binary.end = sm.end;
    binary.name = sm.name;
    binary.offset = sm.offset;
    binary.path = sm.path;
    if (!sm.binary) continue;
    const ElfFile& file = *sm.binary->file;
    binary.build_id = file.build_id();
    const auto vaddr = file.offset_to_vaddr(sm.offset);
    if (!vaddr) continue;
    binary.bias = sm.start - *vaddr;
    binary.elf = file.elf();
    binary.fd = file.fd();
  }
  return generation;
}

}  // namespace kiln::process
