#include "module_cache.h"

#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "process_maps.h"

namespace kiln::symbolizer {

std::shared_ptr<BinaryModule> ModuleCache::from_fd(int fd, const std::string& path,
                                                   const std::string& root) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return nullptr;
  }
  std::string identity = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
                         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
                         "." + std::to_string(st.st_mtim.tv_nsec);
  if (auto it = by_identity_.find(identity); it != by_identity_.end()) {
    close(fd);
    return it->second;
  }
  std::string error;
  auto file = ElfFile::from_fd(fd, &error);
  if (!file) {
    log_->note(ProblemLog::kCorruptFile,
               path + ": cannot read as ELF (" + error + "); its frames show as [module]");
    by_identity_[identity] = nullptr;
    return nullptr;
  }
  std::string build_id = file->build_id();
  if (!build_id.empty()) {
    if (auto it = by_build_id_.find(build_id); it != by_build_id_.end()) {
      by_identity_[identity] = it->second;
      return it->second;
    }
  }
  auto module = std::make_shared<BinaryModule>(std::move(file), path, root, locator_,
                                               debuginfod_.get(), log_);
  ++parsed_;
  by_identity_[identity] = module;
  if (!build_id.empty()) by_build_id_[build_id] = module;
  return module;
}

std::shared_ptr<BinaryModule> ModuleCache::from_path(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    log_->note(ProblemLog::kMissingFile, "cannot open " + path + ": " + strerror(errno));
    return nullptr;
  }
  return from_fd(fd, path, "");
}

std::shared_ptr<BinaryModule> ModuleCache::vdso() {
  if (vdso_tried_) return vdso_;
  vdso_tried_ = true;
  auto base = getauxval(AT_SYSINFO_EHDR);
  std::vector<Mapping> own;
  if (!base || !read_process_maps(getpid(), &own)) return nullptr;
  for (const Mapping& m : own) {
    if (m.path == "[vdso]" && m.start == base) {
      std::string error;
      auto file =
          ElfFile::from_memory(reinterpret_cast<const void*>(base), m.end - m.start, &error);
      if (!file) return nullptr;
      // Every function of the vDSO is exported, so no debuginfod server is asked for it.
      vdso_ =
          std::make_shared<BinaryModule>(std::move(file), "[vdso]", "", locator_, nullptr, log_);
      ++parsed_;
    }
  }
  return vdso_;
}

}  // namespace kiln::symbolizer
