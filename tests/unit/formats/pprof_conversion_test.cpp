// Folded stacks <-> pprof: the structure a pprof reader sees (inline chains innermost first,
// kernel frames in [kernel.kallsyms], sample types, metadata), the stacks PprofReader makes of
// any producer's profile (sample type choice, inline expansion, unnamed addresses, thread
// roots), and the round trip folded -> pprof -> folded on every folded file of the shared
// corpus: the same stacks and weights.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "formats/formats.h"
#include "pprof/pprof.h"
#include "profile/profile.h"

namespace kiln::formats {
namespace {

namespace fs = std::filesystem;

std::string folded_text(const Profile& profile, bool metadata = false) {
  std::ostringstream out;
  FoldedWriter{metadata}.write(profile, out);
  return out.str();
}

pprof::Profile exported(const Profile& folded, std::string* warning = nullptr) {
  std::ostringstream out;
  write_pprof(folded, out, warning);
  pprof::Profile p;
  std::string error;
  EXPECT_TRUE(pprof::parse(out.str(), "exported", p, error)) << error;
  return p;
}

Profile imported(std::string_view bytes, const std::string& sample_type = "",
                 std::string* diagnostics = nullptr, bool* ok = nullptr) {
  Profile profile;
  std::ostringstream messages;
  PprofReader reader(profile, PprofReadOptions{sample_type}, &messages);
  const bool read = reader.read_bytes(bytes, "in.pb.gz");
  if (ok) *ok = read;
  if (diagnostics) *diagnostics = messages.str();
  return profile;
}

TEST(PprofExport, InlineChainsKernelFramesAndSampleTypesAreStructure) {
  Profile folded;
  folded.metadata.measured = "cpu";
  folded.metadata.frequency_hz = 99;
  folded.metadata.duration_s = 2.5;
  folded.metadata.lost_samples = 3;
  folded.add_stack({"app", "main", "parse_[i]", "read_line_[i]", "sys_read_[k]"},
                   Weight::from_integer(5));
  folded.add_stack({"app", "main", "parse_[i]"}, Weight::from_integer(2));
  folded.add_stack({"app", "main"}, Weight::from_integer(1));

  const pprof::Profile p = exported(folded);
  const auto str = [&](int64_t i) { return p.strings[static_cast<size_t>(i)]; };
  ASSERT_EQ(p.sample_types.size(), 2u);
  EXPECT_EQ(str(p.sample_types[0].type) + "/" + str(p.sample_types[0].unit), "samples/count");
  EXPECT_EQ(str(p.sample_types[1].type) + "/" + str(p.sample_types[1].unit), "cpu/nanoseconds");
  EXPECT_EQ(str(p.default_sample_type), "samples");
  EXPECT_EQ(p.period, 10101010);
  EXPECT_EQ(p.duration_nanos, 2'500'000'000);
  ASSERT_EQ(p.comments.size(), 2u);
  EXPECT_EQ(str(p.comments[0]), "lost: 3 samples");

  // Locations: app, main+parse+read_line (one address, innermost first), sys_read, main+parse,
  // main: one per distinct frame.
  ASSERT_EQ(p.locations.size(), 5u);
  const auto names = [&](const pprof::Location& l) {
    std::string text;
    for (const pprof::Line& line : l.lines)
      text += (text.empty() ? "" : ",") + str(p.functions[line.function_id - 1].name);
    return text;
  };
  const pprof::Sample* deepest = nullptr;
  for (const pprof::Sample& s : p.samples)
    if (s.values[0] == 5) deepest = &s;
  ASSERT_NE(deepest, nullptr);
  EXPECT_EQ(deepest->values[1], 5 * 10101010);
  ASSERT_EQ(deepest->location_ids.size(), 3u);  // leaf first
  const pprof::Location& leaf = p.locations[deepest->location_ids[0] - 1];
  EXPECT_EQ(names(leaf), "sys_read");
  ASSERT_EQ(p.mappings.size(), 1u);
  EXPECT_EQ(leaf.mapping_id, p.mappings[0].id);
  EXPECT_EQ(str(p.mappings[0].filename), "[kernel.kallsyms]");
  EXPECT_EQ(names(p.locations[deepest->location_ids[1] - 1]), "read_line,parse,main");
  EXPECT_EQ(names(p.locations[deepest->location_ids[2] - 1]), "app");
  EXPECT_EQ(p.functions.size(), 5u);  // app, main, parse, read_line, sys_read
}

TEST(PprofExport, RoundTripKeepsStacksWeightsAndMetadata) {
  Profile folded;
  folded.metadata.measured = "off-cpu";
  folded.metadata.count_name = "us";
  folded.metadata.duration_s = 10;
  folded.metadata.lost_samples = 12;
  folded.add_stack({"db", "main", "wait_[i]", "futex_wait_[k]", "schedule_[k]"},
                   Weight::from_integer(1'000'000'000'000));
  folded.add_stack({"_[i]orphan_[i]", "node_[j]", "after_jit_[i]", "wake_[w]", "x_[k]", "y_[i]"},
                   Weight::from_integer(7));
  folded.add_stack({"a b (c)", "[libc.so.6]", "[unknown]"}, Weight::from_integer(1));
  const pprof::Profile p = exported(folded);
  EXPECT_EQ(p.strings[static_cast<size_t>(p.sample_types[0].type)], "off_cpu");
  EXPECT_EQ(p.strings[static_cast<size_t>(p.sample_types[0].unit)], "microseconds");

  const Profile back = imported(pprof::encode(p));
  EXPECT_EQ(folded_text(back, true), folded_text(folded, true));
}

TEST(PprofExport, FractionalWeightsAreRoundedWithAWarning) {
  Profile folded;
  folded.add_stack({"a", "b"}, *Weight::parse("2.5"));
  folded.add_stack({"a"}, *Weight::parse("1.25"));
  std::string warning;
  const Profile back = imported(pprof::encode(exported(folded, &warning)));
  EXPECT_EQ(warning,
            "2 value(s) are not whole numbers up to 2^63 and were rounded: pprof values are "
            "64-bit integers");
  EXPECT_EQ(folded_text(back), "a 1\na;b 3\n");
}

// A profile as Go's runtime/pprof and perf_data_converter write them: several sample types,
// mappings, inlined lines, unsymbolized addresses, labels.
pprof::Profile foreign_profile() {
  pprof::Profile p;
  pprof::StringTable s(p.strings);
  p.sample_types = {{s("samples"), s("count")}, {s("cpu"), s("nanoseconds")}};
  p.period_type = {s("cpu"), s("nanoseconds")};
  p.period = 10'000'000;
  p.duration_nanos = 3'000'000'000;
  p.mappings.push_back(
      {1, 0x400000, 0x500000, 0, s("/usr/bin/server"), s("ab12"), true, true, true, true});
  p.mappings.push_back({2, 0xffffffff81000000, 0xffffffff82000000, 0, s("[kernel.kallsyms]"), 0});
  p.mappings.push_back({3, 0x7f0000000000, 0x7f0000100000, 0, s("/lib/libz.so.1"), 0});
  p.functions = {{1, s("main.main"), s("main.main"), s("main.go"), 5},
                 {2, s("main.work"), s("main.work"), s("main.go"), 20},
                 {3, s("main.hash;inline"), s("main.hash"), s("hash.go"), 1},
                 {4, s("do_syscall_64"), 0, 0, 0}};
  p.locations = {{1, 1, 0x401000, {{1, 7}}, false},
                 {2, 1, 0x402000, {{3, 3}, {2, 22}}, false},  // hash inlined into work
                 {3, 2, 0xffffffff81001000, {{4, 0}}, false},
                 {4, 3, 0x7f0000001234, {}, false},  // no symbol: named after its mapping
                 {5, 0, 0x1234, {}, false}};         // no mapping at all
  p.samples.push_back({{2, 1}, {4, 40'000'000}, {{s("thread_name"), s("worker"), 0, 0}}});
  p.samples.push_back({{3, 2, 1}, {1, 10'000'000}, {}});
  p.samples.push_back({{4, 1}, {2, 20'000'000}, {}});
  p.samples.push_back({{5}, {1, 10'000'000}, {}});
  p.samples.push_back({{1}, {-3, -30'000'000}, {}});
  return p;
}

TEST(PprofImport, ExpandsInlineChainsAndNamesWhatHasNoName) {
  std::string messages;
  const Profile profile = imported(pprof::gzip(pprof::encode(foreign_profile())), "", &messages);
  EXPECT_EQ(folded_text(profile, true),
            "# measured: cpu\n"
            "# countname: ns\n"
            "# frequency: 100 Hz\n"
            "# duration: 3 s\n"
            "[unknown] 10000000\n"
            "main.main;[libz.so.1] 20000000\n"
            "main.main;main.work;main.hash:inline_[i];do_syscall_64_[k] 10000000\n"
            "worker;main.main;main.work;main.hash:inline_[i] 40000000\n");
  EXPECT_EQ(messages,
            "in.pb.gz: pprof profile, sample type cpu/nanoseconds (the last one, as go tool pprof "
            "chooses; it has samples/count, cpu/nanoseconds, --sample-type NAME chooses)\n"
            "in.pb.gz: 1 sample(s) with negative values (a pprof difference profile?) left out\n");
}

// What a pprof location says of its frames is kept beside the folded names: the kind (from
// the mapping), the module, the source line and the address.
TEST(PprofImport, FramesKeepTheirKindModuleAndLine) {
  const Profile profile = imported(pprof::gzip(pprof::encode(foreign_profile())));
  using kiln::profile::FrameKind;
  const auto frame = [&](std::string_view name) {
    const std::optional<kiln::profile::FrameId> id = profile.find(name);
    EXPECT_TRUE(id.has_value()) << name;
    return id ? profile.frame(*id) : kiln::profile::Frame{};
  };
  const kiln::profile::Frame syscall = frame("do_syscall_64_[k]");
  EXPECT_EQ(syscall.kind, FrameKind::kKernel);
  EXPECT_EQ(syscall.name, "do_syscall_64");
  EXPECT_EQ(syscall.module, "[kernel.kallsyms]");
  const kiln::profile::Frame work = frame("main.work");
  EXPECT_EQ(work.kind, FrameKind::kUser);
  EXPECT_EQ(work.module, "/usr/bin/server");
  EXPECT_EQ(work.file, "main.go");
  EXPECT_EQ(work.line, 22u);
  EXPECT_EQ(work.address, 0x402000u);
  EXPECT_EQ(frame("main.hash:inline_[i]").kind, FrameKind::kInlined);
  const kiln::profile::Frame libz = frame("[libz.so.1]");
  EXPECT_EQ(libz.kind, FrameKind::kUnknown);
  EXPECT_EQ(libz.module, "/lib/libz.so.1");
  EXPECT_EQ(frame("[unknown]").kind, FrameKind::kUnknown);
}

TEST(PprofImport, ChoosesTheSampleType) {
  pprof::Profile p = foreign_profile();
  std::string messages;
  Profile counts = imported(pprof::encode(p), "samples", &messages);
  EXPECT_EQ(counts.total(), Weight::from_integer(8));
  EXPECT_EQ(counts.metadata.count_name, "samples");
  EXPECT_NE(messages.find("sample type samples/count (--sample-type;"), std::string::npos);
  EXPECT_EQ(imported(pprof::encode(p), "cpu/nanoseconds").total(),
            Weight::from_integer(80'000'000));
  p.default_sample_type = 1;  // "samples"
  EXPECT_EQ(imported(pprof::encode(p), "", &messages).total(), Weight::from_integer(8));
  EXPECT_NE(messages.find("(the file's default;"), std::string::npos) << messages;
  bool ok = true;
  imported(pprof::encode(p), "alloc_space", &messages, &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(messages,
            "in.pb.gz: no sample type 'alloc_space'; it has samples/count, cpu/nanoseconds\n");
}

// The sample types not chosen are named columns with their units beside the weights.
TEST(PprofImport, OtherSampleTypesAreNamedColumns) {
  const Profile profile = imported(pprof::encode(foreign_profile())).merged();
  EXPECT_EQ(profile.metadata.count_name, "ns");  // cpu/nanoseconds, the weights
  ASSERT_EQ(profile.column_count(), 1u);
  EXPECT_EQ(profile.column(0).name, "samples");
  EXPECT_EQ(profile.column(0).unit, "count");
  Weight samples;
  for (size_t s = 0; s < profile.stack_count(); ++s) {
    samples += profile.value(0, s);
    if (profile.name(profile.frames(s).front()) == "worker") {
      EXPECT_EQ(profile.weight(s), Weight::from_integer(40'000'000));
      EXPECT_EQ(profile.value(0, s), Weight::from_integer(4));
    }
  }
  EXPECT_EQ(samples, Weight::from_integer(8));  // the sample with negative values left out

  const Profile counts = imported(pprof::encode(foreign_profile()), "samples");
  ASSERT_EQ(counts.column_count(), 1u);
  EXPECT_EQ(counts.column(0).name, "cpu");
  EXPECT_EQ(counts.column(0).unit, "nanoseconds");
}

// pprof to pprof (`kiln convert heap.pb.gz -o out.pb.gz`) keeps every sample type: the ones not
// drawn travel as columns and are written back as sample types with their units.
TEST(PprofRoundTrip, EverySampleTypeComesBack) {
  pprof::Profile heap = foreign_profile();
  pprof::StringTable s(heap.strings);
  heap.sample_types.push_back({s("alloc_space"), s("bytes")});
  for (pprof::Sample& sample : heap.samples) sample.values.push_back(1000 * sample.values[0]);
  heap.default_sample_type = s("cpu");
  const pprof::Profile out = exported(imported(pprof::encode(heap)));
  std::vector<std::string> types;
  for (const pprof::ValueType& t : out.sample_types)
    types.push_back(out.strings[static_cast<size_t>(t.type)] + "/" +
                    out.strings[static_cast<size_t>(t.unit)]);
  // The drawn type (cpu, the default) comes first, then the others.
  EXPECT_EQ(types,
            (std::vector<std::string>{"cpu/nanoseconds", "samples/count", "alloc_space/bytes"}));
  for (const std::string type : {"samples", "alloc_space"}) {
    EXPECT_EQ(folded_text(imported(pprof::encode(out), type)),
              folded_text(imported(pprof::encode(heap), type)))
        << type;
  }
}

// "before" is the first count of differential folded input; a pprof sample type of that name
// must not turn a profile into one (render would draw it as a differential graph).
TEST(PprofImport, ASampleTypeNamedBeforeIsNotTheDifferentialColumn) {
  pprof::Profile p = foreign_profile();
  p.strings[static_cast<size_t>(p.sample_types[0].type)] = "before";  // was "samples"
  const Profile profile = imported(pprof::encode(p));
  EXPECT_EQ(profile.metadata.count_name, "ns");
  EXPECT_FALSE(profile.find_column(profile::kBeforeColumn));
}

TEST(PprofImport, MalformedProfilesAreErrorsNamingTheFile) {
  const std::string good = pprof::gzip(pprof::encode(foreign_profile()));
  struct Case {
    std::string bytes;
    std::string message_start;
  };
  pprof::Profile bad_id = foreign_profile();
  bad_id.locations[1].lines[0].function_id = 40;
  const std::vector<Case> cases = {
      {good.substr(0, good.size() / 2), "in.pb.gz: the gzip data is truncated"},
      {pprof::gzip("\x0a\xff\x01"), "in.pb.gz: not a valid pprof profile: byte 3: a field of 255"},
      {pprof::encode(bad_id),
       "in.pb.gz: not a valid pprof profile: location 2 refers to function 40"},
      {std::string("\x1f\x8b\x08\x00garbage", 11), "in.pb.gz: "},
  };
  for (const Case& c : cases) {
    std::string messages;
    bool ok = true;
    const Profile profile = imported(c.bytes, "", &messages, &ok);
    EXPECT_FALSE(ok) << c.message_start;
    EXPECT_EQ(messages.rfind(c.message_start, 0), 0u) << messages;
    EXPECT_TRUE(profile.empty());
  }
}

// Every folded file of the shared corpus that FoldedReader reads without complaint.
std::vector<fs::path> corpus_folded_files() {
  std::vector<fs::path> files;
  for (const char* dir : {"flamegraph/test/results", "inferno/collapse-perf/results",
                          "inferno/flamegraph", "inferno/collapse-dtrace/results"}) {
    const fs::path root = fs::path(KILN_SHARED_TESTDATA) / dir;
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root))
      if (entry.is_regular_file() && entry.path().extension() == ".txt")
        files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(PprofRoundTrip, SharedCorpusFoldedFilesComeBackUnchanged) {
  size_t compared = 0;
  for (const fs::path& file : corpus_folded_files()) {
    Profile folded;
    std::ostringstream ignored;
    FoldedReader reader(folded, &ignored);
    if (!reader.read_file(file) || reader.bad_lines() > 0 ||
        folded.find_column(kiln::profile::kBeforeColumn) || folded.empty())
      continue;
    bool integral = true;
    for (size_t s = 0; s < folded.stack_count(); ++s) integral &= folded.weight(s).is_integer();
    if (!integral) continue;  // rounded on the way: FractionalWeightsAreRoundedWithAWarning
    std::ostringstream out;
    write_pprof(folded, out, nullptr);
    const Profile back = imported(out.str());
    const std::string expected = folded_text(folded), got = folded_text(back);
    // The first differing line, not two whole files.
    size_t at = 0;
    while (at < expected.size() && at < got.size() && expected[at] == got[at]) ++at;
    at = expected.rfind('\n', at) == std::string::npos ? 0 : expected.rfind('\n', at) + 1;
    EXPECT_EQ(got.substr(at, got.find('\n', at) - at),
              expected.substr(at, expected.find('\n', at) - at))
        << file;
    ++compared;
  }
  EXPECT_GE(compared, 60u);
}

}  // namespace
}  // namespace kiln::formats
