#include "symbolizer/symbol_table.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace kiln::symbolizer {

void SymbolTable::add_symbols(const ElfFile& file) {
  add_section_symbols(file, SHT_SYMTAB);
  add_section_symbols(file, SHT_DYNSYM);
  add_plt_symbols(file);
}

void SymbolTable::add_section_symbols(const ElfFile& file, uint32_t section_type) {
  Elf* elf = file.elf();
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != section_type || shdr.sh_entsize == 0) {
      continue;
    }
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) continue;
    size_t count = data->d_size / shdr.sh_entsize;
    const char* file = nullptr;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
      int type = GELF_ST_TYPE(sym.st_info);
      if (type == STT_FILE) {
        file = elf_strptr(elf, shdr.sh_link, sym.st_name);
        continue;
      }
      if (GELF_ST_BIND(sym.st_info) != STB_LOCAL) file = nullptr;
      bool code = type == STT_FUNC || type == STT_GNU_IFUNC ||
                  (type == STT_NOTYPE && GELF_ST_BIND(sym.st_info) != STB_LOCAL);
      if (!code || sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS || sym.st_value == 0) {
        continue;
      }
      const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
      // Versioned names in debug files' tables ("memcpy@@GLIBC_2.14"): the version is noise.
      // Nothing before the '@' ("@x" in a damaged table) is no name at all.
      size_t name_length = name ? strcspn(name, "@") : 0;
      if (name_length == 0) continue;
      symbols_.push_back({sym.st_value, sym.st_size, std::string(name, name_length), file});
    }
  }
}

// PLT entries hold an indirect jump through a GOT slot (`ff 25 disp32`, rip-relative); the
// relocation of that slot names the function.
void SymbolTable::add_plt_symbols(const ElfFile& file) {
  Elf* elf = file.elf();
  std::unordered_map<uint64_t, std::string> got_names;  // GOT slot address -> symbol
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_RELA) continue;
    Elf_Scn* symscn = elf_getscn(elf, shdr.sh_link);
    GElf_Shdr symhdr;
    if (!symscn || !gelf_getshdr(symscn, &symhdr)) continue;
    Elf_Data* rel_data = elf_getdata(scn, nullptr);
    Elf_Data* sym_data = elf_getdata(symscn, nullptr);
    if (!rel_data || !sym_data || shdr.sh_entsize == 0) continue;
    size_t count = rel_data->d_size / shdr.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Rela rela;
      GElf_Sym sym;
      if (!gelf_getrela(rel_data, static_cast<int>(i), &rela)) break;
      size_t symndx = GELF_R_SYM(rela.r_info);
      if (symndx == 0 || !gelf_getsym(sym_data, static_cast<int>(symndx), &sym)) continue;
      const char* name = elf_strptr(elf, symhdr.sh_link, sym.st_name);
      if (name && *name) got_names.emplace(rela.r_offset, name);
    }
  }
  if (got_names.empty()) return;

  for (const char* section : {".plt", ".plt.sec", ".plt.got"}) {
    GElf_Shdr shdr;
    Elf_Scn* scn = file.section(section, &shdr);
    auto [bytes, size] = file.section_bytes(scn);
    if (!bytes) continue;
    uint64_t entry = shdr.sh_entsize >= 8 && shdr.sh_entsize <= 32 ? shdr.sh_entsize : 16;
    for (uint64_t off = 0; off + entry <= size; off += entry) {
      for (uint64_t i = off; i + 6 <= off + entry; ++i) {
        if (bytes[i] != 0xff || bytes[i + 1] != 0x25) continue;
        int32_t disp;
        memcpy(&disp, bytes + i + 2, 4);
        uint64_t slot = shdr.sh_addr + i + 6 + static_cast<int64_t>(disp);
        auto it = got_names.find(slot);
        if (it != got_names.end())
          symbols_.push_back({shdr.sh_addr + off, entry, it->second + "@plt"});
        break;
      }
    }
  }
}

void SymbolTable::finish() {
  std::stable_sort(symbols_.begin(), symbols_.end(), [](const Symbol& a, const Symbol& b) {
    return a.address != b.address ? a.address < b.address : a.size < b.size;
  });
  // Keep the last (largest) of each address, as llvm-symbolizer does.
  std::vector<Symbol> unique;
  unique.reserve(symbols_.size());
  for (size_t i = 0; i < symbols_.size(); ++i) {
    if (i + 1 < symbols_.size() && symbols_[i + 1].address == symbols_[i].address) continue;
    unique.push_back(std::move(symbols_[i]));
  }
  symbols_ = std::move(unique);
  symbols_.shrink_to_fit();
}

const Symbol* SymbolTable::find(uint64_t address) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.address; });
  if (it == symbols_.begin()) return nullptr;
  --it;
  if (it->size != 0 && address - it->address >= it->size) return nullptr;
  return &*it;
}

}  // namespace kiln::symbolizer
