// Frame names from `perf script` stack lines.
#include "formats/perf_frame_names.h"

#include "symbolizer/symbolizer.h"

namespace kiln::formats {

namespace {

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return !s.empty();
}

bool is_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

std::string_view basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// "vmlinux", "vmlinux-5.4.14-cloudflare-2020.1.11": a kernel image, possibly versioned.
bool is_vmlinux(std::string_view file) {
  if (!file.starts_with("vmlinux")) return false;
  for (char c : file.substr(7)) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Bracketed names perf gives to user-space memory: not kernel code even though the vDSO is
// provided by the kernel (it runs in user mode, and kiln record names it as user code).
bool is_user_space_bracket(std::string_view module) {
  return module == "[vdso]" || module == "[vsyscall]" || module == "[vvar]" || module == "[heap]" ||
         module == "[stack]" || module == "[uprobes]" || module.starts_with("[anon");
}

// Length of the operator token after "operator" at name[i] when it is symbolic ("()", "<<",
// "->*"), 0 otherwise; its brackets are not nesting.
size_t symbolic_operator_length(std::string_view name, size_t i) {
  if (name.compare(i, 2, "()") == 0) return 2;
  size_t n = 0;
  while (i + n < name.size() &&
         std::string_view("[]<>=!+-*/%&|^~,").find(name[i + n]) != std::string_view::npos) {
    ++n;
  }
  return n;
}

// stackcollapse-perf.pl's frame for a symbol-less address: the module's file name in brackets.
std::string unknown_frame(const PerfStackLine& line, bool include_addrs) {
  std::string_view module = line.module;
  std::string name;
  if (module == "[unknown]" || module.empty()) {
    name = "unknown";
  } else if (module.front() == '[' && module.back() == ']') {
    name = module.substr(1, module.size() - 2);  // "[vdso]", not "[[vdso]]"
  } else {
    name = basename(module);
  }
  if (include_addrs) {
    name += " <";
    name += line.address;
    name += '>';
  }
  return '[' + name + ']';
}

std::string tidy_name(std::string_view function, bool java) {
  std::string name(function.substr(0, parameter_list_start(function)));
  // Old perf demangled Rust legacy symbols only halfway: "_$LT$T$GT$::f::h0123456789abcdef".
  if (name.find("::h") != std::string::npos) name = symbolizer::finish_rust_legacy_name(name);
  for (char& c : name) {
    if (c == ';') c = ':';  // ';' separates frames in folded stacks
  }
  // Java method signatures from perf maps: "Lorg/mozilla/Foo;::bar" names class org/mozilla/Foo.
  if (java && name.starts_with('L') && name.find('/') != std::string::npos) name.erase(0, 1);
  return name;
}

}  // namespace

PerfModuleKind classify_perf_module(std::string_view module) {
  if (module == "[unknown]") return PerfModuleKind::kUnknown;
  if (module == "inlined") return PerfModuleKind::kInlined;
  if (module.starts_with('[')) {
    return is_user_space_bracket(module) ? PerfModuleKind::kUser : PerfModuleKind::kKernel;
  }
  std::string_view file = basename(module);
  if (file.ends_with(".ko") || is_vmlinux(file)) return PerfModuleKind::kKernel;
  if (file.starts_with("perf-") && file.ends_with(".map") &&
      is_digits(file.substr(5, file.size() - 9))) {
    return PerfModuleKind::kJit;
  }
  if (file.starts_with("jitted-") && file.ends_with(".so")) return PerfModuleKind::kJit;
  return PerfModuleKind::kUser;
}

size_t parameter_list_start(std::string_view name) {
  int depth = 0;  // may go below zero on a stray closing bracket; then nothing is cut
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == 'o' && name.compare(i, 8, "operator") == 0) {
      i += 7 + symbolic_operator_length(name, i + 8);
    } else if (c == '<' || c == '[' || c == '{') {
      ++depth;
    } else if (c == '>' || c == ']' || c == '}' || c == ')') {
      --depth;
    } else if (c == '(') {
      bool go_receiver = i > 0 && name[i - 1] == '.';
      if (depth == 0 && !go_receiver && name.compare(i, 21, "(anonymous namespace)") != 0) {
        return i;
      }
      ++depth;
    }
  }
  return name.size();
}

void perf_frames(const PerfStackLine& line, const PerfScriptOptions& options, bool java,
                 std::vector<PerfFrame>& frames) {
  std::string_view symbol = line.symbol;
  // Since Linux 4.8 perf prints offsets: "cpu_startup_entry+0x800047c022ec".
  if (size_t plus = symbol.rfind("+0x");
      plus != std::string_view::npos && is_hex(symbol.substr(plus + 3))) {
    symbol.remove_suffix(symbol.size() - plus);
  }
  // A process name, not a frame ("(anonymous namespace)::f" is a frame, which
  // stackcollapse-perf.pl drops too).
  if (symbol.starts_with('(') && !symbol.starts_with("(anonymous namespace)")) return;
  PerfModuleKind kind = classify_perf_module(line.module);
  // perf maps of Java agents that unfold inlining write "outer->inner->innermost".
  bool first = true;
  for (size_t start = 0;;) {
    size_t arrow = symbol.find("->", start);
    std::string_view function = symbol.substr(start, arrow - start);
    std::string name = function == "[unknown]" || function.empty()
                           ? unknown_frame(line, options.include_addrs)
                           : tidy_name(function, java);
    // Names that already hold the annotation anywhere are not annotated again.
    FrameKind annotated = FrameKind::kUser;
    if (!first || (kind == PerfModuleKind::kInlined && options.annotate_inline)) {
      if (name.find("_[i]") == std::string::npos) annotated = FrameKind::kInlined;
    } else if (kind == PerfModuleKind::kKernel && options.annotate_kernel) {
      annotated = FrameKind::kKernel;
    } else if (kind == PerfModuleKind::kJit && options.annotate_jit) {
      if (name.find("_[j]") == std::string::npos) annotated = FrameKind::kJit;
    }
    if (annotated != FrameKind::kUser) {
      frames.push_back({std::move(name), annotated});
    } else {
      const Frame read = folded_frame(name);  // the symbol's own text, as folded text reads it
      frames.push_back({std::string(read.name), read.kind});
    }
    first = false;
    if (arrow == std::string_view::npos) break;
    start = arrow + 2;
  }
}

}  // namespace kiln::formats
