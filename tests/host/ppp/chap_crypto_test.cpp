// Known answers for the authentication hashes: RFC 2759 9.2 (MS-CHAPv2), MD4 of well-known NT
// passwords, and CHAP-MD5 against a digest computed outside this code (Python hashlib).
#include "l2sec/ppp/chap_crypto.hpp"

#include <gtest/gtest.h>

namespace l2sec::ppp {
namespace {

template <std::size_t N>
std::array<std::uint8_t, N> arr(std::string_view hex) {
  const auto b = from_hex(hex).value();
  EXPECT_EQ(b.size(), N);
  std::array<std::uint8_t, N> a{};
  std::copy(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(std::min(N, b.size())), a.begin());
  return a;
}

TEST(ChapCrypto, Rfc2759Section9_2) {
  ASSERT_TRUE(mschap_available()) << "OpenSSL legacy provider (MD4, DES) missing";
  const auto auth = arr<16>("5B5D7C7D7B3F2F3E3C2C602132262628");
  const auto peer = arr<16>("21402324255E262A28295F2B3A337C7E");
  EXPECT_EQ(to_hex(challenge_hash(peer, auth, "User")), "d02e4386bce91226");
  const auto ph = nt_password_hash("clientPass");
  ASSERT_TRUE(ph);
  EXPECT_EQ(to_hex(*ph), "44ebba8d5312b8d611474411f56989ae");
  const auto nt = generate_nt_response(auth, peer, "User", "clientPass");
  ASSERT_TRUE(nt);
  EXPECT_EQ(to_hex(*nt), "82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df");
  const auto s = generate_authenticator_response("clientPass", *nt, peer, auth, "User");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
}

TEST(ChapCrypto, DomainIsNotHashed) {
  const auto auth = arr<16>("5B5D7C7D7B3F2F3E3C2C602132262628");
  const auto peer = arr<16>("21402324255E262A28295F2B3A337C7E");
  EXPECT_EQ(mschap_strip_domain("CORP\\User"), "User");
  EXPECT_EQ(mschap_strip_domain("User"), "User");
  EXPECT_EQ(challenge_hash(peer, auth, "CORP\\User"), challenge_hash(peer, auth, "User"));
  EXPECT_NE(challenge_hash(peer, auth, "user"), challenge_hash(peer, auth, "User"));
}

TEST(ChapCrypto, NtPasswordHashKnownValues) {
  // MD4 of the empty string (RFC 1320 A.5) and the widely published NT hash of "password".
  EXPECT_EQ(to_hex(nt_password_hash("").value()), "31d6cfe0d16ae931b73c59d7e0c089c0");
  EXPECT_EQ(to_hex(nt_password_hash("password").value()), "8846f7eaee8fb117ad06bdd830b7586c");
  // Non-ASCII passwords are hashed as UTF-16: "é" (U+00E9) in UTF-8 and in Latin-1 agree.
  EXPECT_EQ(nt_password_hash("\xc3\xa9").value(), nt_password_hash("\xe9").value());
  EXPECT_NE(nt_password_hash("\xc3\xa9").value(), nt_password_hash("e").value());
}

TEST(ChapCrypto, ChapMd5) {
  Bytes chal(16);
  for (std::size_t i = 0; i < chal.size(); ++i) chal[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(to_hex(chap_md5_response(1, "secret", chal)), "740e86463bda3a4d7017d6e0fba0699d");
  EXPECT_NE(chap_md5_response(2, "secret", chal), chap_md5_response(1, "secret", chal));
}

TEST(ChapCrypto, ConstantTimeCompare) {
  const Bytes a = {1, 2, 3}, b = {1, 2, 3}, c = {1, 2, 4}, d = {1, 2};
  EXPECT_TRUE(equal_ct(a, b));
  EXPECT_FALSE(equal_ct(a, c));
  EXPECT_FALSE(equal_ct(a, d));
}

}  // namespace
}  // namespace l2sec::ppp
