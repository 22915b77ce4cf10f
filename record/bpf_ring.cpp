// libbpf's ring_buffer behind RAII: one ring manager over one or more BPF ring buffer maps.
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "record/bpf_ring.h"
#include "record/errors.h"

namespace kiln::record {

BpfRing::BpfRing(const std::vector<bpf_map*>& maps, Callback callback, void* context,
                 const std::string& what) {
  for (bpf_map* map : maps) {
    const int fd = bpf_map__fd(map);
    if (!ring_) {
      ring_ = ring_buffer__new(fd, callback, context, nullptr);
    } else if (const int err = ring_buffer__add(ring_, fd, callback, context)) {
      ring_buffer__free(ring_);
      ring_ = nullptr;
      errno = -err;
    }
    if (!ring_) throw EnvironmentError("cannot open " + what + ": " + std::string(strerror(errno)));
  }
}

BpfRing::~BpfRing() {
  ring_buffer__free(ring_);
}

int BpfRing::epoll_fd() const {
  return ring_buffer__epoll_fd(ring_);
}

void BpfRing::consume() {
  ring_buffer__consume(ring_);
}

}  // namespace kiln::record
