// Profile: interned frames and stacks stored flat (one id array for every stack); value columns
// one array each, only as long as their last value.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "profile/profile.h"

namespace kiln::profile {

// Open-addressing hash table of name ids; names live in large arena blocks, so interning a
// name costs no per-name allocation and string_views stay valid while the Profile lives.
struct Profile::NameTable {
  static constexpr size_t kBlockSize = 1 << 20;
  std::vector<std::unique_ptr<char[]>> blocks;
  size_t block_used = kBlockSize;
  // A slot holds the high 32 bits of the name's hash next to its id (8 bytes: the table of
  // hundreds of thousands of names stays small and mostly in cache), so a probe compares name
  // bytes only when those bits are equal. The slot index is the top bits of the hash, which the
  // slot keeps, so growing the table needs no name again.
  struct Slot {
    uint32_t tag;
    uint32_t id;
  };
  static constexpr uint32_t kEmpty = 0xffffffffu;
  std::vector<Slot> slots = std::vector<Slot>(1024, Slot{0, kEmpty});
  int index_bits = 10;

  // Up to 3/4 full: a probe reads 8-byte slots in a row, mostly in the same cache line, and
  // fewer slots leave more of the cache to names (300k names: 4 MB of slots, not 8).
  static bool too_full(size_t names, size_t slot_count) { return names * 4 > slot_count * 3; }

  static uint32_t tag_of(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
  size_t index_of(uint32_t tag) const { return tag >> (32 - index_bits); }

  static uint64_t hash(std::string_view s) {
    // FNV-1a over 8-byte words then bytes; good enough for names and fast.
    uint64_t h = 0xcbf29ce484222325ULL ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      h = (h ^ word) * 0x100000001b3ULL;
      h ^= h >> 29;
    }
    for (; i < s.size(); ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ULL;
    // murmur3's finalizer: every input bit reaches the low bits used as the slot index.
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
  }

  std::string_view store(std::string_view name) {
    if (name.size() > kBlockSize / 4) {
      // A huge name gets a block of its own, inserted before the block being filled.
      auto own = std::make_unique_for_overwrite<char[]>(name.size());
      std::memcpy(own.get(), name.data(), name.size());
      std::string_view view(own.get(), name.size());
      blocks.insert(blocks.empty() ? blocks.end() : blocks.end() - 1, std::move(own));
      if (blocks.size() == 1) block_used = kBlockSize;
      return view;
    }
    // blocks may still be empty here: block_used starts full, but an empty name fits in it.
    if (blocks.empty() || block_used + name.size() > kBlockSize) {
      blocks.push_back(std::make_unique_for_overwrite<char[]>(kBlockSize));
      block_used = 0;
    }
    char* p = blocks.back().get() + block_used;
    if (!name.empty()) std::memcpy(p, name.data(), name.size());
    block_used += name.size();
    return {p, name.size()};
  }

  void grow() {
    std::vector<Slot> bigger(slots.size() * 2, Slot{0, kEmpty});
    ++index_bits;
    size_t mask = bigger.size() - 1;
    for (const Slot& slot : slots) {
      if (slot.id == kEmpty) continue;
      size_t i = index_of(slot.tag);
      while (bigger[i].id != kEmpty) i = (i + 1) & mask;
      bigger[i] = slot;
    }
    slots.swap(bigger);
  }

  // After drop_name_index(): the slots of every name again.
  void rebuild(std::span<const std::string_view> names) {
    index_bits = 10;
    while (too_full(names.size(), size_t{1} << index_bits)) ++index_bits;
    slots.assign(size_t{1} << index_bits, Slot{0, kEmpty});
    size_t mask = slots.size() - 1;
    for (uint32_t id = 0; id < names.size(); ++id) {
      uint32_t tag = tag_of(hash(names[id]));
      size_t i = index_of(tag);
      while (slots[i].id != kEmpty) i = (i + 1) & mask;
      slots[i] = {tag, id};
    }
  }
};

Profile::Profile() : table_(std::make_unique<NameTable>()) {}
Profile::~Profile() = default;
Profile::Profile(Profile&&) noexcept = default;
Profile& Profile::operator=(Profile&&) noexcept = default;

FrameId Profile::intern(std::string_view folded_name) {
  return intern_hashed(folded_name, NameTable::hash(folded_name), nullptr);
}

FrameId Profile::intern(const Frame& frame) {
  scratch_.assign(frame.name);
  scratch_ += annotation(frame.kind);
  return intern_hashed(scratch_, NameTable::hash(scratch_), &frame);
}

FrameId Profile::copy_frame(const Profile& from, FrameId id) {
  const Frame frame = from.frame(id);
  return intern_hashed(from.names_[id], NameTable::hash(from.names_[id]), &frame);
}

Frame Profile::frame(FrameId id) const {
  Frame frame{.name = label(id), .kind = kinds_[id]};
  if (id < locations_.size()) {
    const Location& l = locations_[id];
    frame.module = l.module;
    frame.file = l.file;
    frame.line = l.line;
    frame.address = l.address;
  }
  return frame;
}

void Profile::intern_all(std::span<const std::string_view> names, std::vector<FrameId>& ids) {
  // Hash everything and prefetch the slots first, so the cache misses of the lookups overlap.
  constexpr size_t kBatch = 16;
  uint64_t hashes[kBatch];
  if (table_->slots.empty()) table_->rebuild(names_);
  for (size_t start = 0; start < names.size(); start += kBatch) {
    size_t n = std::min(kBatch, names.size() - start);
    const NameTable& t = *table_;
    for (size_t i = 0; i < n; ++i) {
      hashes[i] = NameTable::hash(names[start + i]);
      __builtin_prefetch(&t.slots[t.index_of(NameTable::tag_of(hashes[i]))]);
    }
    for (size_t i = 0; i < n; ++i) {  // then the bytes of the likely match, compared next
      uint32_t tag = NameTable::tag_of(hashes[i]);
      const NameTable::Slot& slot = t.slots[t.index_of(tag)];
      if (slot.id != NameTable::kEmpty && slot.tag == tag) {
        __builtin_prefetch(names_[slot.id].data());
      }
    }
    for (size_t i = 0; i < n; ++i)
      ids.push_back(intern_hashed(names[start + i], hashes[i], nullptr));
  }
}

// `structured` (if not null) gives the kind and location of a new frame; else its folded name
// does.
FrameId Profile::intern_hashed(std::string_view name, uint64_t h, const Frame* structured) {
  NameTable& t = *table_;
  if (t.slots.empty()) t.rebuild(names_);
  size_t mask = t.slots.size() - 1;
  uint32_t tag = NameTable::tag_of(h);
  for (size_t i = t.index_of(tag);; i = (i + 1) & mask) {
    NameTable::Slot& slot = t.slots[i];
    if (slot.id == NameTable::kEmpty) {
      auto id = static_cast<FrameId>(names_.size());
      names_.push_back(t.store(name));
      kinds_.push_back(structured ? structured->kind : folded_frame(name).kind);
      if (structured && (!structured->module.empty() || !structured->file.empty() ||
                         structured->line != 0 || structured->address != 0)) {
        locations_.resize(id + 1);
        locations_[id] = {t.store(structured->module), t.store(structured->file), structured->line,
                          structured->address};
      }
      slot = {tag, id};
      if (NameTable::too_full(names_.size(), t.slots.size())) t.grow();
      return id;
    }
    if (slot.tag == tag && names_[slot.id] == name) return slot.id;
  }
}

std::optional<FrameId> Profile::find(std::string_view name) const {
  // The index is derived from names_ alone: rebuilding it changes nothing find() tells.
  if (table_->slots.empty()) table_->rebuild(names_);
  const NameTable& t = *table_;
  uint32_t tag = NameTable::tag_of(NameTable::hash(name));
  size_t mask = t.slots.size() - 1;
  for (size_t i = t.index_of(tag);; i = (i + 1) & mask) {
    const NameTable::Slot& slot = t.slots[i];
    if (slot.id == NameTable::kEmpty) return std::nullopt;
    if (slot.tag == tag && names_[slot.id] == name) return slot.id;
  }
}

void Profile::add_stack(std::span<const FrameId> root_first, Weight weight) {
  frames_.insert(frames_.end(), root_first.begin(), root_first.end());
  end_stack(weight);
}

void Profile::reserve(size_t stacks, size_t frames) {
  frames_.reserve(frames_.size() + frames);
  offsets_.reserve(offsets_.size() + stacks);
  weights_.reserve(weights_.size() + stacks);
}

// Assigning `{}` would keep the capacity (it assigns an empty initializer_list): a new, empty
// vector is moved in.
void Profile::drop_name_index() {
  table_->slots = std::vector<NameTable::Slot>();
}

void Profile::clear_stacks() {
  frames_ = std::vector<FrameId>();
  offsets_ = std::vector<uint64_t>{0};
  weights_ = std::vector<Weight>();
  total_ = Weight();
  for (ValueColumn& c : columns_) c.values = std::vector<Weight>();
}

// Closes the stack whose frames were just appended to frames_.
void Profile::end_stack(Weight weight) {
  offsets_.push_back(frames_.size());
  weights_.push_back(weight);
  total_ += weight;
}

size_t Profile::add_column(std::string_view name, std::string_view unit) {
  if (std::optional<size_t> found = find_column(name)) return *found;
  columns_.push_back({{std::string(name), std::string(unit)}, {}});
  return columns_.size() - 1;
}

std::optional<size_t> Profile::find_column(std::string_view name) const {
  for (size_t c = 0; c < columns_.size(); ++c)
    if (columns_[c].column.name == name) return c;
  return std::nullopt;
}

void Profile::set_value(size_t column, size_t stack, Weight value) {
  std::vector<Weight>& values = columns_[column].values;
  if (stack >= values.size()) values.resize(stack + 1);  // stacks before it hold zero
  values[stack] = value;
}

void Profile::add_stack(std::span<const std::string_view> root_first, Weight weight) {
  for (std::string_view name : root_first) frames_.push_back(intern(name));
  end_stack(weight);
}

void Profile::add_stack(std::span<const std::string> root_first, Weight weight) {
  for (const std::string& name : root_first) frames_.push_back(intern(name));
  end_stack(weight);
}

void Profile::add_stack(std::initializer_list<std::string_view> root_first, Weight weight) {
  add_stack(std::span<const std::string_view>(root_first.begin(), root_first.size()), weight);
}

void Profile::append(const Profile& other) {
  std::vector<FrameId> remap(other.names_.size());
  for (size_t i = 0; i < remap.size(); ++i) remap[i] = copy_frame(other, static_cast<FrameId>(i));
  const size_t first = stack_count();
  std::vector<FrameId> stack;
  for (size_t s = 0; s < other.stack_count(); ++s) {
    stack.clear();
    for (FrameId f : other.frames(s)) stack.push_back(remap[f]);
    add_stack(stack, other.weight(s));
  }
  for (const ValueColumn& from : other.columns_) {
    const size_t c = add_column(from.column.name, from.column.unit);
    for (size_t s = 0; s < from.values.size(); ++s)
      if (!from.values[s].is_zero()) set_value(c, first + s, from.values[s]);
  }
  ProfileMetadata& m = metadata;
  const ProfileMetadata& o = other.metadata;
  if (m.measured.empty()) m.measured = o.measured;
  if (m.count_name.empty() || (m.count_name == "samples" && !o.count_name.empty()))
    m.count_name = o.count_name;
  if (m.frequency_hz == 0) m.frequency_hz = o.frequency_hz;
  m.duration_s += o.duration_s;
  m.lost_samples += o.lost_samples;
  m.extra.insert(m.extra.end(), o.extra.begin(), o.extra.end());
}

Profile Profile::merged() const {
  // Order stacks by their names (byte order), then add runs of identical stacks once.
  const std::vector<uint32_t> rank = name_ranks();
  auto less = [&](uint32_t a, uint32_t b) {
    auto fa = frames(a), fb = frames(b);
    return std::lexicographical_compare(fa.begin(), fa.end(), fb.begin(), fb.end(),
                                        [&](FrameId x, FrameId y) { return rank[x] < rank[y]; });
  };
  std::vector<uint32_t> order(stack_count());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), less);

  Profile out;
  out.metadata = metadata;
  for (const ValueColumn& c : columns_) out.add_column(c.column.name, c.column.unit);
  std::vector<FrameId> remap(names_.size(), kNoFrame);
  std::vector<FrameId> stack;
  for (size_t i = 0; i < order.size();) {
    auto f = frames(order[i]);
    Weight w;
    size_t j = i;
    for (; j < order.size() && std::ranges::equal(frames(order[j]), f); ++j) w += weight(order[j]);
    stack.clear();
    for (FrameId id : f) {
      if (remap[id] == kNoFrame) remap[id] = out.copy_frame(*this, id);
      stack.push_back(remap[id]);
    }
    out.add_stack(stack, w);
    for (size_t c = 0; c < columns_.size(); ++c) {
      Weight sum;
      for (size_t k = i; k < j; ++k) sum += value(c, order[k]);
      if (!sum.is_zero()) out.set_value(c, out.stack_count() - 1, sum);
    }
    i = j;
  }
  return out;
}

}  // namespace kiln::profile
