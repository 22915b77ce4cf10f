// StackReader on a real BPF hash map of the shape of bpf/stack_store.bpf.h's `stacks` (root):
// stacks taken out of the map while recording are still read by id, the map has room again,
// and only stacks no count refers to are forgotten.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

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

TEST_F(StackReaderTest, ReferencedStacksAreTheIdsOfACountsMapsKeys) {
  const int counts = bpf_map_create(BPF_MAP_TYPE_HASH, "kiln_counts", sizeof(kiln_stack_key),
                                    sizeof(uint64_t), 16, nullptr);
  ASSERT_GE(counts, 0) << std::strerror(errno);
  kiln_stack_key kernel_thread = {};
  kernel_thread.tgid = kernel_thread.pid = 7;
  kernel_thread.kernel_stack_id = 41;
  kiln_stack_key user = {};
  user.tgid = user.pid = 8;
  user.user_stack_id = 43;
  const uint64_t one = 1;
  for (const kiln_stack_key* key : {&kernel_thread, &user})
    ASSERT_EQ(bpf_map_update_elem(counts, key, &one, BPF_NOEXIST), 0);
  std::unordered_set<uint64_t> ids;
  add_referenced_stacks(counts, ids);
  close(counts);
  EXPECT_EQ(ids, (std::unordered_set<uint64_t>{41, 43}));
}

}  // namespace
}  // namespace kiln::record
