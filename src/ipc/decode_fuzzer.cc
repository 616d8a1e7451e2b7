// libFuzzer entry point over the decoder: the input is fed to a FrameReader in pieces whose sizes
// come from the input itself, and every decoded message must re-encode and decode to itself.
// Build: cmake -DCMAKE_CXX_COMPILER=clang++-14 ...; run: ipc_decode_fuzzer -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ipc/codec.h"
#include "ipc/frame_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cordon::ipc;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)DecodeFrame(in);
  FrameReader reader;
  size_t pos = 0;
  while (pos < in.size()) {
    const size_t n = std::min<size_t>(1 + static_cast<uint8_t>(in[pos]) % 32, in.size() - pos);
    reader.Feed(in.substr(pos, n));
    pos += n;
    for (;;) {
      std::string_view view;
      auto next = reader.NextView(&view);
      if (!next.ok()) return 0;
      if (!next->has_value()) break;
      if (auto* output = std::get_if<Output>(&**next)) output->bytes.assign(view);
      auto again = EncodeFrame(**next);
      if (!again.ok()) abort();
      auto back = DecodeFrame(*again);
      if (!back.ok() || !(*back == **next)) abort();
    }
  }
  return 0;
}
