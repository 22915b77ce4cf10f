// The pprof codec: every field survives encode -> decode, the bytes are the protobuf wire
// format (checked byte by byte on a small message), repeated numbers are read packed or not,
// and no malformed input (cut at any byte, bit flips, garbage, truncated or corrupt gzip, ids
// that resolve to nothing) crashes or is accepted as a profile.
#include <gtest/gtest.h>

#include <random>

#include "pprof/pprof.h"

namespace kiln::pprof {
namespace {

Profile sample_profile() {
  Profile p;
  StringTable s(p.strings);
  p.sample_types = {{s("samples"), s("count")}, {s("cpu"), s("nanoseconds")}};
  p.mappings.push_back(
      {1, 0x400000, 0x500000, 0x1000, s("/usr/bin/app"), s("abcdef0123"), true, true, true, true});
  p.functions.push_back({1, s("main"), s("main"), s("app.c"), 10});
  p.functions.push_back({2, s("ns::parse"), s("_ZN2ns5parseEv"), s("parse.h"), 3});
  p.locations.push_back({1, 1, 0x401234, {{2, 5}, {1, 12}}, false});
  p.locations.push_back({2, 0, 0xffffffffffffff00, {{1, 20}}, true});
  p.samples.push_back(
      {{1, 2}, {3, 30303030}, {{s("pid"), 0, 42, s("pid")}, {s("thread_name"), s("app"), 0, 0}}});
  p.samples.push_back({{2}, {-1, INT64_MIN}, {}});
  p.time_nanos = 1'700'000'000'000'000'000;
  p.duration_nanos = 5'000'000'000;
  p.period_type = {s("cpu"), s("nanoseconds")};
  p.period = 10'101'010;
  p.comments = {s("lost: 7 samples")};
  p.default_sample_type = s("cpu");
  p.drop_frames = s("^runtime\\.");
  return p;
}

TEST(PprofCodec, EveryFieldSurvivesARoundTrip) {
  const Profile p = sample_profile();
  Profile back;
  std::string error;
  ASSERT_TRUE(decode(encode(p), back, error)) << error;
  EXPECT_EQ(back.strings, p.strings);
  ASSERT_EQ(back.sample_types.size(), 2u);
  EXPECT_EQ(back.strings[back.sample_types[1].unit], "nanoseconds");
  ASSERT_EQ(back.mappings.size(), 1u);
  EXPECT_EQ(back.mappings[0].memory_start, 0x400000u);
  EXPECT_EQ(back.mappings[0].memory_limit, 0x500000u);
  EXPECT_EQ(back.mappings[0].file_offset, 0x1000u);
  EXPECT_EQ(back.strings[back.mappings[0].build_id], "abcdef0123");
  EXPECT_TRUE(back.mappings[0].has_inline_frames);
  ASSERT_EQ(back.functions.size(), 2u);
  EXPECT_EQ(back.strings[back.functions[1].system_name], "_ZN2ns5parseEv");
  EXPECT_EQ(back.functions[0].start_line, 10);
  ASSERT_EQ(back.locations.size(), 2u);
  ASSERT_EQ(back.locations[0].lines.size(), 2u);
  EXPECT_EQ(back.locations[0].lines[0].function_id, 2u);  // innermost first
  EXPECT_EQ(back.locations[0].lines[1].line, 12);
  EXPECT_EQ(back.locations[1].address, 0xffffffffffffff00u);
  EXPECT_TRUE(back.locations[1].is_folded);
  ASSERT_EQ(back.samples.size(), 2u);
  EXPECT_EQ(back.samples[0].location_ids, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(back.samples[0].values, (std::vector<int64_t>{3, 30303030}));
  EXPECT_EQ(back.samples[1].values, (std::vector<int64_t>{-1, INT64_MIN}));
  ASSERT_EQ(back.samples[0].labels.size(), 2u);
  EXPECT_EQ(back.samples[0].labels[0].num, 42);
  EXPECT_EQ(back.strings[back.samples[0].labels[1].str], "app");
  EXPECT_EQ(back.time_nanos, p.time_nanos);
  EXPECT_EQ(back.duration_nanos, p.duration_nanos);
  EXPECT_EQ(back.period, p.period);
  EXPECT_EQ(back.strings[back.period_type.type], "cpu");
  EXPECT_EQ(back.strings[back.comments.at(0)], "lost: 7 samples");
  EXPECT_EQ(back.strings[back.default_sample_type], "cpu");
  EXPECT_EQ(back.strings[back.drop_frames], "^runtime\\.");
  EXPECT_EQ(check(back), "");
}

TEST(PprofCodec, WritesTheProtobufWireFormat) {
  Profile p;
  p.strings = {"", "samples", "count"};
  p.sample_types = {{1, 2}};
  p.samples.push_back({{1, 300}, {150}, {}});
  p.period = 1;
  // sample_type {type 1, unit 2}; sample {location_id packed [1, 300], value packed [150]};
  // the strings; period 1.
  const std::string expected(
      "\x0a\x04\x08\x01\x10\x02"
      "\x12\x09\x0a\x03\x01\xac\x02\x12\x02\x96\x01"
      "\x32\x00\x32\x07samples\x32\x05"
      "count"
      "\x60\x01",
      37);
  EXPECT_EQ(encode(p), expected);
}

TEST(PprofCodec, ReadsUnpackedRepeatedNumbersAndSkipsUnknownFields) {
  // sample {location_id 5 (unpacked), location_id 6, value 9, field 15 fixed64, field 16
  // fixed32}; string table ""; field 99 a string.
  const std::string bytes(
      "\x12\x15\x08\x05\x08\x06\x10\x09\x79\x01\x02\x03\x04\x05\x06\x07\x08\x85\x01\x01\x02\x03\x04"
      "\x32\x00"
      "\x9a\x06\x02hi",
      30);
  Profile p;
  std::string error;
  ASSERT_TRUE(decode(bytes, p, error)) << error;
  ASSERT_EQ(p.samples.size(), 1u);
  EXPECT_EQ(p.samples[0].location_ids, (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(p.samples[0].values, (std::vector<int64_t>{9}));
}

TEST(PprofCodec, NoPrefixOfAProfileCrashesTheDecoder) {
  const std::string bytes = encode(sample_profile());
  size_t accepted = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    Profile p;
    std::string error;
    if (decode(bytes.substr(0, n), p, error)) {
      ++accepted;  // a cut between top-level fields is a valid, smaller message
      (void)check(p);
    } else {
      EXPECT_NE(error, "");
    }
  }
  EXPECT_LT(accepted, bytes.size() / 2);
}

TEST(PprofCodec, RandomBytesAndBitFlipsAreErrorsNotCrashes) {
  std::mt19937 random(12);
  const std::string good = encode(sample_profile());
  for (int round = 0; round < 3000; ++round) {
    std::string bytes = good;
    if (round % 2) {
      bytes.resize(random() % 200);
      for (char& c : bytes) c = static_cast<char>(random());
    } else {
      for (int flips = 0; flips < 3; ++flips) bytes[random() % bytes.size()] ^= 1 << (random() % 8);
    }
    Profile p;
    std::string error;
    if (decode(bytes, p, error)) (void)check(p);
  }
}

TEST(PprofCodec, ReportsWhereAndWhatIsWrong) {
  Profile p;
  std::string error;
  // sample_type claiming 16 bytes where 2 are left.
  EXPECT_FALSE(decode(std::string("\x0a\x10\x08\x01", 4), p, error));
  EXPECT_EQ(error, "byte 2: a field of 16 bytes where 2 are left");
  EXPECT_FALSE(
      decode(std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12), p, error));
  EXPECT_EQ(error, "byte 11: a number longer than 10 bytes");
  EXPECT_FALSE(decode(std::string("\x0b\x01", 2), p, error));  // a group (wire type 3)
  EXPECT_EQ(error, "byte 1: wire type 3 of field 1");
  EXPECT_FALSE(decode(std::string("\x32\x01x", 3), p, error));
  EXPECT_EQ(error, "the string table does not start with the empty string");
}

TEST(PprofCheck, NamesReferencesThatResolveToNothing) {
  Profile p = sample_profile();
  p.samples[0].location_ids.push_back(77);
  EXPECT_EQ(check(p), "sample 1 refers to location 77, which the profile does not have");
  p = sample_profile();
  p.locations[0].lines[0].function_id = 9;
  EXPECT_EQ(check(p), "location 1 refers to function 9, which the profile does not have");
  p = sample_profile();
  p.locations[0].mapping_id = 3;
  EXPECT_EQ(check(p), "location 1 refers to mapping 3, which the profile does not have");
  p = sample_profile();
  p.functions[1].name = 1000;
  EXPECT_EQ(check(p),
            "function 2's name is string 1000 of a table of " + std::to_string(p.strings.size()));
  p = sample_profile();
  p.functions[1].id = 1;
  EXPECT_EQ(check(p), "two functions have id 1");
  p = sample_profile();
  p.samples[1].values.pop_back();
  EXPECT_EQ(check(p), "sample 2 has 1 values for 2 sample types");
  p = sample_profile();
  p.comments.push_back(-4);
  EXPECT_EQ(check(p), "a comment is string -4 of a table of " + std::to_string(p.strings.size()));
}

TEST(PprofGzip, RoundTripsAndRejectsTruncatedCorruptOrHugeData) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "frame;" + std::to_string(i % 977);
  const std::string packed = gzip(text);
  EXPECT_TRUE(is_gzip(packed));
  EXPECT_LT(packed.size(), text.size() / 4);
  std::string out, error;
  ASSERT_TRUE(gunzip(packed, out, error)) << error;
  EXPECT_EQ(out, text);
  // Two members (concatenated .gz files) are one stream.
  ASSERT_TRUE(gunzip(packed + gzip("tail"), out, error)) << error;
  EXPECT_EQ(out, text + "tail");

  EXPECT_FALSE(gunzip(packed.substr(0, packed.size() / 2), out, error));
  EXPECT_EQ(error, "the gzip data is truncated (it ends before its last block)");
  std::string corrupt = packed;
  corrupt[packed.size() / 2] ^= 0x55;
  corrupt[packed.size() / 2 + 1] ^= 0x55;
  EXPECT_FALSE(gunzip(corrupt, out, error));
  EXPECT_NE(error.find("gzip"), std::string::npos) << error;
  EXPECT_FALSE(gunzip(packed + "junk", out, error));
  EXPECT_EQ(error, "data after the end of the gzip stream");
  EXPECT_FALSE(gunzip(gzip(std::string(8 << 20, 'x')), out, error, 1 << 20));
  EXPECT_EQ(error, "decompresses to more than 1 MiB");
}

TEST(PprofParse, NamesTheFileInEveryError) {
  Profile p;
  std::string error;
  const std::string good = gzip(encode(sample_profile()));
  ASSERT_TRUE(parse(good, "cpu.pb.gz", p, error)) << error;
  EXPECT_FALSE(parse(good.substr(0, good.size() - 9), "cpu.pb.gz", p, error));
  EXPECT_EQ(error, "cpu.pb.gz: the gzip data is truncated (it ends before its last block)");
  EXPECT_FALSE(parse(gzip("main;parse 42\n"), "x.folded.gz", p, error));
  EXPECT_EQ(error.rfind("x.folded.gz: gzip-compressed data that is not a pprof profile (byte ", 0),
            0u)
      << error;
  EXPECT_NE(error.find("zcat x.folded.gz | kiln render -"), std::string::npos) << error;
  EXPECT_FALSE(parse(gzip("\x0a\x05\x08"), "x.pb.gz", p, error));
  EXPECT_EQ(error,
            "x.pb.gz: not a valid pprof profile: byte 2: a field of 5 bytes where 1 are left");
  Profile bad = sample_profile();
  bad.samples[0].location_ids[0] = 99;
  EXPECT_FALSE(parse(encode(bad), "y.pb", p, error));
  EXPECT_EQ(error,
            "y.pb: not a valid pprof profile: sample 1 refers to location 99, which the profile "
            "does not have");
}

TEST(PprofDetection, TellsProfilesFromText) {
  EXPECT_TRUE(looks_like_profile(gzip("x")));
  EXPECT_TRUE(looks_like_profile(encode(sample_profile())));
  EXPECT_FALSE(looks_like_profile("main;parse 42\n"));
  EXPECT_FALSE(looks_like_profile("\nmain;parse 42\n"));  // a blank first line: text
  EXPECT_FALSE(looks_like_profile("# countname: samples\n"));
  EXPECT_FALSE(looks_like_profile(""));
}

}  // namespace
}  // namespace kiln::pprof
