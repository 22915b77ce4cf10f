// StackReader on a real BPF hash map of the shape of bpf/stack_store.bpf.h's `stacks` (root):
// stacks taken out of the map while recording are still read by id, the map has room again,
// only stacks no count refers to are forgotten, and the counts of exited processes are taken out
// of a counts map.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "bpf/stack_key.h"
#include "record/raw_profile.h"

namespace kiln::record {
namespace {

using StoredStack = std::array<uint64_t, KILN_MAX_STACK_DEPTH>;

class StackMap {
 public:
  explicit StackMap(uint32_t entries)
      : fd_(bpf_map_create(BPF_MAP_TYPE_HASH, "kiln_test", sizeof(uint64_t), sizeof(StoredStack),
                           entries, nullptr)),
        error_(fd_ < 0 ? errno : 0) {}
  ~StackMap() {
    if (fd_ >= 0) close(fd_);
  }
  StackMap(const StackMap&) = delete;
  StackMap& operator=(const StackMap&) = delete;
  int fd() const { return fd_; }
  int error() const { return error_; }  // errno of a failed creation
  // Stores the stack {id, id + 1, ..., id + depth - 1} under `id`, as a BPF program would;
  // false when the map is full.
  bool store(uint64_t id, size_t depth) const {
    StoredStack stack = {};
    for (size_t i = 0; i < depth; ++i) stack[i] = id + i;
    return bpf_map_update_elem(fd_, &id, stack.data(), BPF_NOEXIST) == 0;
  }
  size_t entries() const {
    size_t count = 0;
    uint64_t key = 0, next = 0;
    for (bool first = true; bpf_map_get_next_key(fd_, first ? nullptr : &key, &next) == 0;
         first = false, key = next)
      ++count;
    return count;
  }

 private:
  int fd_;
  int error_;
};

std::vector<uint64_t> addresses(uint64_t id, size_t depth) {
  std::vector<uint64_t> result;
  for (size_t i = 0; i < depth; ++i) result.push_back(id + i);
  return result;
}

class StackReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (map_.fd() >= 0) return;
    if (geteuid() != 0)
      GTEST_SKIP() << "SKIPPED LOUDLY: creating a BPF map needs root (or CAP_BPF): "
                   << std::strerror(map_.error());
    FAIL() << "cannot create a BPF hash map as root: " << std::strerror(map_.error());
  }
  StackMap map_{64};
};

TEST_F(StackReaderTest, StacksTakenOutOfTheMapAreStillReadAndTheMapHasRoomAgain) {
  StackReader reader(map_.fd());
  for (uint64_t id = 1; id <= 64; ++id) ASSERT_TRUE(map_.store(id * 1000, id % 20 + 1));
  EXPECT_FALSE(map_.store(99000, 3)) << "a full map takes no more";

  EXPECT_EQ(reader.move_from_map(), 64u);
  EXPECT_EQ(map_.entries(), 0u);
  for (uint64_t id = 1; id <= 64; ++id)
    EXPECT_EQ(reader.read(id * 1000), addresses(id * 1000, id % 20 + 1)) << "stack " << id;

  // A stack met again is stored again under its id, and the map takes as many as at first.
  EXPECT_TRUE(map_.store(1000, 2));
  for (uint64_t id = 2; id <= 64; ++id) ASSERT_TRUE(map_.store(id * 1000 + 500, 5)) << id;
  EXPECT_EQ(reader.move_from_map(), 64u);
  EXPECT_EQ(map_.entries(), 0u);
  EXPECT_EQ(reader.read(1000), addresses(1000, 2));
  EXPECT_EQ(reader.read(64500), addresses(64500, 5));
  EXPECT_EQ(reader.size(), 127u);
}

TEST_F(StackReaderTest, ForgetsOnlyStacksNoCountRefersToThatAreOlderThanTheLastMove) {
  StackReader reader(map_.fd());
  for (uint64_t id = 1; id <= 10; ++id) ASSERT_TRUE(map_.store(id, 4));
  reader.move_from_map();
  ASSERT_TRUE(map_.store(100, 4));
  reader.move_from_map();

  // Stack 100 was taken out by the last move: a sample on its way may still name it.
  reader.keep_only({2, 3});
  EXPECT_EQ(reader.size(), 3u);
  EXPECT_EQ(reader.read(2), addresses(2, 4));
  EXPECT_EQ(reader.read(100), addresses(100, 4));

  reader.move_from_map();
  reader.keep_only({3});
  EXPECT_EQ(reader.size(), 1u);
  EXPECT_EQ(reader.read(3), addresses(3, 4));
  EXPECT_TRUE(reader.read(4).empty()) << "a forgotten stack is not made up";
}

// A counts map of the shape of bpf/profile.bpf.c's `counts`: samples per kiln_stack_key.
class CountsMap {
 public:
  CountsMap()
      : fd_(bpf_map_create(BPF_MAP_TYPE_HASH, "kiln_counts", sizeof(kiln_stack_key),
                           sizeof(uint64_t), 16, nullptr)) {}
  ~CountsMap() {
    if (fd_ >= 0) close(fd_);
  }
  CountsMap(const CountsMap&) = delete;
  CountsMap& operator=(const CountsMap&) = delete;
  int fd() const { return fd_; }
  // Counts `samples` of thread `pid` of process `tgid` on those stacks.
  bool add(uint32_t tgid, uint32_t pid, uint64_t kernel_stack, uint64_t user_stack,
           uint64_t samples) const {
    kiln_stack_key key = {};
    key.tgid = tgid;
    key.pid = pid;
    std::strcpy(key.comm, "worker");
    key.kernel_stack_id = kernel_stack;
    key.user_stack_id = user_stack;
    return bpf_map_update_elem(fd_, &key, &samples, BPF_NOEXIST) == 0;
  }

 private:
  int fd_;
};

TEST_F(StackReaderTest, ReferencedStacksAreTheIdsOfACountsMapsKeys) {
  const CountsMap counts;
  ASSERT_GE(counts.fd(), 0) << std::strerror(errno);
  ASSERT_TRUE(counts.add(7, 7, 41, 0, 1));  // a kernel thread
  ASSERT_TRUE(counts.add(8, 8, 0, 43, 1));
  std::unordered_set<uint64_t> ids;
  add_referenced_stacks(counts.fd(), ids);
  EXPECT_EQ(ids, (std::unordered_set<uint64_t>{41, 43}));
}

// The hand-over of exited processes: their counts leave the map (which then has room for those
// of other processes), with their stacks read, taken out of the stack map or not.
TEST_F(StackReaderTest, CountsOfExitedProcessesAreTakenOutOfTheMapWithTheirStacks) {
  const CountsMap counts;
  ASSERT_GE(counts.fd(), 0) << std::strerror(errno);
  ASSERT_TRUE(map_.store(100, 3));
  ASSERT_TRUE(map_.store(200, 2));
  ASSERT_TRUE(counts.add(10, 10, 0, 100, 5));
  ASSERT_TRUE(counts.add(10, 11, 200, 100, 2));  // another thread of process 10
  ASSERT_TRUE(counts.add(20, 20, 0, 100, 7));
  ASSERT_TRUE(counts.add(30, 30, 200, 0, 1));
  StackReader reader(map_.fd());
  reader.move_from_map();  // stack 100 is read from the reader, 200 from the map
  ASSERT_TRUE(map_.store(200, 2));

  RawProfile taken = take_stack_counts(counts.fd(), reader, RawUnit::kSamples, {10, 30});
  ASSERT_EQ(taken.stacks.size(), 3u);
  std::sort(taken.stacks.begin(), taken.stacks.end(),
            [](const RawStack& a, const RawStack& b) { return a.pid < b.pid; });
  EXPECT_EQ(taken.stacks[0].pid, 10u);
  EXPECT_EQ(taken.stacks[0].weight, 5u);
  EXPECT_EQ(taken.stacks[0].user, addresses(100, 3));
  EXPECT_TRUE(taken.stacks[0].kernel.empty());
  EXPECT_EQ(taken.stacks[1].tgid, 10u);
  EXPECT_EQ(taken.stacks[1].pid, 11u);
  EXPECT_EQ(taken.stacks[1].comm, "worker");
  EXPECT_EQ(taken.stacks[1].kernel, addresses(200, 2));
  EXPECT_EQ(taken.stacks[2].tgid, 30u);
  EXPECT_EQ(taken.total_weight(), 8u);

  // What stays is process 20's count, drained at the end as before.
  const RawProfile rest = drain_stack_counts(counts.fd(), reader, RawUnit::kSamples);
  ASSERT_EQ(rest.stacks.size(), 1u);
  EXPECT_EQ(rest.stacks[0].tgid, 20u);
  EXPECT_EQ(rest.stacks[0].weight, 7u);
  EXPECT_EQ(rest.stacks[0].user, addresses(100, 3));
  EXPECT_TRUE(take_stack_counts(counts.fd(), reader, RawUnit::kSamples, {10}).stacks.empty());
}

}  // namespace
}  // namespace kiln::record
