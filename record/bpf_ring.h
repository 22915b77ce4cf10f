// A libbpf ring buffer (BPF_MAP_TYPE_RINGBUF) read by kiln: one or more maps, one callback each
// record, freed by the destructor.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

struct bpf_map;
struct ring_buffer;

namespace kiln::record {

class BpfRing {
 public:
  // libbpf's ring_buffer_sample_fn: returns 0 to go on.
  using Callback = int (*)(void* context, void* data, size_t size);
  // Reads `maps` (at least one), calling `callback` with `context` for each record. Throws
  // EnvironmentError "cannot open WHAT: reason" when a ring cannot be opened.
  BpfRing(const std::vector<bpf_map*>& maps, Callback callback, void* context,
          const std::string& what);
  ~BpfRing();
  BpfRing(const BpfRing&) = delete;
  BpfRing& operator=(const BpfRing&) = delete;
  // Readable when a record is waiting.
  int epoll_fd() const;
  // Calls the callback for every record waiting.
  void consume();

 private:
  ring_buffer* ring_ = nullptr;
};

}  // namespace kiln::record
