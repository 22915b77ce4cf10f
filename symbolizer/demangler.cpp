#include "symbolizer/demangler.h"

#include <llvm/Demangle/Demangle.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace kiln::symbolizer {
namespace {

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using MallocString = std::unique_ptr<char, FreeDeleter>;

bool starts_with_operator_at(std::string_view s, size_t i) {
  if (s.compare(i, 8, "operator") != 0) return false;
  return i == 0 || !(isalnum(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '_');
}

// Length of the operator token at s[i] ("operator()", "operator<<=", "operator new[]"), so
// that its brackets are not taken for nesting.
size_t operator_length(std::string_view s, size_t i) {
  size_t j = i + 8;
  static const char* const kSymbolic[] = {
      "()", "[]", "<=>", "<<=", ">>=", "->*", "<<", ">>", "<=", ">=", "->", "<",  ">",
      "==", "!=", "&&",  "||",  "++",  "--",  "+=", "-=", "*=", "/=", "%=", "&=", "|=",
      "^=", "+",  "-",   "*",   "/",   "%",   "&",  "|",  "^",  "~",  "!",  "=",  ","};
  for (const char* op : kSymbolic) {
    if (s.compare(j, strlen(op), op) == 0) return j + strlen(op) - i;
  }
  return 8;  // operator new/delete/conversion: words and brackets handled normally
}

// One identifier of a Rust legacy path, its escapes ("$LT$", "$u7b$", ..) decoded.
void append_rust_legacy_identifier(std::string& out, std::string_view part) {
  static const std::pair<const char*, const char*> kEscapes[] = {
      {"$SP$", "@"},  {"$BP$", "*"},  {"$RF$", "&"},   {"$LT$", "<"},  {"$GT$", ">"},
      {"$LP$", "("},  {"$RP$", ")"},  {"$C$", ","},    {"$u20$", " "}, {"$u27$", "'"},
      {"$u5b$", "["}, {"$u5d$", "]"}, {"$u7b$", "{"},  {"$u7d$", "}"}, {"$u7e$", "~"},
      {"$u3b$", ";"}, {"$u2b$", "+"}, {"$u22$", "\""}, {"..", "::"}};
  if (part.starts_with("_$")) part.remove_prefix(1);  // escaped leading '$'
  for (size_t k = 0; k < part.size();) {
    bool replaced = false;
    for (auto [from, to] : kEscapes) {
      if (part.compare(k, strlen(from), from) == 0) {
        out += to;
        k += strlen(from);
        replaced = true;
        break;
      }
    }
    if (!replaced) out += part[k++];
  }
}

bool is_rust_hash(std::string_view s) {
  if (s.size() != 17 || s[0] != 'h') return false;
  for (size_t k = 1; k < s.size(); ++k) {
    if (!isxdigit(static_cast<unsigned char>(s[k]))) return false;
  }
  return true;
}

// Rust legacy symbols: "_ZN" (length, identifier)... "17h<16 hex digits>E", identifiers with
// "$LT$"-style escapes and ".." for "::" (LLVM's Itanium demangler rejects the '$').
bool demangle_rust_legacy(const std::string& mangled, bool keep_hash, std::string* out) {
  if (!mangled.starts_with("_ZN") || !mangled.ends_with("E")) return false;
  std::vector<std::string> parts;
  size_t i = 3;
  while (i < mangled.size() - 1) {
    if (!isdigit(static_cast<unsigned char>(mangled[i]))) return false;
    size_t length = 0;
    while (i < mangled.size() && isdigit(static_cast<unsigned char>(mangled[i]))) {
      length = length * 10 + static_cast<size_t>(mangled[i++] - '0');
      if (length > mangled.size()) return false;
    }
    if (i + length > mangled.size() - 1) return false;
    parts.push_back(mangled.substr(i, length));
    i += length;
  }
  if (parts.size() < 2 || !is_rust_hash(parts.back())) return false;
  if (!keep_hash) parts.pop_back();
  out->clear();
  for (size_t p = 0; p < parts.size(); ++p) {
    if (p > 0) *out += "::";
    append_rust_legacy_identifier(*out, parts[p]);
  }
  return true;
}

}  // namespace

std::string finish_rust_legacy_name(std::string_view name) {
  // "a::b::h0123456789abcdef": the last "::" separates the hash.
  constexpr size_t kHashPart = 2 + 17;
  if (name.size() <= kHashPart || name.compare(name.size() - kHashPart, 2, "::") != 0 ||
      !is_rust_hash(name.substr(name.size() - 17))) {
    return std::string(name);
  }
  name.remove_suffix(kHashPart);
  std::string out;
  out.reserve(name.size());
  for (size_t start = 0;;) {
    size_t end = name.find("::", start);
    append_rust_legacy_identifier(out, name.substr(start, end - start));
    if (end == std::string_view::npos) break;
    out += "::";
    start = end + 2;
  }
  return out;
}

std::string strip_enclosing_parameters(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  size_t segment_start = 0;  // in `out`
  int depth = 0;
  // Position in `out` of the '(' opening the last top-level parenthesis group of the segment.
  size_t params_open = std::string::npos;
  for (size_t i = 0; i < name.size();) {
    if (starts_with_operator_at(name, i)) {
      size_t n = operator_length(name, i);
      out.append(name.substr(i, n));
      i += n;
      continue;
    }
    char c = name[i];
    if (c == '<' || c == '(' || c == '[' || c == '{') {
      if (c == '(' && depth == 0) params_open = out.size();
      ++depth;
    } else if (c == '>' || c == ')' || c == ']' || c == '}') {
      if (depth > 0) --depth;
    } else if (depth == 0 && c == ':' && i + 1 < name.size() && name[i + 1] == ':') {
      std::string_view segment(out.data() + segment_start, out.size() - segment_start);
      bool is_lambda = segment.starts_with("'lambda") || segment.starts_with("{lambda") ||
                       segment.starts_with("'unnamed") || segment.starts_with("{unnamed");
      // A group at the segment's start is a name: "(anonymous namespace)".
      bool has_params = params_open != std::string::npos && params_open > segment_start;
      if (has_params && !is_lambda) out.resize(params_open);
      out += "::";
      i += 2;
      segment_start = out.size();
      params_open = std::string::npos;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

std::string demangle_symbol(std::string_view symbol, bool full_signature) {
  std::string mangled(symbol);
  if (mangled.starts_with("_R")) {
    int status = 0;
    MallocString out(llvm::rustDemangle(mangled.c_str(), nullptr, nullptr, &status));
    return status == 0 && out ? std::string(out.get()) : mangled;
  }
  if (!mangled.starts_with("_Z") && !mangled.starts_with("__Z")) return mangled;
  std::string rust;
  if (demangle_rust_legacy(mangled, full_signature, &rust)) return rust;
  const char* start = mangled.c_str() + (mangled[1] == '_' ? 1 : 0);

  llvm::ItaniumPartialDemangler demangler;
  if (demangler.partialDemangle(start)) return mangled;  // not a valid Itanium name
  // The demangler keeps pointers into the name it parsed: `base` lives to the end.
  std::string base;
  if (!full_signature && !demangler.isFunction()) {
    // A GCC clone ("_Z3fooi.constprop.0") is a function once its suffix is cut; single dots
    // only, since Rust legacy names contain "..".
    const char* dot = strchr(start, '.');
    while (dot && dot[1] == '.') dot = strchr(dot + 2, '.');
    if (dot) {
      base.assign(start, dot);
      if (demangler.partialDemangle(base.c_str()) != 0 || !demangler.isFunction()) {
        if (demangler.partialDemangle(start)) return mangled;
      }
    }
  }
  std::string name;
  if (!full_signature && demangler.isFunction()) {
    size_t n = 0;
    MallocString buf(demangler.getFunctionName(nullptr, &n));
    if (!buf) return mangled;
    name = strip_enclosing_parameters(buf.get());
  } else {
    size_t n = 0;
    MallocString buf(demangler.finishDemangle(nullptr, &n));
    if (!buf) return mangled;
    name = buf.get();
  }
  return name;
}

}  // namespace kiln::symbolizer
