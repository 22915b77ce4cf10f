#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "process/process.h"
#include "process/process_maps.h"

namespace kiln::process {

std::shared_ptr<const Binary> BinaryCache::add(std::unique_ptr<ElfFile> file,
                                               const std::string& path, const std::string& root) {
  auto binary = std::make_shared<Binary>(Binary{std::move(file), path, root, ++opened_});
  if (on_open_) on_open_(*binary);
  return binary;
}

std::shared_ptr<const Binary> BinaryCache::from_fd(int fd, const std::string& path,
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
    log_->note(kCorruptFile,
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
  std::shared_ptr<const Binary> binary = add(std::move(file), path, root);
  by_identity_[identity] = binary;
  if (!build_id.empty()) by_build_id_[build_id] = binary;
  return binary;
}

std::shared_ptr<const Binary> BinaryCache::from_path(const std::string& path) {
  auto [it, inserted] = by_path_.try_emplace(path);
  if (!inserted) return it->second;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    log_->note(kMissingFile, "cannot open " + path + ": " + strerror(errno));
    return nullptr;
  }
  it->second = from_fd(fd, path, "");
  return it->second;
}

std::shared_ptr<const Binary> BinaryCache::with_build_id(const std::string& build_id) const {
  auto it = by_build_id_.find(build_id);
  return it == by_build_id_.end() ? nullptr : it->second;
}

void BinaryCache::for_each(const std::function<void(const Binary&)>& visit) const {
  std::set<const Binary*> visited;
  for (const auto* binaries : {&by_identity_, &by_build_id_})
    for (const auto& [key, binary] : *binaries)
      if (binary && visited.insert(binary.get()).second) visit(*binary);
  if (vdso_) visit(*vdso_);
}

std::shared_ptr<const Binary> BinaryCache::vdso() {
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
      vdso_ = add(std::move(file), "[vdso]", "");
    }
  }
  return vdso_;
}

size_t BinaryCache::forget_unmapped(const std::set<const Binary*>& mapped,
                                    std::chrono::steady_clock::duration age) {
  const auto now = std::chrono::steady_clock::now();
  std::set<const Binary*> kept(mapped);
  for (const auto& [path, binary] : by_path_) kept.insert(binary.get());
  std::set<const Binary*> forget;
  for_each([&](const Binary& binary) {
    if (&binary == vdso_.get()) return;
    if (kept.count(&binary)) {
      unmapped_since_.erase(&binary);
      return;
    }
    const auto since = unmapped_since_.try_emplace(&binary, now).first->second;
    if (now - since >= age) forget.insert(&binary);
  });
  if (forget.empty()) return 0;
  if (on_forget_) on_forget_({forget.begin(), forget.end()});
  for (const Binary* binary : forget) unmapped_since_.erase(binary);
  for (auto* binaries : {&by_identity_, &by_build_id_})
    std::erase_if(*binaries,
                  [&forget](const auto& entry) { return forget.count(entry.second.get()); });
  return forget.size();
}

}  // namespace kiln::process
