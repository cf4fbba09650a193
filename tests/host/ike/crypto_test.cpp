// IKE crypto: prf known answers, DH agreement and public-value checks, CBC chaining, key expansion.
#include <gtest/gtest.h>

#include "l2sec/ike/ike_crypto.hpp"

using namespace l2sec;
using namespace l2sec::ike;

TEST(IkeCrypto, PrfMatchesRfc2202AndRfc4231) {
  // RFC 2202 test case 2 and RFC 4231 test case 2: key "Jefe".
  const std::string key = "Jefe", data = "what do ya want for nothing?";
  const ByteView k(reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
  const ByteView d(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  EXPECT_EQ(to_hex(prf(HashAlg::kSha1, k, {d})), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(to_hex(prf(HashAlg::kSha256, k, {d.subspan(0, 10), d.subspan(10)})),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(to_hex(hash(HashAlg::kSha1, {})), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

class DhGroups : public ::testing::TestWithParam<std::uint16_t> {};

TEST_P(DhGroups, BothSidesAgreeAndBadValuesAreRefused) {
  auto a = DiffieHellman::create(GetParam());
  auto b = DiffieHellman::create(GetParam());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->public_value().size(), a->public_len());
  auto za = a->shared_secret(b->public_value());
  auto zb = b->shared_secret(a->public_value());
  ASSERT_TRUE(za && zb);
  EXPECT_EQ(za->bytes(), zb->bytes());
  EXPECT_NE(a->public_value(), b->public_value());
  // Wrong length, zeros, all ones (>= p-1 for MODP, off the curve for ECP).
  EXPECT_FALSE(a->shared_secret(Bytes(a->public_len() - 1, 5)));
  EXPECT_FALSE(a->shared_secret(Bytes(a->public_len(), 0)));
  EXPECT_FALSE(a->shared_secret(Bytes(a->public_len(), 0xff)));
  Bytes one(a->public_len(), 0);
  one.back() = 1;
  EXPECT_FALSE(a->shared_secret(one));
}

INSTANTIATE_TEST_SUITE_P(Groups, DhGroups, ::testing::Values(2, 14, 19, 20));

TEST(IkeCrypto, UnsupportedGroupsAreRefused) {
  EXPECT_FALSE(DiffieHellman::create(1));
  EXPECT_FALSE(DiffieHellman::create(5));
  EXPECT_FALSE(DiffieHellman::supported(31));
}

TEST(IkeCrypto, Phase1CipherChainsIvAndPads) {
  Bytes key(32, 7);
  auto c = Phase1Cipher::create(lm::Cipher::kAesCbc256, key);
  ASSERT_TRUE(c);
  Bytes iv_enc(16, 1), iv_dec(16, 1);
  const Bytes plain(37, 0x42);
  const Bytes ct = c->encrypt(plain, iv_enc);
  ASSERT_EQ(ct.size(), 48u);
  EXPECT_EQ(iv_enc, Bytes(ct.end() - 16, ct.end()));
  auto back = c->decrypt(ct, iv_dec);
  ASSERT_TRUE(back);
  EXPECT_EQ(Bytes(back->begin(), back->begin() + 37), plain);
  EXPECT_EQ(iv_dec, iv_enc);
  EXPECT_FALSE(c->decrypt(Bytes(47, 0), iv_dec));
  auto d = Phase1Cipher::create(lm::Cipher::kDes3Cbc, Bytes(24, 9));
  ASSERT_TRUE(d);
  Bytes iv8(8, 0);
  EXPECT_EQ(d->encrypt(Bytes(8, 1), iv8).size(), 16u);  // a whole block of padding
}

TEST(IkeCrypto, KeyExpansionAndKeymatLengths) {
  const Bytes psk = {'k', 'e', 'y'};
  const Bytes n(16, 1), g(128, 2), c(8, 3);
  // 3DES needs 24 bytes from a 20-byte SHA-1 SKEYID_e: the appendix B expansion.
  Phase1Keys k = derive_phase1_psk(HashAlg::kSha1, lm::Cipher::kDes3Cbc, psk, n, n, g, g, g, c, c);
  EXPECT_EQ(k.enc_key.size(), 24u);
  EXPECT_EQ(k.iv0.size(), 8u);
  EXPECT_EQ(k.skeyid_e.size(), 20u);
  const Bytes k1 = prf(HashAlg::kSha1, k.skeyid_e.view(), {Bytes{0}});
  EXPECT_EQ(Bytes(k.enc_key.bytes().begin(), k.enc_key.bytes().begin() + 20), k1);
  Secret km = quick_mode_keymat(HashAlg::kSha1, k.skeyid_d.view(), {}, 3, 0x1234, n, n, 52);
  EXPECT_EQ(km.size(), 52u);
  Secret km2 = quick_mode_keymat(HashAlg::kSha1, k.skeyid_d.view(), {}, 3, 0x1235, n, n, 52);
  EXPECT_NE(km.bytes(), km2.bytes());
}
