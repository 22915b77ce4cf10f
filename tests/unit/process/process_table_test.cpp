// The process layer on real processes and binaries: the test process itself, its libm, and
// children that exit; build-ids checked against readelf.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "process/process.h"
#include "process/process_maps.h"
#include "process/process_snapshot.h"

namespace kiln::process {
namespace {

std::string build_id_by_readelf(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(("readelf -n " + path).c_str(), "r"), pclose);
  char word[256];
  while (pipe && fscanf(pipe.get(), "%255s", word) == 1)
    if (std::string(word) == "ID:" && fscanf(pipe.get(), "%255s", word) == 1) return word;
  return "";
}

// The path libm (cos) is mapped from in this process.
std::string libm_path() {
  Dl_info info{};
  EXPECT_NE(dladdr(reinterpret_cast<void*>(&cos), &info), 0);
  char resolved[4096];
  return realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
}

RecordedMapping recorded(uint64_t start, uint64_t end, const std::string& path,
                         const std::string& build_id = "") {
  RecordedMapping mapping;
  mapping.start = start;
  mapping.end = end;
  mapping.path = path;
  mapping.build_id = build_id;
  return mapping;
}

TEST(BuildId, BytesAreWrittenAsLowercaseHex) {
  const uint8_t bytes[] = {0x00, 0x0f, 0xa0, 0xff};
  EXPECT_EQ(build_id_hex(bytes, sizeof bytes), "000fa0ff");
  EXPECT_EQ(build_id_hex(bytes, 0), "");
}

TEST(ElfFile, BuildIdIsTheOneReadelfShows) {
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  ASSERT_GT(length, 0);
  for (const std::string& path : {std::string(self, static_cast<size_t>(length)), libm_path()}) {
    std::string error;
    auto file = ElfFile::open(path, &error);
    ASSERT_NE(file, nullptr) << error;
    const std::string expected = build_id_by_readelf(path);
    ASSERT_FALSE(expected.empty()) << path;
    EXPECT_EQ(file->build_id(), expected) << path;
  }
}

// The build-id kiln gives the kernel's mapping in pprof output, as perf reads it.
TEST(BuildId, KernelBuildIdIsTheOnePerfShows) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen("perf buildid-list -k 2>/dev/null", "r"),
                                             pclose);
  char perf[256] = "";
  if (!pipe || fscanf(pipe.get(), "%255s", perf) != 1) GTEST_SKIP() << "perf is not installed";
  EXPECT_EQ(kernel_build_id(), perf);
}

TEST(ElfFile, NotElfSaysWhy) {
  std::string error;
  EXPECT_EQ(ElfFile::open("/proc/self/status", &error), nullptr);
  EXPECT_EQ(error, "not an ELF file");
}

TEST(ProcessTable, MappedBinariesOfALiveProcess) {
  ProcessTable table;
  std::vector<MappedBinary> binaries;
  const auto address = reinterpret_cast<uint64_t>(&cos);
  const uint64_t generation = table.binaries(getpid(), address, 0, &binaries);
  ASSERT_NE(generation, 0u);
  const MappedBinary* libm = nullptr;
  for (const MappedBinary& b : binaries)
    if (address >= b.start && address < b.end) libm = &b;
  ASSERT_NE(libm, nullptr);
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void*>(&cos), &info), 0);
  EXPECT_EQ(libm->bias, reinterpret_cast<uint64_t>(info.dli_fbase));  // a shared object: its base
  EXPECT_NE(libm->elf, nullptr);
  EXPECT_GE(libm->fd, 0);
  EXPECT_EQ(libm->build_id, build_id_by_readelf(libm->path));
  // Nothing changed: the same number, and the list is left alone.
  std::vector<MappedBinary> untouched;
  EXPECT_EQ(table.binaries(getpid(), address, generation, &untouched), generation);
  EXPECT_TRUE(untouched.empty());
  // One binary per file, however many processes map it.
  const size_t opened = table.binary_cache().opened();
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_TRUE(table.snapshot(child));
  EXPECT_EQ(table.binary_cache().opened(), opened);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  // Gone, and still known from its snapshot.
  bool known = false;
  const SnapshotMapping* mapping = table.find(child, address, &known);
  EXPECT_TRUE(known);
  ASSERT_NE(mapping, nullptr);
  EXPECT_EQ(mapping->path, libm->path);
}

// A process that exits between the read of its maps and the open of its binaries (a zombie:
// map_files and root are gone) still has them opened, from kiln's file system, when the file
// there is the very one it mapped.
TEST(OpenMappedFile, BinariesOfAProcessThatExitedAreTheSameFilesInKilnsFileSystem) {
  int exit_now[2];
  ASSERT_EQ(pipe(exit_now), 0);
  const pid_t child = fork();
  if (child == 0) {
    char byte;
    close(exit_now[1]);
    _exit(read(exit_now[0], &byte, 1) < 0 ? 1 : 0);
  }
  close(exit_now[0]);
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_process_maps(child, &maps));
  const std::string lib = libm_path();
  const auto found = std::find_if(
      maps.begin(), maps.end(), [&lib](const Mapping& m) { return m.executable && m.path == lib; });
  ASSERT_NE(found, maps.end());
  const Mapping libm = *found;
  close(exit_now[1]);  // the child exits, and stays a zombie until waited for
  const std::string stat_path = "/proc/" + std::to_string(child) + "/stat";
  std::string state;
  for (int tries = 0; tries < 5000; ++tries) {
    ASSERT_TRUE(read_file(stat_path, &state));
    if (state.find(") Z ") != std::string::npos) break;
    usleep(1000);
  }
  ASSERT_NE(state.find(") Z "), std::string::npos) << state;

  const int fd = open_mapped_file(child, libm);
  ASSERT_GE(fd, 0) << strerror(errno);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_ino, libm.inode);
  EXPECT_EQ(st.st_dev, libm.device);
  close(fd);
  // Another file by that name (here: another inode) is not read in its place.
  Mapping replaced = libm;
  ++replaced.inode;
  EXPECT_EQ(open_mapped_file(child, replaced), -1);
  EXPECT_EQ(errno, ESTALE);
  // Nor one on another device.
  replaced = libm;
  ++replaced.device;
  EXPECT_EQ(open_mapped_file(child, replaced), -1);
  waitpid(child, nullptr, 0);
}

TEST(ProcessTable, ProcessGoneBeforeAnySnapshotIsUnknownAndCounted) {
  ProcessTable table;
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(table.snapshot(child));
  bool known = true;
  EXPECT_EQ(table.find(child, 0x1000, &known), nullptr);
  EXPECT_FALSE(known);
  EXPECT_EQ(table.problems().count(kExitedProcess), 2u);
  ASSERT_EQ(table.problems().messages().size(), 1u);
  EXPECT_EQ(table.problems().messages()[0],
            "process " + std::to_string(child) +
                " exited before it could be snapshotted; its frames show as [unknown]");
}

TEST(ProcessTable, RecordedMappingsOfAProcessThatExecs) {
  ProcessTable table;
  const pid_t gone = 4'000'000;  // above any pid_max: never a live process
  const std::string self = libm_path();
  table.record_exec(gone);
  table.record_mapping(gone, recorded(0x10000, 0x20000, self, build_id_by_readelf(self)));
  table.record_mapping(gone, recorded(0x30000, 0x31000, "//anon"));
  bool known = false;
  const SnapshotMapping* lib = table.find(gone, 0x10010, &known);
  ASSERT_TRUE(known);
  ASSERT_NE(lib, nullptr);
  EXPECT_EQ(lib->path, self);
  ASSERT_NE(lib->binary, nullptr);
  EXPECT_EQ(lib->binary->file->build_id(), build_id_by_readelf(self));
  const SnapshotMapping* anon = table.find(gone, 0x30010, &known);
  ASSERT_NE(anon, nullptr);
  EXPECT_EQ(anon->name, "[anon]");
  EXPECT_EQ(anon->binary, nullptr);
  // After an exec, an address of the earlier program is still found in it.
  table.record_exec(gone);
  table.record_mapping(gone, recorded(0x50000, 0x51000, "//anon"));
  ASSERT_NE(table.find(gone, 0x10010, &known), nullptr);
  EXPECT_EQ(table.find(gone, 0x10010, &known)->path, self);
  // A fork starts with its parent's mappings.
  table.record_fork(gone + 1, gone);
  ASSERT_NE(table.find(gone + 1, 0x50010, &known), nullptr);
  EXPECT_EQ(table.find(gone + 1, 0x10010, &known), nullptr);  // images before are not kept
}

TEST(ProcessTable, ExitedProcessesAreListedOnceTheirExitIsOldEnoughAndForgotten) {
  ProcessTable table;
  const pid_t gone = 4'000'001;  // above any pid_max: never a live process
  const pid_t living = gone + 1;
  const std::string self = libm_path();
  for (const pid_t pid : {gone, living}) {
    table.record_exec(pid);
    table.record_mapping(pid, recorded(0x10000, 0x20000, self, build_id_by_readelf(self)));
  }
  EXPECT_TRUE(table.exited(std::chrono::seconds(0)).empty());
  table.record_exit(gone);
  EXPECT_EQ(table.exited(std::chrono::seconds(0)), std::vector<pid_t>{gone});
  EXPECT_TRUE(table.exited(std::chrono::hours(1)).empty());  // exited just now
  // Still symbolized after its exit, until it is forgotten.
  bool known = false;
  ASSERT_NE(table.find(gone, 0x10010, &known), nullptr);
  EXPECT_EQ(table.size(), 2u);
  table.forget(gone);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(table.exited(std::chrono::seconds(0)).empty());
  EXPECT_EQ(table.find(gone, 0x10010, &known), nullptr);
  EXPECT_FALSE(known);
  // The binary stays open for the processes that still map it.
  const SnapshotMapping* lib = table.find(living, 0x10010, &known);
  ASSERT_NE(lib, nullptr);
  ASSERT_NE(lib->binary, nullptr);
  EXPECT_EQ(lib->binary->file->build_id(), build_id_by_readelf(self));
}

TEST(ProcessTable, BinariesNoProcessMapsAreForgottenOnceOldEnough) {
  ProcessTable table;
  const pid_t gone = 4'000'001;  // above any pid_max: never a live process
  const pid_t living = gone + 1;
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  ASSERT_GT(length, 0);
  const std::string program(self, static_cast<size_t>(length)), lib = libm_path();
  table.record_exec(gone);
  table.record_mapping(gone, recorded(0x10000, 0x20000, lib, build_id_by_readelf(lib)));
  table.record_exec(living);
  table.record_mapping(living, recorded(0x10000, 0x20000, program, build_id_by_readelf(program)));
  bool known = false;
  for (const pid_t pid : {gone, living}) ASSERT_NE(table.find(pid, 0x10010, &known), nullptr);
  std::vector<std::string> forgotten;
  table.binary_cache().on_forget([&forgotten](const std::vector<const Binary*>& binaries) {
    for (const Binary* binary : binaries) forgotten.push_back(binary->path);
  });

  // Mapped by a process kept (exited, not yet forgotten): kept.
  table.record_exit(gone);
  EXPECT_EQ(table.release_unmapped_binaries(std::chrono::seconds(0)), 0u);
  table.forget(gone);
  EXPECT_EQ(table.release_unmapped_binaries(std::chrono::hours(1)), 0u);
  EXPECT_EQ(table.release_unmapped_binaries(std::chrono::seconds(0)), 1u);
  EXPECT_EQ(forgotten, std::vector<std::string>{lib});
  EXPECT_EQ(table.binary_cache().with_build_id(build_id_by_readelf(lib)), nullptr);
  std::vector<std::string> open;
  table.binary_cache().for_each([&open](const Binary& binary) { open.push_back(binary.path); });
  EXPECT_EQ(open, std::vector<std::string>{program});

  // A process that maps it later has it opened again.
  const pid_t later = gone + 2;
  table.record_exec(later);
  table.record_mapping(later, recorded(0x10000, 0x20000, lib, build_id_by_readelf(lib)));
  const SnapshotMapping* again = table.find(later, 0x10010, &known);
  ASSERT_NE(again, nullptr);
  ASSERT_NE(again->binary, nullptr);
  EXPECT_EQ(again->binary->file->build_id(), build_id_by_readelf(lib));
  EXPECT_EQ(table.binary_cache().opened(), 3u);
}

}  // namespace
}  // namespace kiln::process
