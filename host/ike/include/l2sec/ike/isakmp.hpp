// ISAKMP (RFC 2408) wire encoding for IKEv1 (RFC 2409), the IPsec DOI (RFC 2407) and NAT-T
// (RFC 3947 and draft-ietf-ipsec-nat-t-ike-02/03). Only encoding lives here: no exchange state,
// no crypto, no sockets.
//
// The payload layouts are a rule table (kPayloadRules): per payload type the minimum body length
// and whether it may repeat; structured bodies (SA, ID, N, D, NAT-OA) have their own decoders that
// check every length. Every malformation has its own ParseError, so the responder can count and
// log it by name.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "l2sec/golden/bytes.hpp"

namespace l2sec::ike {

inline constexpr std::size_t kHeaderLen = 28;
inline constexpr std::size_t kGenericHeaderLen = 4;
inline constexpr std::uint8_t kIkeVersion1 = 0x10;
inline constexpr std::size_t kMaxMessageLen = 65535 - 28;  // fits a UDP datagram
inline constexpr std::size_t kMaxPayloads = 64;

using Cookie = std::array<std::uint8_t, 8>;

enum class PayloadType : std::uint8_t {
  kNone = 0,
  kSa = 1,
  kProposal = 2,
  kTransform = 3,
  kKe = 4,
  kId = 5,
  kCert = 6,
  kCertReq = 7,
  kHash = 8,
  kSig = 9,
  kNonce = 10,
  kNotify = 11,
  kDelete = 12,
  kVendorId = 13,
  kNatD = 20,        // RFC 3947
  kNatOa = 21,       // RFC 3947
  kNatDDraft = 130,  // draft-ietf-ipsec-nat-t-ike-02/03
  kNatOaDraft = 131,
};
std::string_view to_string(PayloadType t);

enum class ExchangeType : std::uint8_t {
  kNone = 0,
  kBase = 1,
  kIdentityProtection = 2,  // Main Mode
  kAuthOnly = 3,
  kAggressive = 4,
  kInformational = 5,
  kQuickMode = 32,
};
std::string_view to_string(ExchangeType t);

inline constexpr std::uint8_t kFlagEncryption = 0x01;
inline constexpr std::uint8_t kFlagCommit = 0x02;
inline constexpr std::uint8_t kFlagAuthOnly = 0x04;

// Notify message types (RFC 2408 3.14.1, RFC 2407 4.6.3, RFC 3706).
enum class NotifyType : std::uint16_t {
  kInvalidPayloadType = 1,
  kDoiNotSupported = 2,
  kInvalidExchangeType = 7,
  kInvalidFlags = 8,
  kInvalidMessageId = 9,
  kInvalidSpi = 11,
  kNoProposalChosen = 14,
  kPayloadMalformed = 16,
  kInvalidKeyInformation = 17,
  kInvalidIdInformation = 18,
  kInvalidHashInformation = 23,
  kAuthenticationFailed = 24,
  kResponderLifetime = 24576,
  kReplayStatus = 24577,
  kInitialContact = 24578,
  kRuThere = 36136,
  kRuThereAck = 36137,
};

inline constexpr std::uint32_t kDoiIpsec = 1;
inline constexpr std::uint32_t kSitIdentityOnly = 1;
inline constexpr std::uint8_t kProtoIsakmp = 1;
inline constexpr std::uint8_t kProtoEsp = 3;
inline constexpr std::uint8_t kTransformKeyIke = 1;
inline constexpr std::uint8_t kEspTransform3Des = 3;
inline constexpr std::uint8_t kEspTransformAes = 12;

// Phase-1 SA attributes (RFC 2409 appendix A).
namespace p1 {
inline constexpr std::uint16_t kEncryption = 1;
inline constexpr std::uint16_t kHash = 2;
inline constexpr std::uint16_t kAuthMethod = 3;
inline constexpr std::uint16_t kGroup = 4;
inline constexpr std::uint16_t kLifeType = 11;
inline constexpr std::uint16_t kLifeDuration = 12;
inline constexpr std::uint16_t kKeyLength = 14;
inline constexpr std::uint16_t kEnc3Des = 5;
inline constexpr std::uint16_t kEncAes = 7;
inline constexpr std::uint16_t kHashMd5 = 1;
inline constexpr std::uint16_t kHashSha1 = 2;
inline constexpr std::uint16_t kHashSha256 = 4;
inline constexpr std::uint16_t kHashSha384 = 5;
inline constexpr std::uint16_t kAuthPsk = 1;
inline constexpr std::uint16_t kAuthRsaSig = 3;
inline constexpr std::uint16_t kLifeSeconds = 1;
inline constexpr std::uint16_t kLifeKilobytes = 2;
}  // namespace p1

// IPsec DOI SA attributes (RFC 2407 4.5, RFC 3947 and the drafts' encapsulation modes).
namespace p2 {
inline constexpr std::uint16_t kLifeType = 1;
inline constexpr std::uint16_t kLifeDuration = 2;
inline constexpr std::uint16_t kGroup = 3;
inline constexpr std::uint16_t kEncapMode = 4;
inline constexpr std::uint16_t kAuthAlg = 5;
inline constexpr std::uint16_t kKeyLength = 6;
inline constexpr std::uint16_t kModeTunnel = 1;
inline constexpr std::uint16_t kModeTransport = 2;
inline constexpr std::uint16_t kModeUdpTunnelRfc = 3;
inline constexpr std::uint16_t kModeUdpTransportRfc = 4;
inline constexpr std::uint16_t kModeUdpTunnelDraft = 61443;
inline constexpr std::uint16_t kModeUdpTransportDraft = 61444;
inline constexpr std::uint16_t kAuthHmacMd5 = 1;
inline constexpr std::uint16_t kAuthHmacSha1 = 2;
inline constexpr std::uint16_t kAuthHmacSha256 = 5;
}  // namespace p2

// ID types (RFC 2407 4.6.2.1).
inline constexpr std::uint8_t kIdIpv4Addr = 1;
inline constexpr std::uint8_t kIdFqdn = 2;
inline constexpr std::uint8_t kIdUserFqdn = 3;
inline constexpr std::uint8_t kIdIpv4Subnet = 4;
inline constexpr std::uint8_t kIdDerAsn1Dn = 9;
inline constexpr std::uint8_t kIdKeyId = 11;

// Why a message or payload was refused. Each one has a counter in the responder.
enum class ParseError : std::uint8_t {
  kNone = 0,
  kTruncatedHeader,        // fewer than 28 bytes
  kBadVersion,             // major version not 1
  kLengthMismatch,         // header length differs from the datagram
  kTooLong,                // longer than a datagram can be
  kBadFlags,               // undefined flag bits set
  kZeroInitiatorCookie,    // CKY-I is zero
  kPayloadTruncated,       // a generic header or body runs past the end
  kPayloadLengthTooShort,  // payload length below the header or the type's fixed part
  kTrailingBytes,          // bytes after the last payload of a clear message
  kTooManyPayloads,        // more than kMaxPayloads
  kUnknownPayload,         // a payload type we cannot skip safely (reserved or private)
  kBadSa,                  // SA body: DOI/situation or proposal chain broken
  kBadProposal,            // proposal: lengths, SPI size, transform count
  kBadTransform,           // transform: lengths or chaining
  kBadAttribute,           // attribute runs past its transform, or a TV/TLV error
  kBadId,                  // ID payload too short for its type
  kBadNotify,              // notify SPI size or length
  kBadDelete,              // delete SPI size/count disagree with the length
  kBadNatOa,               // NAT-OA not an IPv4 address
  kBadReserved,            // a reserved field was not zero
  kCount,
};
inline constexpr std::size_t kParseErrorCount = static_cast<std::size_t>(ParseError::kCount);
std::string_view to_string(ParseError e);

struct Header {
  Cookie icookie{};
  Cookie rcookie{};
  PayloadType next = PayloadType::kNone;
  std::uint8_t version = kIkeVersion1;
  ExchangeType exchange = ExchangeType::kNone;
  std::uint8_t flags = 0;
  std::uint32_t message_id = 0;
  std::uint32_t length = 0;
};

struct Attribute {
  std::uint16_t type = 0;  // without the AF bit
  bool tv = true;          // TV (AF=1): 16-bit value; otherwise TLV with data
  std::uint16_t value = 0;
  Bytes data;
  // The value as an integer: TV value, or a big-endian TLV of up to 8 bytes; nullopt otherwise.
  std::optional<std::uint64_t> as_int() const;
  static Attribute basic(std::uint16_t type, std::uint16_t value);
  // A TV attribute when the value fits 16 bits, otherwise a 4-byte TLV (lifetimes).
  static Attribute integer(std::uint16_t type, std::uint64_t value);
};

struct Transform {
  std::uint8_t number = 1;
  std::uint8_t id = 0;
  std::vector<Attribute> attributes;
  const Attribute* find(std::uint16_t type) const;
};

struct Proposal {
  std::uint8_t number = 1;
  std::uint8_t protocol = kProtoIsakmp;
  Bytes spi;
  std::vector<Transform> transforms;
};

struct SaPayload {
  std::uint32_t doi = kDoiIpsec;
  std::uint32_t situation = kSitIdentityOnly;
  std::vector<Proposal> proposals;
};

struct IdPayload {
  std::uint8_t type = kIdIpv4Addr;
  std::uint8_t protocol = 0;
  std::uint16_t port = 0;
  Bytes data;
  std::optional<std::uint32_t> ipv4() const;  // for ID_IPV4_ADDR
  static IdPayload from_ipv4(std::uint32_t addr, std::uint8_t protocol = 0, std::uint16_t port = 0);
  friend bool operator==(const IdPayload&, const IdPayload&) = default;
};

struct NotifyPayload {
  std::uint32_t doi = kDoiIpsec;
  std::uint8_t protocol = kProtoIsakmp;
  Bytes spi;
  std::uint16_t type = 0;
  Bytes data;
};

struct DeletePayload {
  std::uint32_t doi = kDoiIpsec;
  std::uint8_t protocol = kProtoIsakmp;
  std::uint8_t spi_size = 16;
  std::vector<Bytes> spis;
};

struct NatOaPayload {
  std::uint8_t id_type = kIdIpv4Addr;
  std::uint32_t addr = 0;
};

// One payload as received: the type, the body (without the generic header), and where it sat in
// the message body (offset of its generic header), which the QM and informational hashes need.
struct Payload {
  PayloadType type = PayloadType::kNone;
  Bytes body;
  std::size_t offset = 0;
};

struct Message {
  Header header;
  std::vector<Payload> payloads;
  std::size_t payload_end = 0;  // end of the last payload within the body (padding excluded)
  const Payload* find(PayloadType t) const;
  std::vector<const Payload*> find_all(PayloadType t) const;
};

// ---- decoding (packet input: never throws, every error named)
std::optional<Header> parse_header(ByteView datagram, ParseError* error);
// Splits a body (what follows the header, decrypted if needed) into payloads starting with the
// header's next-payload type. allow_padding: encrypted bodies end in cipher padding after the
// last payload; clear ones must end exactly at the last payload.
bool parse_payloads(PayloadType first, ByteView body, bool allow_padding, Message& out,
                    ParseError* error);
// Header and payloads of a clear message in one go.
std::optional<Message> parse_message(ByteView datagram, ParseError* error);

std::optional<SaPayload> parse_sa(ByteView body, ParseError* error);
std::optional<IdPayload> parse_id(ByteView body, ParseError* error);
std::optional<NotifyPayload> parse_notify(ByteView body, ParseError* error);
std::optional<DeletePayload> parse_delete(ByteView body, ParseError* error);
std::optional<NatOaPayload> parse_nat_oa(ByteView body, ParseError* error);
// CERT and CERTREQ: one encoding byte then the data.
inline constexpr std::uint8_t kCertX509Signature = 4;  // RFC 2408 3.9
struct CertPayload {
  std::uint8_t encoding = kCertX509Signature;
  Bytes data;
};
std::optional<CertPayload> parse_cert(ByteView body, ParseError* error);

// ---- encoding
void write_header(const Header& h, std::uint8_t* out);  // 28 bytes
Bytes encode_sa(const SaPayload& sa);
Bytes encode_id(const IdPayload& id);
Bytes encode_notify(const NotifyPayload& n);
Bytes encode_delete(const DeletePayload& d);
Bytes encode_nat_oa(const NatOaPayload& n);
Bytes encode_cert(const CertPayload& c);
Bytes encode_attributes(const std::vector<Attribute>& attrs);

// Builds a payload chain: next-payload fields are filled in as payloads are added.
class PayloadChain {
 public:
  void add(PayloadType type, ByteView body);
  PayloadType first() const { return first_; }
  const Bytes& bytes() const { return bytes_; }
  // Offset of the generic header of the i-th payload added.
  std::size_t offset(std::size_t i) const { return offsets_.at(i); }
  std::size_t size() const { return offsets_.size(); }

 private:
  PayloadType first_ = PayloadType::kNone;
  Bytes bytes_;
  std::vector<std::size_t> offsets_;
};

// A clear message: header (next and length filled in) + chain.
Bytes assemble(Header h, const PayloadChain& chain);

// Vendor IDs we recognise and send.
namespace vid {
extern const std::array<std::uint8_t, 16> kNatTRfc3947;
extern const std::array<std::uint8_t, 16> kNatTDraft02;
extern const std::array<std::uint8_t, 16> kNatTDraft02n;
extern const std::array<std::uint8_t, 16> kNatTDraft03;
extern const std::array<std::uint8_t, 16> kDpd;
}  // namespace vid

}  // namespace l2sec::ike
