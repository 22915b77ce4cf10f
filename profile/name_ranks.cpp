// Profile::name_ranks: the byte order of the interned names, computed without comparing whole
// names. Frame names share long prefixes (`Lorg/apache/kafka/...`, `tokio::runtime::...`), so a
// comparison sort calls memcmp over the same prefix bytes again and again, through a pointer to
// each name; here names are sorted 8 bytes at a time (MSD order): each round sorts integers held
// in the array, and only names equal so far go on to the next 8 bytes.
#include <algorithm>
#include <cstring>

#include "profile/profile.h"

namespace kiln::profile {

namespace {

struct KeyedName {
  uint64_t key;     // bytes [offset, offset + 8) of the name, big-endian, zero-padded
  uint32_t id;      // the name's FrameId
  uint32_t length;  // bytes left from offset, at most 9 (9: the name goes on after the key)
  friend bool operator<(const KeyedName& a, const KeyedName& b) {
    return a.key != b.key ? a.key < b.key : a.length < b.length;
  }
};

// A name that ends inside the key is padded with zero bytes and has the smaller `length`, so it
// sorts before every longer name with the same bytes, as a prefix does.
void set_key(KeyedName& e, std::string_view name, size_t offset) {
  size_t left = name.size() > offset ? name.size() - offset : 0;
  size_t n = std::min<size_t>(left, 8);
  unsigned char bytes[8] = {};
  if (n > 0) std::memcpy(bytes, name.data() + offset, n);
  uint64_t key = 0;
  for (unsigned char b : bytes) key = key << 8 | b;
  e.key = key;
  e.length = static_cast<uint32_t>(std::min<size_t>(left, 9));
}

}  // namespace

std::vector<uint32_t> Profile::name_ranks() const {
  std::vector<KeyedName> sorted(names_.size());
  for (uint32_t id = 0; id < sorted.size(); ++id) {
    sorted[id].id = id;
    set_key(sorted[id], names_[id], 0);
  }
  struct Range {
    size_t begin, end, offset;
  };
  std::vector<Range> todo{{0, sorted.size(), 0}};
  while (!todo.empty()) {
    Range r = todo.back();
    todo.pop_back();
    auto first = sorted.begin() + static_cast<ptrdiff_t>(r.begin);
    auto last = sorted.begin() + static_cast<ptrdiff_t>(r.end);
    std::sort(first, last);
    // Names that agree on these 8 bytes and go on are ordered by the next 8.
    for (size_t i = r.begin; i < r.end;) {
      size_t j = i + 1;
      while (j < r.end && sorted[j].key == sorted[i].key && sorted[j].length == sorted[i].length) {
        ++j;
      }
      if (j - i > 1 && sorted[i].length == 9) {
        for (size_t k = i; k < j; ++k) set_key(sorted[k], names_[sorted[k].id], r.offset + 8);
        todo.push_back({i, j, r.offset + 8});
      }
      i = j;
    }
  }
  std::vector<uint32_t> rank(names_.size());
  for (uint32_t r = 0; r < sorted.size(); ++r) rank[sorted[r].id] = r;
  return rank;
}

}  // namespace kiln::profile
