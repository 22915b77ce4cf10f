#include "unwind/process_dwfl.h"

#include <dwarf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace kiln::unwind {

namespace {

// The binaries' own .eh_frame is what unwinding reads; separate debug files (.debug_frame)
// would cost a search per module and process, and the symbolizer finds them for names. Not
// using dwfl_standard_find_debuginfo (nor dwfl_build_id_find_elf) also keeps libdwfl from
// asking the debuginfod servers in DEBUGINFOD_URLS on its own: only the symbolizer does, and
// --no-debuginfod stops it.
int no_debuginfo(Dwfl_Module*, void**, const char*, Dwarf_Addr, const char*, const char*, GElf_Word,
                 char**) {
  return -1;
}

const Dwfl_Callbacks kDwflCallbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = no_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

}  // namespace

MemoryImages::~MemoryImages() {
  for (const auto& [elf, fd] : files_) close(fd);
}

int MemoryImages::fd_for(Elf* elf) {
  for (const auto& [known, fd] : files_)
    if (known == elf) return fd;
  size_t size = 0;
  const char* image = elf_rawfile(elf, &size);
  if (!image || size == 0) return -1;
  const int fd = memfd_create("kiln-image", MFD_CLOEXEC);
  if (fd < 0) return -1;
  if (write(fd, image, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return -1;
  }
  files_.emplace_back(elf, fd);
  return fd;
}

ProcessDwfl::ProcessDwfl(pid_t tgid, const std::vector<process::MappedBinary>& binaries,
                         uint64_t generation, MemoryImages& images)
    : generation_(generation), binaries_(binaries) {
  dwfl_ = dwfl_begin(&kDwflCallbacks);
  if (!dwfl_) return;
  dwfl_report_begin(dwfl_);
  std::vector<Elf*> reported;
  Elf* any = nullptr;
  for (const process::MappedBinary& binary : binaries_) {
    if (!binary.elf || std::find(reported.begin(), reported.end(), binary.elf) != reported.end())
      continue;
    reported.push_back(binary.elf);
    const int source = binary.fd >= 0 ? binary.fd : images.fd_for(binary.elf);
    if (source < 0) continue;
    const int fd = dup(source);  // libdwfl takes it
    if (fd < 0) continue;
    // The offset 0 in the file: libdwfl reads the fd from its start, whatever we did with it.
    if (!dwfl_report_elf(dwfl_, binary.name.c_str(), binary.name.c_str(), fd, binary.bias, false)) {
      close(fd);
      continue;
    }
    any = binary.elf;
  }
  dwfl_report_end(dwfl_, nullptr, nullptr);
  static const Dwfl_Thread_Callbacks callbacks = {next_thread,           get_thread, memory_read,
                                                  set_initial_registers, nullptr,    nullptr};
  // With no module the architecture is unknown; attaching then fails and every unwind is
  // reported as lacking unwind information.
  attached_ = any && dwfl_attach_state(dwfl_, any, tgid, &callbacks, this);
}

ProcessDwfl::~ProcessDwfl() {
  if (dwfl_) dwfl_end(dwfl_);
}

pid_t ProcessDwfl::next_thread(Dwfl*, void* arg, void** thread_arg) {
  if (*thread_arg) return 0;
  *thread_arg = arg;
  return static_cast<ProcessDwfl*>(arg)->tid_;
}

bool ProcessDwfl::get_thread(Dwfl*, pid_t tid, void* arg, void** thread_arg) {
  *thread_arg = arg;
  return tid == static_cast<ProcessDwfl*>(arg)->tid_;
}

bool ProcessDwfl::memory_read(Dwfl*, Dwarf_Addr address, Dwarf_Word* result, void* arg) {
  auto* self = static_cast<ProcessDwfl*>(arg);
  const UserStackCopy& copy = *self->copy_;
  const uint64_t sp = copy.regs[7];
  if (address >= sp && address - sp + sizeof(*result) <= copy.stack.size()) {
    std::memcpy(result, copy.stack.data() + (address - sp), sizeof(*result));
    self->reads_.emplace_back(address, *result);
    return true;
  }
  if (self->read_binary(address, result)) return true;
  // Just above the copy is most likely more stack than was copied.
  if (address >= sp && address - sp < copy.stack.size() + 1024 * 1024) self->read_past_copy_ = true;
  return false;
}

const process::MappedBinary* ProcessDwfl::binary_at(uint64_t address) const {
  auto it =
      std::upper_bound(binaries_.begin(), binaries_.end(), address,
                       [](uint64_t a, const process::MappedBinary& b) { return a < b.start; });
  if (it == binaries_.begin()) return nullptr;
  --it;
  return address < it->end && it->elf ? &*it : nullptr;
}

bool ProcessDwfl::in_binary(uint64_t pc) const {
  return binary_at(pc) != nullptr;
}

// The program's (or ld.so's) entry point calls the first function without saying, in its call
// frame information, that its own caller is undefined: a stack ending there is complete.
// `pc` is the outermost frame's: a return address, or for a lone leaf the instruction itself.
bool ProcessDwfl::at_entry_point(uint64_t pc, bool return_address) const {
  const uint64_t instruction = return_address ? pc - 1 : pc;
  const process::MappedBinary* binary = binary_at(instruction);
  if (!binary) return false;
  GElf_Ehdr header;
  if (!gelf_getehdr(binary->elf, &header)) return false;
  const uint64_t entry = header.e_entry + binary->bias;
  constexpr uint64_t kEntryCodeBytes = 64;  // _start: a few moves, then the call
  return instruction >= entry && instruction - entry < kEntryCodeBytes;
}

// Read-only data of a mapped binary (a few CFI expressions and the frame-pointer fallback may
// read code or constants), from its file.
bool ProcessDwfl::read_binary(uint64_t address, Dwarf_Word* result) const {
  const process::MappedBinary* it = binary_at(address);
  if (!it) return false;
  const uint64_t vaddr = address - it->bias;
  size_t phnum = 0;
  if (elf_getphdrnum(it->elf, &phnum) != 0) return false;
  size_t size = 0;
  const char* image = elf_rawfile(it->elf, &size);
  if (!image) return false;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (!gelf_getphdr(it->elf, static_cast<int>(i), &phdr) || phdr.p_type != PT_LOAD) continue;
    if (vaddr < phdr.p_vaddr || vaddr + sizeof(*result) > phdr.p_vaddr + phdr.p_filesz) continue;
    const uint64_t offset = phdr.p_offset + (vaddr - phdr.p_vaddr);
    if (offset + sizeof(*result) > size) return false;
    std::memcpy(result, image + offset, sizeof(*result));
    return true;
  }
  return false;
}

bool ProcessDwfl::set_initial_registers(Dwfl_Thread* thread, void* thread_arg) {
  const auto* self = static_cast<ProcessDwfl*>(thread_arg);
  const uint64_t* regs = self->copy_->regs;
  Dwarf_Word words[17];
  std::copy(regs, regs + 17, words);
  if (!dwfl_thread_state_registers(thread, 0, 17, words)) return false;
  dwfl_thread_state_register_pc(thread, regs[16]);
  return true;
}

int ProcessDwfl::on_frame(Dwfl_Frame* frame, void* arg) {
  auto* self = static_cast<ProcessDwfl*>(arg);
  Dwarf_Addr pc = 0;
  if (!dwfl_frame_pc(frame, &pc, nullptr)) return DWARF_CB_ABORT;
  if (self->pcs_->size() >= UserStackUnwinder::kMaxFrames) return DWARF_CB_ABORT;
  self->pcs_->push_back(pc);
  return DWARF_CB_OK;
}

std::array<uint64_t, 5> ProcessDwfl::cache_registers(const uint64_t* regs) {
  return {regs[16], regs[7], regs[6], regs[10], regs[13]};
}

bool ProcessDwfl::recall(pid_t tid, const UserStackCopy& copy, std::vector<uint64_t>* pcs) const {
  const auto it = remembered_.find(tid);
  if (it == remembered_.end() || it->second.registers != cache_registers(copy.regs)) return false;
  const uint64_t sp = copy.regs[7];
  for (const auto& [address, value] : it->second.reads) {
    if (address - sp + sizeof(value) > copy.stack.size()) return false;
    uint64_t now;
    std::memcpy(&now, copy.stack.data() + (address - sp), sizeof(now));
    if (now != value) return false;
  }
  *pcs = it->second.pcs;
  return true;
}

UnwindEnd ProcessDwfl::unwind(pid_t tid, const UserStackCopy& copy, std::vector<uint64_t>* pcs) {
  pcs->clear();
  if (recall(tid, copy, pcs)) return UnwindEnd::kComplete;
  if (!attached_) {
    pcs->push_back(copy.regs[16]);
    return UnwindEnd::kNoUnwindInfo;
  }
  tid_ = tid;
  copy_ = &copy;
  pcs_ = pcs;
  read_past_copy_ = false;
  read_failed_ = false;
  reads_.clear();
  const int result = dwfl_getthread_frames(dwfl_, tid, on_frame, this);
  copy_ = nullptr;
  pcs_ = nullptr;
  if (pcs->empty()) pcs->push_back(copy.regs[16]);
  // libdwfl also ends without an error when a read fails (the caller's frame then reads as
  // undefined): only an end with every read answered is the thread's first function.
  // A lone frame is a whole stack only at the program's entry point.
  if (result == 0 && !read_failed_ && pcs->size() > 1) {
    constexpr size_t kMaxThreads = 4096;  // a bound for processes with many short threads
    if (remembered_.size() >= kMaxThreads) remembered_.clear();
    Remembered& remembered = remembered_[tid];
    remembered.registers = cache_registers(copy.regs);
    remembered.reads = reads_;
    remembered.pcs = *pcs;
    return UnwindEnd::kComplete;
  }
  if (pcs->size() >= UserStackUnwinder::kMaxFrames) return UnwindEnd::kTooDeep;
  if (at_entry_point(pcs->back(), pcs->size() > 1)) return UnwindEnd::kComplete;
  if (copy.stack.empty()) return UnwindEnd::kNoStack;
  return read_past_copy_ ? UnwindEnd::kStackCopyShort : UnwindEnd::kNoUnwindInfo;
}

}  // namespace kiln::unwind
