#include "symbolizer/kernel_symbols.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace kiln::symbolizer {

bool KernelSymbols::load(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(fopen(path.c_str(), "re"), fclose);
  if (!file) return false;
  symbols_.clear();
  bool any_nonzero = false;
  size_t lines = 0;
  char* line = nullptr;
  size_t cap = 0;
  while (getline(&line, &cap, file.get()) > 0) {
    ++lines;
    char* end = nullptr;
    uint64_t address = strtoull(line, &end, 16);
    // "ADDRESS TYPE NAME": end[2] is read only when end[1] is not the line's end.
    if (end == line || end[0] != ' ' || end[1] == '\0' || end[2] != ' ') continue;
    char type = end[1];
    // Text symbols only: data symbols would name code addresses wrongly.
    if (type != 't' && type != 'T' && type != 'w' && type != 'W') continue;
    if (address != 0) any_nonzero = true;
    char* name = end + 3;
    char* name_end = name + strcspn(name, "\t\n");
    std::string module = "[kernel]";
    if (*name_end == '\t' && name_end[1] == '[') {
      char* mod = name_end + 2;
      char* mod_end = strchr(mod, ']');
      if (mod_end) module.assign(mod, mod_end);
    }
    symbols_.push_back({address, std::string(name, name_end), std::move(module)});
  }
  free(line);
  restricted_ = lines > 0 && !any_nonzero;
  if (restricted_) symbols_.clear();
  std::stable_sort(symbols_.begin(), symbols_.end(),
                   [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
  return !symbols_.empty();
}

const KernelSymbols::Symbol* KernelSymbols::find(uint64_t address) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.address; });
  if (it == symbols_.begin()) return nullptr;
  // Several names can share an address (aliases): report the first listed, like perf.
  const Symbol* found = &*(it - 1);
  while (found != symbols_.data() && (found - 1)->address == found->address) --found;
  // Past the last symbol of a module there is no way to bound it; a module symbol more than
  // 1 MiB before the address is not taken.
  if (it == symbols_.end() && address - found->address > (1u << 20)) return nullptr;
  return found;
}

}  // namespace kiln::symbolizer
