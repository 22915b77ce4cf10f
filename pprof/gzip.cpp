// gzip compression and decompression through zlib, with a bound on the decompressed size (a
// small corrupt or hostile file must not expand into all of memory).
#include <zlib.h>

#include <algorithm>

#include "pprof/pprof.h"

namespace kiln::pprof {

namespace {

// A z_stream set up for inflate or deflate, ended whatever happens.
class ZStream {
 public:
  enum class Mode { kInflate, kDeflate };
  explicit ZStream(Mode mode) : mode_(mode) {
    // 15 + 16: gzip wrapper, 32 KiB window.
    ok_ = (mode == Mode::kInflate ? inflateInit2(&stream_, 15 + 16)
                                  : deflateInit2(&stream_, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
                                                 15 + 16, 8, Z_DEFAULT_STRATEGY)) == Z_OK;
  }
  ~ZStream() {
    if (!ok_) return;
    if (mode_ == Mode::kInflate) {
      inflateEnd(&stream_);
    } else {
      deflateEnd(&stream_);
    }
  }
  ZStream(const ZStream&) = delete;
  ZStream& operator=(const ZStream&) = delete;
  bool ok() const { return ok_; }
  z_stream* operator->() { return &stream_; }
  z_stream* get() { return &stream_; }

 private:
  Mode mode_;
  z_stream stream_{};
  bool ok_ = false;
};

// zlib counts in uInt: feed large inputs in pieces.
constexpr size_t kChunk = size_t{1} << 30;

}  // namespace

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
         static_cast<uint8_t>(bytes[1]) == 0x8b;
}

std::string gzip(std::string_view bytes) {
  ZStream z(ZStream::Mode::kDeflate);
  std::string out;
  if (!z.ok()) return out;
  out.resize(deflateBound(z.get(), static_cast<uLong>(bytes.size())) + 64);
  size_t in_pos = 0, out_pos = 0;
  for (;;) {
    const size_t in_now = std::min(kChunk, bytes.size() - in_pos);
    z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + in_pos));
    z->avail_in = static_cast<uInt>(in_now);
    if (out_pos == out.size()) out.resize(out.size() * 2);
    z->next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    z->avail_out = static_cast<uInt>(std::min(kChunk, out.size() - out_pos));
    const size_t out_room = z->avail_out;
    const bool last = in_pos + in_now == bytes.size();
    const int rc = deflate(z.get(), last ? Z_FINISH : Z_NO_FLUSH);
    in_pos += in_now - z->avail_in;
    out_pos += out_room - z->avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
  }
  out.resize(out_pos);
  return out;
}

bool gunzip(std::string_view bytes, std::string& out, std::string& error, size_t max_bytes) {
  out.clear();
  size_t in_pos = 0;
  // A gzip file may hold several members (concatenated gzip files): each is inflated in turn.
  while (in_pos < bytes.size()) {
    ZStream z(ZStream::Mode::kInflate);
    if (!z.ok()) {
      error = "zlib cannot be initialized";
      return false;
    }
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      if (out.size() > max_bytes) {
        error = "decompresses to more than " + std::to_string(max_bytes >> 20) + " MiB";
        return false;
      }
      const size_t old = out.size();
      out.resize(std::min(max_bytes + 1, std::max<size_t>(old * 2, old + (size_t{1} << 16))));
      const size_t in_now = std::min(kChunk, bytes.size() - in_pos);
      z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + in_pos));
      z->avail_in = static_cast<uInt>(in_now);
      z->next_out = reinterpret_cast<Bytef*>(out.data() + old);
      z->avail_out = static_cast<uInt>(std::min(kChunk, out.size() - old));
      const size_t out_room = z->avail_out;
      rc = inflate(z.get(), Z_NO_FLUSH);
      in_pos += in_now - z->avail_in;
      out.resize(old + (out_room - z->avail_out));
      if (rc == Z_BUF_ERROR && in_pos == bytes.size() && z->avail_out > 0) {
        error = "the gzip data is truncated (it ends before its last block)";
        return false;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) {
        error = std::string("corrupt gzip data (") + (z->msg ? z->msg : "zlib error") + ")";
        return false;
      }
    }
    // Padding of zeros after the last member is allowed (tar-like writers add it).
    while (in_pos < bytes.size() && bytes[in_pos] == '\0') ++in_pos;
    if (in_pos < bytes.size() && !is_gzip(bytes.substr(in_pos))) {
      error = "data after the end of the gzip stream";
      return false;
    }
  }
  return true;
}

}  // namespace kiln::pprof
