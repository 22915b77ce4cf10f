// PerfScriptReader on hand-made perf script text: roots, annotations, names, events, weights,
// and bad input (its messages name the line).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "formats/formats.h"
#include "formats/perf_frame_names.h"
#include "profile/profile.h"

using namespace kiln;
namespace fs = std::filesystem;

namespace {

struct Collapsed {
  std::string folded;  // merged and sorted, without metadata
  std::string diagnostics;
  std::string error;
  bool ok = false;
  uint64_t bad = 0;
  uint64_t filtered = 0;
  profile::ProfileMetadata metadata;
};

Collapsed collapse(std::string_view text, formats::PerfScriptOptions options = {}) {
  profile::Profile profile;
  std::ostringstream diag;
  formats::PerfScriptReader reader(profile, options, &diag);
  Collapsed c;
  c.ok = reader.read_text(text, "perf.txt");
  std::ostringstream out;
  formats::FoldedWriter{.write_metadata = false}.write(profile, out);
  c.folded = out.str();
  c.diagnostics = diag.str();
  c.error = reader.error();
  c.bad = reader.bad_lines();
  c.filtered = reader.samples_filtered();
  c.metadata = profile.metadata;
  return c;
}

// perf 6.1's `perf script` with --call-graph dwarf: inlined frames have the module "(inlined)".
constexpr std::string_view kInlined =
    "inl  6424   290.134774:     250000 cpu-clock:ppp: \n"
    "\t            1194 leaf+0x24 (inlined)\n"
    "\t            1194 mid+0x24 (inlined)\n"
    "\t            1194 work+0x24 (/tmp/pt/inl)\n"
    "\t            1061 main+0x21 (/tmp/pt/inl)\n"
    "\tffffffff81000c82 asm_exc_page_fault+0x22 ([kernel.kallsyms])\n"
    "\n"
    "inl  6424   290.135024:     250000 cpu-clock:ppp: \n"
    "\t            1061 main+0x21 (/tmp/pt/inl)\n"
    "\n";

}  // namespace

TEST(PerfScriptReader, FoldsRootFirstWithPeriodWeightsAndNoAnnotationsByDefault) {
  Collapsed c = collapse(kInlined);
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_EQ(c.folded,
            "inl;asm_exc_page_fault;main;work;mid;leaf 250000\n"
            "inl;main 250000\n");
  EXPECT_EQ(c.metadata.count_name, "ns");  // cpu-clock periods are nanoseconds
}

TEST(PerfScriptReader, AnnotatesKernelAndInlinedFramesWhenAsked) {
  formats::PerfScriptOptions options;
  options.annotate_kernel = options.annotate_inline = true;
  options.sample_counts = true;
  Collapsed c = collapse(kInlined, options);
  EXPECT_EQ(c.folded,
            "inl;asm_exc_page_fault_[k];main;work;mid_[i];leaf_[i] 1\n"
            "inl;main 1\n");
  EXPECT_EQ(c.metadata.count_name, "samples");
}

// The frames keep what perf's columns said: the kind the annotation options gave (or, without
// them, a user frame) and the module.
TEST(PerfScriptReader, FramesKeepTheirKindAndModule) {
  for (bool annotate : {true, false}) {
    formats::PerfScriptOptions options;
    options.annotate_kernel = options.annotate_inline = annotate;
    profile::Profile p;
    formats::PerfScriptReader reader(p, options, nullptr);
    ASSERT_TRUE(reader.read_text(kInlined, "perf.txt"));
    const auto frame = [&](std::string_view name) {
      const std::optional<profile::FrameId> id = p.find(name);
      EXPECT_TRUE(id.has_value()) << name;
      return id ? p.frame(*id) : profile::Frame{};
    };
    const profile::Frame fault = frame(annotate ? "asm_exc_page_fault_[k]" : "asm_exc_page_fault");
    EXPECT_EQ(fault.name, "asm_exc_page_fault");
    EXPECT_EQ(fault.kind, annotate ? profile::FrameKind::kKernel : profile::FrameKind::kUser);
    EXPECT_EQ(fault.module, "[kernel.kallsyms]");
    const profile::Frame mid = frame(annotate ? "mid_[i]" : "mid");
    EXPECT_EQ(mid.kind, annotate ? profile::FrameKind::kInlined : profile::FrameKind::kUser);
    EXPECT_EQ(mid.module, "");  // perf's "(inlined)" is no module
    EXPECT_EQ(frame("main").module, "/tmp/pt/inl");
  }
}

TEST(PerfScriptReader, RootsAreCommOrCommPidOrCommPidTid) {
  constexpr std::string_view text =
      "V8 WorkerThread 24636/25607 [000] 94564.109216: 100 cycles:\n"
      "\t7f1 f (/usr/bin/node)\n\n"
      "java 12688 [002] 6544038.708352: 235 cycles:\n"
      "\t7f2 g (/usr/bin/java)\n\n";
  EXPECT_EQ(collapse(text).folded, "V8_WorkerThread;f 100\njava;g 235\n");
  formats::PerfScriptOptions pid;
  pid.root = formats::PerfScriptOptions::Root::kPid;
  EXPECT_EQ(collapse(text, pid).folded, "V8_WorkerThread-24636;f 100\njava-?;g 235\n");
  formats::PerfScriptOptions tid;
  tid.root = formats::PerfScriptOptions::Root::kTid;
  EXPECT_EQ(collapse(text, tid).folded, "V8_WorkerThread-24636/25607;f 100\njava-?/12688;g 235\n");
}

TEST(PerfScriptReader, NamesUnknownFramesByModuleAndKeepsAddressesOnRequest) {
  constexpr std::string_view text =
      "app 1 1.0: 1 cycles:\n"
      "\t7f10 [unknown] (/usr/lib/libfoo.so.1)\n"
      "\t7f20 [unknown] ([unknown])\n"
      "\t7f30 [unknown] ([vdso])\n"
      "\t7f40 main (/usr/bin/app)\n\n";
  EXPECT_EQ(collapse(text).folded, "app;main;[vdso];[unknown];[libfoo.so.1] 1\n");
  formats::PerfScriptOptions addrs;
  addrs.include_addrs = true;
  EXPECT_EQ(collapse(text, addrs).folded,
            "app;main;[vdso <7f30>];[unknown <7f20>];[libfoo.so.1 <7f10>] 1\n");
}

TEST(PerfScriptReader, TidiesNamesLikeFlamegraphWithoutCuttingTemplates) {
  constexpr std::string_view text =
      "java 5 1.0: 1 cycles:\n"
      "\t1 Lorg/mozilla/Foo;::call(Ljava/lang/Object;)V (/tmp/perf-5.map)\n"
      "\t2 std::function<int (int, int)>::operator()(int, int) const (/usr/bin/java)\n"
      "\t3 (anonymous namespace)::f(int)+0x10 (/usr/bin/java)\n"
      "\t4 regexp/syntax.(*parser).push+0xa6 (/usr/bin/java)\n"
      "\t5 Lfoo/Bar;::outer->Lfoo/Bar;::inner+0x4b (/tmp/perf-5.map)\n"
      "\t6 emulator::main::hc2aaa9b4591a10c7 (/usr/bin/java)\n"
      "\t7 RegExp:[&<>\"'] (/tmp/perf-5.map)\n\n";
  formats::PerfScriptOptions options;
  options.annotate_jit = true;
  EXPECT_EQ(collapse(text, options).folded,
            "java;RegExp:[&<>\"']_[j];emulator::main;foo/Bar:::outer_[j];foo/Bar:::inner_[i];"
            "regexp/syntax.(*parser).push;(anonymous namespace)::f;"
            "std::function<int (int, int)>::operator();org/mozilla/Foo:::call_[j] 1\n");
}

TEST(PerfScriptReader, KeepsTheFirstEventUnlessAnotherIsChosen) {
  constexpr std::string_view text =
      "a 1 1.0: 10 cycles:u:\n\t1 f (/bin/a)\n\n"
      "a 1 1.1: 20 instructions:u:\n\t1 g (/bin/a)\n\n"
      "a 1 1.2: 30 cycles:u:\n\t1 f (/bin/a)\n\n";
  Collapsed first = collapse(text);
  EXPECT_EQ(first.folded, "a;f 40\n");
  EXPECT_EQ(first.filtered, 1u);
  EXPECT_NE(first.diagnostics.find("kept only 'cycles:u'"), std::string::npos);
  EXPECT_EQ(first.metadata.count_name, "cycles");
  formats::PerfScriptOptions options;
  options.event_filter = "instructions";  // matches "instructions:u"
  EXPECT_EQ(collapse(text, options).folded, "a;g 20\n");
}

TEST(PerfScriptReader, KeepsTheLastSampleWithoutBlankLineAndSingleLineSamples) {
  EXPECT_EQ(collapse("a 1 1.0: 5 cycles:\n\t1 f (/bin/a)\n\t2 main (/bin/a)\n").folded,
            "a;main;f 5\n");
  // perf script -F comm,pid,time,period,event,ip,sym,dso: no call graph, one line per sample.
  EXPECT_EQ(
      collapse("   false 39654 19115.489713: 1 cycles:u:  ffff9b201293 g ([kernel.kallsyms])\n"
               "   false 39654 19115.489719: 1 cycles:u:  7fa68b1f2d84 g (/lib/ld.so)\n")
          .folded,
      "false;g 2\n");
}

TEST(PerfScriptReader, ReportsUnreadableLinesWithTheirNumbersAndSkipsThem) {
  Collapsed c = collapse(
      "# a comment\n"
      "a 1 1.0: 5 cycles:\n"
      "\tTHIS_IS_A_WEIRD_LINE\n"
      "\t1 f (/bin/a)\n"
      "\n"
      "\t2 stray (/bin/a)\n"
      "a 1 1.1: 5 cycles:\n"
      "\t1 f (/bin/a)\n\n");
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(c.bad, 2u);
  EXPECT_NE(c.diagnostics.find("perf.txt:3: not a stack line"), std::string::npos) << c.diagnostics;
  EXPECT_NE(c.diagnostics.find("perf.txt:6: a stack line outside a sample"), std::string::npos)
      << c.diagnostics;
  EXPECT_EQ(c.folded, "a;f 10\n");
}

TEST(PerfScriptReader, AnInputCutInTheMiddleOfALineIsAnErrorNamingTheLine) {
  Collapsed c = collapse("a 1 1.0: 5 cycles:\n\t1 f (/bin/a)\n\t2 main (/bin/");
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.error, "perf.txt:3: the input ends in the middle of a line: is the file truncated?");
  Collapsed event = collapse("a 1 1.0: 5 cycles:\n\t1 f (/bin/a)\n\na 1 1.");
  EXPECT_FALSE(event.ok);
  EXPECT_NE(event.error.find("perf.txt:4: "), std::string::npos) << event.error;
}

TEST(PerfScriptReader, BinaryDataAndOtherTextAreErrors) {
  std::string binary(
      "\x7f"
      "ELF\x02\x01\x01\0\0\0\n\x03\0>\0",
      16);
  Collapsed c = collapse(binary);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.error, "perf.txt:1: binary data (a NUL byte): not perf script text");
  Collapsed folded = collapse("main;f 12\nmain;g 3\n");
  EXPECT_FALSE(folded.ok);
  EXPECT_NE(folded.error.find("not perf script output"), std::string::npos) << folded.error;
  Collapsed empty = collapse("");
  EXPECT_TRUE(empty.ok);
  EXPECT_EQ(empty.folded, "");
}

TEST(PerfScriptReader, KeepsEverySampleInOrderForFlameCharts) {
  formats::PerfScriptOptions options;
  options.keep_sample_order = true;
  profile::Profile profile;
  formats::PerfScriptReader reader(profile, options, nullptr);
  ASSERT_TRUE(
      reader.read_text("a 1 1: 1 c:\n\t1 f (/a)\n\na 1 2: 1 c:\n\t1 g (/a)\n\n"
                       "a 1 3: 1 c:\n\t1 f (/a)\n\n"));
  ASSERT_EQ(profile.stack_count(), 3u);
  EXPECT_EQ(profile.name(profile.frames(1).back()), "g");
}

TEST(PerfModuleKind, KernelJitInlinedAndUserModules) {
  using K = formats::PerfModuleKind;
  EXPECT_EQ(formats::classify_perf_module("[kernel.kallsyms]"), K::kKernel);
  EXPECT_EQ(formats::classify_perf_module("[nf_conntrack_ipv4]"), K::kKernel);
  EXPECT_EQ(formats::classify_perf_module("/lib/modules/5.4/kernel/mlx5_core.ko"), K::kKernel);
  EXPECT_EQ(
      formats::classify_perf_module("/usr/lib/debug/boot/vmlinux-5.4.14-cloudflare-2020.1.11"),
      K::kKernel);
  EXPECT_EQ(formats::classify_perf_module("[vdso]"), K::kUser);
  EXPECT_EQ(formats::classify_perf_module("[unknown]"), K::kUnknown);
  EXPECT_EQ(formats::classify_perf_module("/tmp/perf-10487.map"), K::kJit);
  EXPECT_EQ(formats::classify_perf_module("/tmp/jitted-31714-4145673320.so"), K::kJit);
  EXPECT_EQ(formats::classify_perf_module("inlined"), K::kInlined);
  EXPECT_EQ(formats::classify_perf_module("/usr/lib/x86_64-linux-gnu/libc.so.6"), K::kUser);
}

TEST(PerfScriptFormat, IsToldApartFromFoldedStacksByContent) {
  EXPECT_TRUE(formats::looks_like_perf_script(kInlined));
  EXPECT_TRUE(formats::looks_like_perf_script("# ========\n# captured on: x\n\njava 1 cycles:\n"));
  EXPECT_FALSE(formats::looks_like_perf_script("main;parse 12\n"));
  EXPECT_FALSE(formats::looks_like_perf_script("# countname: samples\napp 1 12\n"));
  EXPECT_FALSE(formats::looks_like_perf_script(""));
}

TEST(PerfScriptFormat, StackFileReaderReadsBothFormatsIntoOneProfile) {
  fs::path dir = fs::temp_directory_path() / ("kiln_perf_script_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "perf.txt") << kInlined;
  std::ofstream(dir / "app.folded") << "inl;main 3\n";
  profile::Profile profile;
  formats::PerfScriptOptions options;
  options.sample_counts = true;
  formats::StackFileReader reader(profile, nullptr, options);
  EXPECT_TRUE(reader.read_file((dir / "perf.txt").string())) << reader.error();
  EXPECT_TRUE(reader.read_file((dir / "app.folded").string())) << reader.error();
  EXPECT_FALSE(reader.read_file((dir / "missing.txt").string()));
  EXPECT_NE(reader.error().find("missing.txt: cannot open"), std::string::npos) << reader.error();
  fs::remove_all(dir);
  std::ostringstream out;
  formats::FoldedWriter{.write_metadata = false}.write(profile, out);
  EXPECT_EQ(out.str(), "inl;asm_exc_page_fault;main;work;mid;leaf 1\ninl;main 4\n");
}
