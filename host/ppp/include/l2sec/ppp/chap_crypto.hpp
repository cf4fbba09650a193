// The hashes behind PPP authentication: CHAP-MD5 (RFC 1994 4.1) and MS-CHAPv2 (RFC 2759 8).
// MD4 and single DES come from OpenSSL's legacy provider, loaded into a private library context
// (the process-wide default providers are left alone).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "l2sec/golden/bytes.hpp"

namespace l2sec::ppp {

using Hash16 = std::array<std::uint8_t, 16>;
using Challenge16 = std::array<std::uint8_t, 16>;
using NtResponse = std::array<std::uint8_t, 24>;

// MD5(identifier || secret || challenge).
Hash16 chap_md5_response(std::uint8_t id, std::string_view secret, ByteView challenge);

// True when MD4 and DES are usable (the legacy provider could be loaded).
bool mschap_available();

// RFC 2759 8.3: MD4 of the password in UTF-16LE (UTF-8 input; bytes that are not valid UTF-8 are
// taken as Latin-1). nullopt when MD4 is not available.
std::optional<Hash16> nt_password_hash(std::string_view password);
// RFC 2759 8.2: the first 8 bytes of SHA1(peer challenge || authenticator challenge || user name
// without any domain part).
std::array<std::uint8_t, 8> challenge_hash(const Challenge16& peer, const Challenge16& auth,
                                           std::string_view user);
// RFC 2759 8.1: GenerateNTResponse.
std::optional<NtResponse> generate_nt_response(const Challenge16& auth, const Challenge16& peer,
                                               std::string_view user, std::string_view password);
// RFC 2759 8.7: GenerateAuthenticatorResponse, as the 42-character "S=<40 upper-case hex>".
std::optional<std::string> generate_authenticator_response(std::string_view password,
                                                           const NtResponse& nt_response,
                                                           const Challenge16& peer,
                                                           const Challenge16& auth,
                                                           std::string_view user);
// The user name as MS-CHAPv2 hashes it: without a "DOMAIN\" prefix.
std::string_view mschap_strip_domain(std::string_view user);

// Constant-time comparison of equal-length buffers.
bool equal_ct(ByteView a, ByteView b);

}  // namespace l2sec::ppp
