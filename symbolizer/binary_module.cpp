#include "symbolizer/binary_module.h"

#include "symbolizer/demangler.h"

namespace kiln::symbolizer {

BinaryModule::BinaryModule(const process::Binary& binary, const DebugFileLocator& locator,
                           DebuginfodClient* debuginfod, ProblemLog* log)
    : binary_(*binary.file), path_(binary.path), debuginfod_(debuginfod), log_(log) {
  if (!binary_.has_dwarf()) debug_ = locator.find(binary_, binary.path, binary.root);
}

void BinaryModule::parse() {
  parsed_ = true;
  if (!debug_ && debuginfod_ && !binary_.has_dwarf() && !binary_.build_id().empty())
    debug_ = debuginfod_->find_debuginfo(binary_.build_id(), path_);
  symbols_.add_symbols(binary_);
  symbols_.finish();
  if (debug_) {
    debug_symbols_.add_symbols(*debug_);
    debug_symbols_.finish();
  }
  const ElfFile* dwarf_file = debug_ && debug_->has_dwarf() ? debug_.get() : &binary_;
  if (dwarf_file->has_dwarf()) {
    std::string error;
    dwarf_ = DwarfIndex::open(*dwarf_file, &error);
    if (!dwarf_) {
      log_->note(kCorruptFile, path_ + ": " + error + " (frames keep their ELF symbol names)");
    }
  }
}

std::optional<uint64_t> BinaryModule::unnamed_function_start(uint64_t vaddr) {
  if (!call_frames_) call_frames_ = CallFrameIndex::read(binary_, debug_.get());
  auto function = call_frames_->function_at(vaddr);
  return function ? std::optional(function->start) : std::nullopt;
}

const std::string& BinaryModule::display_name(const char* raw, const Symbolizer::Options& options) {
  auto [it, inserted] = names_.try_emplace(raw);
  if (inserted) {
    it->second = options.demangle ? demangle_symbol(raw, options.full_signatures) : raw;
  }
  return it->second;
}

void BinaryModule::symbolize(uint64_t vaddr, const Symbolizer::Options& options,
                             std::vector<FrameRef>* frames) {
  if (!parsed_) parse();
  frames->clear();
  scratch_.clear();
  if (dwarf_) dwarf_->lookup(vaddr, options.inlines, options.want_lines, &scratch_);
  // The containing function is named, like llvm-symbolizer does, from the binary's own
  // symbol table (exact linkage names, clone suffixes), else from DWARF. The debug file's
  // symbol table comes last, except that its mangled name beats a plain DWARF name (GCC gives
  // functions in anonymous namespaces no DW_AT_linkage_name).
  const Symbol* symbol = symbols_.find(vaddr);
  if (!symbol && (scratch_.empty() || !scratch_.back().linkage_name)) {
    const Symbol* debug_symbol = debug_symbols_.find(vaddr);
    bool dwarf_named = !scratch_.empty() && scratch_.back().name;
    if (debug_symbol && (!dwarf_named || debug_symbol->name.starts_with("_Z")))
      symbol = debug_symbol;
  }
  if (scratch_.empty() && !symbol) {
    // No name anywhere: the function is still told apart by where its FDE starts.
    if (auto start = unnamed_function_start(vaddr)) frames->push_back({.function_start = start});
    return;
  }
  if (scratch_.empty()) scratch_.push_back({});
  for (size_t i = 0; i < scratch_.size(); ++i) {
    const DwarfFrame& d = scratch_[i];
    bool outermost = i + 1 == scratch_.size();
    bool from_symbol = outermost && symbol;
    const char* raw = from_symbol ? symbol->name.c_str() : d.name;
    FrameRef frame;
    if (from_symbol || d.linkage_name) frame.mangled = raw;
    if (raw) frame.function = &display_name(raw, options);
    if (options.want_lines && d.file) {
      frame.file = d.file;
      frame.line = d.line;
    } else if (options.want_lines && outermost && symbol && symbol->file) {
      frame.file = symbol->file;  // no line table here; the symbol table knows the file
    }
    if (!frame.function && outermost) frame.function_start = unnamed_function_start(vaddr);
    frame.kind = d.inlined ? FrameKind::kInlined : FrameKind::kUser;
    frames->push_back(frame);
  }
}

}  // namespace kiln::symbolizer
