#include <list>
#include <unordered_map>

#include "unwind/process_dwfl.h"
#include "unwind/unwind.h"

namespace kiln::unwind {

namespace {

// Dwfls kept at once: each holds a descriptor per binary of its process, so a storm of
// short-lived processes must not keep one each; rebuilding one costs little (no parse: libdwfl
// reads .eh_frame_hdr lazily).
constexpr size_t kMaxProcesses = 128;

}  // namespace

struct UserStackUnwinder::Impl {
  explicit Impl(process::ProcessTable& p) : processes(p) {}

  ProcessDwfl* process(pid_t tgid, uint64_t pc) {
    auto it = by_tgid.find(tgid);
    const uint64_t known = it == by_tgid.end() ? 0 : it->second->second->generation();
    const uint64_t generation = processes.binaries(tgid, pc, known, &binaries);
    if (generation == 0) return nullptr;
    if (it != by_tgid.end()) {
      recent.splice(recent.begin(), recent, it->second);  // most recent first
      if (generation != known)
        recent.front().second = std::make_unique<ProcessDwfl>(tgid, binaries, generation, images);
      return recent.front().second.get();
    }
    if (recent.size() >= kMaxProcesses) {
      by_tgid.erase(recent.back().first);
      recent.pop_back();
    }
    recent.emplace_front(tgid, std::make_unique<ProcessDwfl>(tgid, binaries, generation, images));
    by_tgid[tgid] = recent.begin();
    return recent.front().second.get();
  }

  using Recent = std::list<std::pair<pid_t, std::unique_ptr<ProcessDwfl>>>;
  process::ProcessTable& processes;
  MemoryImages images;
  Recent recent;  // most recently used first
  std::unordered_map<pid_t, Recent::iterator> by_tgid;
  std::vector<process::MappedBinary> binaries;  // scratch
};

UserStackUnwinder::UserStackUnwinder(process::ProcessTable& processes)
    : impl_(std::make_unique<Impl>(processes)) {}
UserStackUnwinder::~UserStackUnwinder() = default;

UnwindEnd UserStackUnwinder::unwind(pid_t tgid, pid_t tid, const UserStackCopy& copy,
                                    std::vector<uint64_t>* pcs) {
  ProcessDwfl* process = impl_->process(tgid, copy.regs[16]);
  if (!process) {
    pcs->assign(1, copy.regs[16]);
    return UnwindEnd::kNoProcess;
  }
  UnwindEnd end = process->unwind(tid, copy, pcs);
  // A frame in no known binary: ld.so or dlopen may have mapped it since the snapshot.
  if (end != UnwindEnd::kComplete && !process->in_binary(pcs->back())) {
    const uint64_t before = process->generation();
    process = impl_->process(tgid, pcs->back());
    if (process && process->generation() != before) end = process->unwind(tid, copy, pcs);
  }
  return end;
}

const char* describe(UnwindEnd end) {
  switch (end) {
    case UnwindEnd::kComplete:
      return "complete";
    case UnwindEnd::kStackCopyShort:
      return "stack deeper than the copied --stack-size bytes";
    case UnwindEnd::kNoUnwindInfo:
      return "a frame without unwind information (no CFI, no frame pointer)";
    case UnwindEnd::kTooDeep:
      return "more than 512 frames";
    case UnwindEnd::kNoProcess:
      return "process exited before its mappings were read";
    case UnwindEnd::kNoStack:
      return "user stack not readable when sampled";
  }
  return "?";
}

}  // namespace kiln::unwind
