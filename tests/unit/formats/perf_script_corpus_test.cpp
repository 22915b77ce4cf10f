// PerfScriptReader against stackcollapse-perf.pl's and inferno's results on every perf script
// input of ../shared/testdata. Stacks and weights must be equal after the known bugs of those
// tools that kiln does not reproduce are undone (each rule below names one); a rule that changes
// nothing on any input fails the test, so the list stays the list of real differences.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "formats/formats.h"
#include "profile/profile.h"
#include "symbolizer/symbolizer.h"

using namespace kiln;
namespace fs = std::filesystem;

namespace {

const fs::path kFlameGraph = fs::path(KILN_SHARED_TESTDATA) / "flamegraph";
const fs::path kInferno = fs::path(KILN_SHARED_TESTDATA) / "inferno" / "collapse-perf";

using Folded = std::map<std::string, std::string>;  // stack -> weight

std::string read_input(const fs::path& path) {
  if (path.extension() == ".gz") {
    gzFile gz = gzopen(path.c_str(), "rb");
    EXPECT_NE(gz, nullptr) << path;
    std::string text;
    char buffer[1 << 16];
    for (int n; (n = gzread(gz, buffer, sizeof buffer)) > 0;) text.append(buffer, n);
    gzclose(gz);
    return text;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split(const std::string& s, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  if (!s.empty() && s.back() == separator) parts.emplace_back();
  return parts;
}

Folded parse_folded(const std::string& text) {
  Folded folded;
  for (const std::string& line : split(text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    size_t space = line.rfind(' ');
    folded[line.substr(0, space)] = line.substr(space + 1);
  }
  return folded;
}

// Facts about an input that the rules need: which frames perf found in the vDSO, and which
// addresses it printed without a symbol.
struct InputFacts {
  std::set<std::string> vdso_symbols;
  std::set<std::string> blank_symbol_modules;  // file names
  std::set<std::string> blank_symbol_addresses;
};

InputFacts facts_of(const std::string& text) {
  InputFacts facts;
  for (const std::string& line : split(text, '\n')) {
    std::istringstream words(line);
    std::string address, symbol;
    if (!(words >> address >> symbol)) continue;
    if (line.ends_with(" ([vdso])"))
      facts.vdso_symbols.insert(symbol.substr(0, symbol.find("+0x")));
    if (symbol.front() == '(' && line.ends_with(")") && line.find("  (") != std::string::npos) {
      facts.blank_symbol_modules.insert(fs::path(symbol.substr(1, symbol.size() - 2)).filename());
      facts.blank_symbol_addresses.insert(address);
    }
  }
  return facts;
}

enum class Reference { kStackcollapsePerfPl, kInferno };

// One known bug of the reference tool: a rewrite of a frame of kiln's output or of the
// reference's output that makes the two agree where only that bug separates them.
enum class Side { kKiln, kReference, kBoth };

struct Rule {
  const char* bug;
  std::set<Reference> tools;
  Side side;  // applied to kiln's frames, the reference's, or both (after the earlier rules)
  std::function<std::string(const std::string& name, const std::string& annotation,
                            const InputFacts& facts, const std::string& option)>
      rewrite;  // returns the whole frame, annotation included
};

std::string cut_at_parenthesis(const std::string& name) {
  // stackcollapse-perf.pl: everything after the first '(' but "(anonymous namespace)" is dropped,
  // unless the name looks like a Go method ("pkg.(*T).m").
  if (name.find(".(") != std::string::npos && name.find(").") != std::string::npos) return name;
  for (size_t i = name.find('('); i != std::string::npos; i = name.find('(', i + 1)) {
    if (name.compare(i, 21, "(anonymous namespace)") != 0) return name.substr(0, i);
  }
  return name;
}

const std::vector<Rule>& rules() {
  static const std::vector<Rule> kRules = {
      {"stackcollapse-perf.pl leaves Rust legacy names half demangled "
       "('_$LT$T$GT$::f::h0123456789abcdef')",
       {Reference::kStackcollapsePerfPl},
       Side::kReference,
       [](const std::string& name, const std::string& annotation, const InputFacts&,
          const std::string&) {
         return kiln::symbolizer::finish_rust_legacy_name(name) + annotation;
       }},
      {"stackcollapse-perf.pl cuts C++ names at their first '(', also inside template "
       "arguments ('std::function<int (int)>::operator()' becomes 'std::function<int ')",
       {Reference::kStackcollapsePerfPl},
       Side::kBoth,
       [](const std::string& name, const std::string& annotation, const InputFacts&,
          const std::string&) { return cut_at_parenthesis(name) + annotation; }},
      {"stackcollapse-perf.pl deletes quotes from names (JavaScript 'RegExp:[\"\\']')",
       {Reference::kStackcollapsePerfPl},
       Side::kBoth,
       [](std::string name, const std::string& annotation, const InputFacts&, const std::string&) {
         std::erase(name, '"');
         std::erase(name, '\'');
         return name + annotation;
       }},
      {"inferno keeps the '_' that escapes a Rust identifier starting with '$' "
       "('_{{closure}}' for '{{closure}}', '_<impl [T]>' for '<impl [T]>')",
       {Reference::kInferno},
       Side::kReference,
       [](std::string name, const std::string& annotation, const InputFacts&, const std::string&) {
         for (const char* escaped : {"::_{", "::_<"}) {
           for (size_t i; (i = name.find(escaped)) != std::string::npos;) name.erase(i + 2, 1);
         }
         return name + annotation;
       }},
      {"inferno cuts 'operator()' to 'operator'",
       {Reference::kInferno},
       Side::kKiln,
       [](std::string name, const std::string& annotation, const InputFacts&, const std::string&) {
         if (name.ends_with("::operator()")) name.resize(name.size() - 2);
         return name + annotation;
       }},
      {"both bracket a bracketed module twice for an address without symbol ('[[vdso]]', "
       "'[[kernel.kallsyms]]')",
       {Reference::kStackcollapsePerfPl, Reference::kInferno},
       Side::kReference,
       [](std::string name, const std::string& annotation, const InputFacts&, const std::string&) {
         if (name.starts_with("[[")) {  // "[[vdso]]" or, with --addrs, "[[vdso] <7fff>]"
           name.erase(0, 1);
           name.erase(name.find(']'), 1);
         }
         return name + annotation;
       }},
      {"both mark vDSO frames as kernel code with --kernel (the vDSO runs in user mode)",
       {Reference::kStackcollapsePerfPl, Reference::kInferno},
       Side::kReference,
       [](const std::string& name, const std::string& annotation, const InputFacts& facts,
          const std::string&) {
         bool vdso = facts.vdso_symbols.contains(name) || name == "[vdso]";
         return vdso && annotation == "_[k]" ? name : name + annotation;
       }},
      {"both print a blank frame for an address that perf printed without any symbol, where "
       "kiln names its module ('[libc-2.15.so]')",
       {Reference::kStackcollapsePerfPl, Reference::kInferno},
       Side::kKiln,
       [](const std::string& name, const std::string& annotation, const InputFacts& facts,
          const std::string&) {
         if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
           std::string inside = name.substr(1, name.size() - 2);
           size_t space = inside.find(" <");
           std::string module = inside.substr(0, space);
           bool blank =
               facts.blank_symbol_modules.contains(module) &&
               (space == std::string::npos || facts.blank_symbol_addresses.contains(inside.substr(
                                                  space + 2, inside.size() - space - 3)));
           if (blank) return " " + annotation;
         }
         return name + annotation;
       }},
  };
  return kRules;
}

std::pair<std::string, std::string> split_annotation(const std::string& frame) {
  for (const char* a : {"_[k]", "_[j]", "_[i]"}) {
    if (frame.ends_with(a)) return {frame.substr(0, frame.size() - 4), a};
  }
  return {frame, ""};
}

// Applies the rules of `tool` to one side; counts, per rule, the frames it changed.
Folded apply_rules(const Folded& folded, Reference tool, bool kiln_side, const InputFacts& facts,
                   const std::string& option, std::map<const char*, size_t>& changed) {
  Folded out;
  for (const auto& [stack, weight] : folded) {
    std::vector<std::string> frames = split(stack, ';');
    for (std::string& frame : frames) {
      for (const Rule& rule : rules()) {
        Side side = kiln_side ? Side::kKiln : Side::kReference;
        if (!rule.tools.contains(tool) || (rule.side != side && rule.side != Side::kBoth)) {
          continue;
        }
        auto [name, annotation] = split_annotation(frame);
        std::string rewritten = rule.rewrite(name, annotation, facts, option);
        if (rewritten != frame) ++changed[rule.bug];
        frame = rewritten;
      }
    }
    std::string joined;
    for (size_t i = 0; i < frames.size(); ++i) joined += (i ? ";" : "") + frames[i];
    // Rewrites may merge stacks: add the weights.
    uint64_t sum = out.contains(joined) ? std::stoull(out[joined]) : 0;
    out[joined] = std::to_string(sum + std::stoull(weight));
  }
  return out;
}

formats::PerfScriptOptions options_for(const std::string& option) {
  formats::PerfScriptOptions o;
  o.root = option == "pid"   ? formats::PerfScriptOptions::Root::kPid
           : option == "tid" ? formats::PerfScriptOptions::Root::kTid
                             : formats::PerfScriptOptions::Root::kComm;
  o.annotate_kernel = option == "kernel" || option == "all";
  o.annotate_jit = option == "jit" || option == "all";
  o.include_addrs = option == "addrs";
  return o;
}

Folded collapse(const std::string& text, const std::string& option, std::string* diagnostics) {
  profile::Profile profile;
  std::ostringstream diag;
  formats::PerfScriptReader reader(profile, options_for(option), &diag);
  EXPECT_TRUE(reader.read_text(text, "input")) << reader.error();
  std::ostringstream out;
  formats::FoldedWriter{.write_metadata = false}.write(profile, out);
  *diagnostics = diag.str();
  return parse_folded(out.str());
}

// The first frame where `stack` and the most similar stack of `folded` differ.
std::string nearest_difference(const std::string& stack, const Folded& folded) {
  std::vector<std::string> frames = split(stack, ';');
  size_t best = 0;
  std::string mine, theirs;
  for (const auto& [other, weight] : folded) {
    std::vector<std::string> o = split(other, ';');
    size_t same = 0;
    while (same < frames.size() && same < o.size() && frames[same] == o[same]) ++same;
    if (same >= best) {
      best = same;
      mine = same < frames.size() ? frames[same] : "(end)";
      theirs = same < o.size() ? o[same] : "(end)";
    }
  }
  return "nearest kiln stack differs at frame " + std::to_string(best) + ": expected '" + mine +
         "', kiln '" + theirs + "'";
}

struct Case {
  fs::path input;
  fs::path expected;
  std::string option;  // "" (defaults), all, addrs, jit, kernel, pid, tid
  Reference tool;
};

std::vector<Case> cases() {
  std::vector<Case> all;
  for (const auto& entry : fs::directory_iterator(kFlameGraph / "test")) {
    if (entry.path().extension() != ".txt") continue;
    std::string stem = entry.path().stem();
    for (const char* option : {"all", "addrs", "jit", "kernel", "pid", "tid"}) {
      std::string name = stem + "-collapsed-" + option + ".txt";
      all.push_back({entry.path(), kFlameGraph / "test" / "results" / name, option,
                     Reference::kStackcollapsePerfPl});
      if (fs::exists(kInferno / "results" / name)) {
        all.push_back({entry.path(), kInferno / "results" / name, option, Reference::kInferno});
      }
    }
  }
  for (const auto& entry : fs::directory_iterator(kInferno / "results")) {
    std::string name = entry.path().stem();
    size_t at = name.find("-collapsed");
    std::string stem = name.substr(0, at);
    std::string option = name.substr(at + 10);
    if (!option.empty()) option.erase(0, 1);
    fs::path input = stem == "example-perf-stacks" ? kFlameGraph / "example-perf-stacks.txt.gz"
                                                   : kInferno / (stem + ".txt");
    if (fs::exists(input)) all.push_back({input, entry.path(), option, Reference::kInferno});
  }
  return all;
}

}  // namespace

TEST(PerfScriptCorpus, AgreesWithStackcollapsePerfPlAndInfernoExceptForTheirNamedBugs) {
  std::vector<Case> all = cases();
  ASSERT_GE(all.size(), 13u * 6 + 9) << "missing test data in " << KILN_SHARED_TESTDATA;
  std::map<const char*, size_t> changed;
  for (const Case& c : all) {
    SCOPED_TRACE(c.input.filename().string() + " --" + c.option + " vs " +
                 c.expected.filename().string() +
                 (c.tool == Reference::kInferno ? " (inferno)" : " (stackcollapse-perf.pl)"));
    std::string text = read_input(c.input);
    InputFacts facts = facts_of(text);
    std::string diagnostics;
    Folded kiln =
        apply_rules(collapse(text, c.option, &diagnostics), c.tool, true, facts, c.option, changed);
    Folded expected =
        apply_rules(parse_folded(read_input(c.expected)), c.tool, false, facts, c.option, changed);
    ASSERT_FALSE(expected.empty() && !text.empty()) << "no expected stacks";
    for (const auto& [stack, weight] : expected) {
      auto found = kiln.find(stack);
      EXPECT_TRUE(found != kiln.end() && found->second == weight)
          << "expected " << stack << ' ' << weight << "\nkiln has "
          << (found == kiln.end() ? "no such stack; " + nearest_difference(stack, kiln)
                                  : found->second)
          << "\n"
          << diagnostics;
    }
    for (const auto& [stack, weight] : kiln) {
      EXPECT_TRUE(expected.contains(stack))
          << "kiln has an extra stack: " << stack << ' ' << weight;
    }
  }
  for (const Rule& rule : rules()) {
    EXPECT_GT(changed[rule.bug], 0u) << "the rule changes nothing on the corpus: " << rule.bug;
  }
}
