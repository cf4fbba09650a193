// L2TPv2 (RFC 2661) wire encoding: the header (section 3.1), AVPs (section 4.1) with the rule table
// of section 4.4 (size, M bit, whether hiding is allowed), hidden AVPs (section 4.3) and the
// challenge/response of tunnel authentication (4.4.3, 5.1.1). No state: the state machines and
// the reliable delivery layer are elsewhere (channel.hpp, lns.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "l2sec/golden/bytes.hpp"

namespace l2sec::l2tp {

inline constexpr std::uint16_t kL2tpPort = 1701;

// Control message types (section 3.2).
enum class MsgType : std::uint16_t {
  kSccrq = 1,
  kSccrp = 2,
  kScccn = 3,
  kStopccn = 4,
  kHello = 6,
  kOcrq = 7,
  kOcrp = 8,
  kOccn = 9,
  kIcrq = 10,
  kIcrp = 11,
  kIccn = 12,
  kCdn = 14,
  kWen = 15,
  kSli = 16,
};
std::string_view to_string(MsgType t);
bool is_known_message_type(std::uint16_t t);
// True for the messages of a session (ICRQ..CDN, WEN, SLI), false for tunnel messages.
bool is_session_message(MsgType t);

// Attribute types, vendor 0 (section 4.4).
enum class AvpType : std::uint16_t {
  kMessageType = 0,
  kResultCode = 1,
  kProtocolVersion = 2,
  kFramingCapabilities = 3,
  kBearerCapabilities = 4,
  kTieBreaker = 5,
  kFirmwareRevision = 6,
  kHostName = 7,
  kVendorName = 8,
  kAssignedTunnelId = 9,
  kReceiveWindowSize = 10,
  kChallenge = 11,
  kQ931CauseCode = 12,
  kChallengeResponse = 13,
  kAssignedSessionId = 14,
  kCallSerialNumber = 15,
  kMinimumBps = 16,
  kMaximumBps = 17,
  kBearerType = 18,
  kFramingType = 19,
  kCalledNumber = 21,
  kCallingNumber = 22,
  kSubAddress = 23,
  kTxConnectSpeed = 24,
  kPhysicalChannelId = 25,
  kInitialReceivedLcpConfreq = 26,
  kLastSentLcpConfreq = 27,
  kLastReceivedLcpConfreq = 28,
  kProxyAuthenType = 29,
  kProxyAuthenName = 30,
  kProxyAuthenChallenge = 31,
  kProxyAuthenId = 32,
  kProxyAuthenResponse = 33,
  kCallErrors = 34,
  kAccm = 35,
  kRandomVector = 36,
  kPrivateGroupId = 37,
  kRxConnectSpeed = 38,
  kSequencingRequired = 39,
};

// The rule for one attribute: value length bounds (after unhiding), the M bit we send, and
// whether the H bit is allowed.
struct AvpRule {
  AvpType type;
  std::string_view name;
  std::uint16_t min_len;
  std::uint16_t max_len;
  bool mandatory;  // the M bit we set when sending
  bool may_hide;
};
// nullptr for attributes this implementation does not know (vendor 0 only).
const AvpRule* avp_rule(std::uint16_t type);
std::string avp_name(std::uint16_t vendor, std::uint16_t type);

// StopCCN result codes (4.4.2).
namespace stopccn {
inline constexpr std::uint16_t kGeneralClear = 1;
inline constexpr std::uint16_t kGeneralError = 2;
inline constexpr std::uint16_t kAlreadyExists = 3;
inline constexpr std::uint16_t kNotAuthorized = 4;
inline constexpr std::uint16_t kBadVersion = 5;
inline constexpr std::uint16_t kShuttingDown = 6;
inline constexpr std::uint16_t kFsmError = 7;
}  // namespace stopccn
// CDN result codes (4.4.2).
namespace cdn {
inline constexpr std::uint16_t kLostCarrier = 1;
inline constexpr std::uint16_t kGeneralError = 2;
inline constexpr std::uint16_t kAdmin = 3;
inline constexpr std::uint16_t kNoFacilitiesTemporary = 4;
inline constexpr std::uint16_t kNoFacilitiesPermanent = 5;
inline constexpr std::uint16_t kInvalidDestination = 6;
inline constexpr std::uint16_t kTimeout = 10;
inline constexpr std::uint16_t kNoFraming = 11;
}  // namespace cdn
// General error codes (4.4.2).
namespace errc {
inline constexpr std::uint16_t kNone = 0;
inline constexpr std::uint16_t kNoControlConnection = 1;
inline constexpr std::uint16_t kBadLength = 2;
inline constexpr std::uint16_t kBadValue = 3;
inline constexpr std::uint16_t kNoResources = 4;
inline constexpr std::uint16_t kBadSessionId = 5;
inline constexpr std::uint16_t kVendorSpecific = 6;
inline constexpr std::uint16_t kTryAnother = 7;
inline constexpr std::uint16_t kUnknownMandatoryAvp = 8;
}  // namespace errc

// ---- header

struct Header {
  bool control = false;      // T
  bool has_length = true;    // L (always set on control messages)
  bool has_seq = false;      // S (always set on control messages)
  bool has_offset = false;   // O
  bool priority = false;     // P
  std::uint16_t length = 0;  // the L field when present
  std::uint16_t tunnel = 0;
  std::uint16_t session = 0;
  std::uint16_t ns = 0;
  std::uint16_t nr = 0;
  std::size_t payload_offset = 0;  // where the AVPs or the PPP frame start
};

enum class Error : std::uint8_t {
  kNone,
  kTruncated,            // shorter than its header or the L field says
  kBadVersion,           // Ver is not 2
  kBadControlBits,       // control message without L or S, or with O or P
  kBadLength,            // L field beyond the datagram or below the header
  kBadOffset,            // offset beyond the payload
  kBadAvpLength,         // AVP length below 6 or beyond the message
  kNoMessageType,        // first AVP is not a Message Type AVP
  kBadAvpValue,          // length outside the rule's bounds, or hidden where not allowed
  kHiddenNoSecret,       // hidden AVP and no shared secret configured
  kHiddenNoVector,       // hidden AVP without a preceding Random Vector
  kBadHiddenLength,      // the unhidden original length exceeds the data
  kMissingAvp,           // a required AVP of this message type is absent
  kUnknownMandatoryAvp,  // an unrecognised AVP with the M bit (see Decoded::unknown_mandatory)
};
std::string_view to_string(Error e);

// Parses the header; on error returns nullopt and sets *error.
std::optional<Header> parse_header(ByteView datagram, Error* error);

// ---- AVPs and messages

struct Avp {
  bool mandatory = true;  // M
  bool hidden = false;    // H: hide on encode / was hidden on the wire
  std::uint16_t vendor = 0;
  std::uint16_t type = 0;
  Bytes value;  // clear value (unhidden on decode)
};

struct Message {
  std::uint16_t type = 0;   // MsgType, or an unknown value
  std::vector<Avp> avps;    // excluding Message Type and Random Vector
  bool has_hidden = false;  // decoded: the sender hid at least one AVP

  MsgType msg_type() const { return static_cast<MsgType>(type); }
  const Avp* find(AvpType t) const;
  std::optional<std::uint16_t> u16(AvpType t) const;
  std::optional<std::uint32_t> u32(AvpType t) const;
  std::optional<std::string> str(AvpType t) const;
  bool has(AvpType t) const { return find(t) != nullptr; }

  // Builders: the M bit comes from the rule table unless overridden.
  Message& add(AvpType t, Bytes value, bool hidden = false);
  Message& add_u16(AvpType t, std::uint16_t v, bool hidden = false);
  Message& add_u32(AvpType t, std::uint32_t v, bool hidden = false);
  Message& add_string(AvpType t, std::string_view s, bool hidden = false);
  Message& add_result(std::uint16_t result, std::uint16_t error = 0, std::string_view text = {});
};

// A decoded Result Code AVP.
struct ResultCode {
  std::uint16_t result = 0;
  std::optional<std::uint16_t> error;
  std::string message;
};
std::optional<ResultCode> parse_result_code(const Avp& avp);

struct Decoded {
  Error error = Error::kNone;
  std::string detail;  // what was wrong, for the log
  Message message;
  bool zlb = false;                      // a control header without AVPs
  bool ignore = false;                   // unknown message type without the M bit: ignore (4.1)
  std::optional<Avp> unknown_mandatory;  // first unrecognised AVP with M set
};

// Decodes a control message body (the bytes after the header). `secret` unhides hidden AVPs.
// Required AVPs per message type are checked here (the rule table in codec.cpp).
Decoded decode_control(ByteView body, std::string_view secret);

// Encodes a whole control message. Hidden AVPs get a fresh Random Vector AVP in front of the
// first of them; without a secret, AVPs are sent in the clear.
Bytes encode_control(std::uint16_t tunnel, std::uint16_t session, std::uint16_t ns,
                     std::uint16_t nr, const Message& m, std::string_view secret);
// A ZLB acknowledgement: a control header and nothing else.
Bytes encode_zlb(std::uint16_t tunnel, std::uint16_t session, std::uint16_t ns, std::uint16_t nr);
// A data message with the length bit; with sequence numbers when `seq` is given (Ns, Nr).
struct DataSeq {
  std::uint16_t ns = 0;
  std::uint16_t nr = 0;
};
Bytes encode_data(std::uint16_t tunnel, std::uint16_t session, std::optional<DataSeq> seq,
                  ByteView ppp_frame);

// ---- hidden AVPs and tunnel authentication (MD5 via OpenSSL EVP)

Bytes md5(ByteView data);
// RFC 2661 4.3: the hidden value of an attribute: subformat (2-byte length, value, padding) XOR
// the MD5 chain seeded with (type, secret, random vector).
Bytes hide_value(std::uint16_t type, ByteView value, std::string_view secret, ByteView vector,
                 ByteView padding);
// The reverse; nullopt when the embedded length exceeds the data.
std::optional<Bytes> unhide_value(std::uint16_t type, ByteView hidden, std::string_view secret,
                                  ByteView vector);
// 4.4.3: MD5(message type of the response as one octet, secret, challenge).
Bytes challenge_response(std::uint8_t id, std::string_view secret, ByteView challenge);

// Sequence arithmetic mod 2^16 (5.8): a < b when b - a is in 1..32767.
constexpr bool seq_lt(std::uint16_t a, std::uint16_t b) {
  const auto d = static_cast<std::uint16_t>(b - a);
  return d != 0 && d < 0x8000;
}

}  // namespace l2sec::l2tp
