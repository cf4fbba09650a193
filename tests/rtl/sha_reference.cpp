// SHA1_Transform / SHA256_Transform are deprecated in OpenSSL 3.0 but are the only public OpenSSL
// entry points that run one compression from a caller-chosen state; this file is built with
// -Wno-deprecated-declarations.
#include "sha_reference.h"

#include <openssl/sha.h>

namespace l2sec::rtltest {

Sha1State Sha1Compress(const Sha1State& h, std::span<const std::uint8_t, 64> block) {
  SHA_CTX ctx{};
  ctx.h0 = h[0];
  ctx.h1 = h[1];
  ctx.h2 = h[2];
  ctx.h3 = h[3];
  ctx.h4 = h[4];
  SHA1_Transform(&ctx, block.data());
  return {ctx.h0, ctx.h1, ctx.h2, ctx.h3, ctx.h4};
}

Sha256State Sha256Compress(const Sha256State& h, std::span<const std::uint8_t, 64> block) {
  SHA256_CTX ctx{};
  for (std::size_t i = 0; i < h.size(); ++i) ctx.h[i] = h[i];
  SHA256_Transform(&ctx, block.data());
  Sha256State out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = ctx.h[i];
  return out;
}

}  // namespace l2sec::rtltest
