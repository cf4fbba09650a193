// The host mailbox (docs/line-module.md section 3): versioned little-endian messages between the
// host's line-module back end and the firmware, carried by the driver's rings.
//
// Every message is a 16-byte header then a body of exactly `length` bytes:
//
//   offset 0  magic    "L2MB"
//          4  version  u16 (kVersion)
//          6  type     u16 (MsgType)
//          8  seq      u32: a request's number, echoed by its response; the firmware numbers its
//                      unsolicited messages (EVENT, RX_PACKET) itself
//         12  length   u32: body bytes, at most kMaxBody
//
// Requests go host -> firmware; each gets exactly one response of type (request | 0x80), or
// kErrorReply when the request's type or version was not understood. Every response body starts
// with the same status (Reply). EVENT and RX_PACKET are unsolicited, firmware -> host.
//
// Decoding is strict and canonical: exact lengths, enum values the map defines, booleans 0 or 1,
// bounded strings and payloads. Whatever decodes re-encodes to the same bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "l2sec/golden/bytes.hpp"
#include "l2sec/golden/esp.hpp"
#include "lm_regs.hpp"

namespace l2sec::fw {

inline constexpr std::array<std::uint8_t, 4> kMagic = {'L', '2', 'M', 'B'};
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 16;
inline constexpr std::size_t kMaxBody = 65536;
inline constexpr std::size_t kMaxPayload = 65507;  // largest UDP payload in IPv4
inline constexpr std::size_t kMaxErrorText = 512;
inline constexpr std::size_t kMaxPorts = 16;  // ident.CAPS.PORTS is 4 bits

enum class MsgType : std::uint16_t {
  // host -> firmware
  kHello = 0x01,
  kSaAdd = 0x02,
  kSaDel = 0x03,
  kSaUpdatePeer = 0x04,
  kSaQuery = 0x05,
  kCounters = 0x06,
  kTxIke = 0x07,
  kTxL2tp = 0x08,
  kTxL2tpClear = 0x09,
  kTxIp = 0x0a,  // a whole IPv4 packet onto the wire (the host's software path: sealed 3DES ESP)
  // firmware -> host, unsolicited
  kEvent = 0x40,
  kRxPacket = 0x41,
  // responses: request | 0x80
  kHelloReply = 0x81,
  kSaAddReply = 0x82,
  kSaDelReply = 0x83,
  kSaUpdatePeerReply = 0x84,
  kSaQueryReply = 0x85,
  kCountersReply = 0x86,
  kTxIkeReply = 0x87,
  kTxL2tpReply = 0x88,
  kTxL2tpClearReply = 0x89,
  kTxIpReply = 0x8a,
  kErrorReply = 0xff,  // the request could not be read (bad version, unknown type, bad body)
};
std::string_view to_string(MsgType t);
bool is_request(MsgType t);
// The response type of a request type (kErrorReply for anything else).
MsgType reply_type(MsgType request);

// Why a request failed. Carried in every response.
enum class Result : std::uint8_t {
  kOk = 0,
  kBadMessage = 1,   // header or body malformed (magic, length, field out of range)
  kBadVersion = 2,   // a version this firmware does not speak
  kUnknownType = 3,  // a type this firmware does not know
  kNotFound = 4,     // no such SA / handle
  kExists = 5,       // the SA is already installed
  kCollision = 6,    // inbound SPI's slot (SPI mod capacity) holds another SA
  kNoSpace = 7,      // no free slot / handle entry
  kUnsupported = 8,  // suite the line module does not implement (3DES: host slow path)
  kHardware = 9,     // the SA table reported ERROR or stayed BUSY
  kNoRoute = 10,     // no outbound SA for the handle
  kBusy = 11,        // the FPGA did not take the frame
  // SA_ADD of an inbound SA the line module cannot decapsulate (3DES): installed as a host-path
  // entry (no keys) in the slot the response names; its ESP goes up whole as RX_PACKET, not
  // protected, with the handle and SPI, for the host's software back end. Not ok(): the host
  // serves the SA itself.
  kHostPath = 12,
};
inline constexpr std::uint8_t kResultMax = 12;
std::string_view to_string(Result r);

// An IPv4 address and UDP port, host byte order (ipsec::Endpoint's shape).
struct Endpoint {
  std::uint32_t addr = 0;
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// 0 means "no limit" in either field (ipsec::Lifetime's shape).
struct Lifetime {
  std::uint64_t seconds = 0;
  std::uint64_t bytes = 0;
  friend bool operator==(const Lifetime&, const Lifetime&) = default;
};

// One direction of an SA as the SA table needs it: golden::SaConfig with the keys expanded.
struct SaParams {
  std::uint32_t spi = 0;
  lm::Direction direction = lm::Direction::kInbound;
  lm::Cipher cipher = lm::Cipher::kAesCbc128;
  lm::Integ integ = lm::Integ::kHmacSha1;
  lm::IcvLen icv_len = lm::IcvLen::kIcv96;
  lm::Encap encap = lm::Encap::kNone;
  bool nat_passthrough = false;  // NAT_PASSTHROUGH: zero the inner UDP checksum after decap
  std::uint32_t local_addr = 0;
  std::uint32_t peer_addr = 0;
  std::uint16_t local_port = 4500;
  std::uint16_t peer_port = 4500;
  std::uint32_t natoa_peer = 0;      // 0: not known
  std::uint32_t natoa_local = 0;     // 0: not known
  std::uint8_t replay_win_log2 = 6;  // 5..10
  std::uint32_t initial_seq = 0;     // outbound: last sequence number sent; inbound: highest seen
  std::uint8_t key_len = 16;         // cipher key bytes in key[] (16, 24, 32; 24 for 3DES)
  std::array<std::uint8_t, 32> key{};
  std::array<std::uint32_t, 8> hmac_istate{};  // golden::hmac_precompute; SHA-1 uses 0..4
  std::array<std::uint32_t, 8> hmac_ostate{};
  std::array<std::uint8_t, 16> iv_key{};
  friend bool operator==(const SaParams&, const SaParams&) = default;
};

// Expands a golden SaConfig (what IKE hands the back end) into SaParams: HMAC states from the
// authentication key, replay window as log2 (rounded up, 5..10). nullopt and *error when the
// configuration is not one the line module can hold (key lengths, window size).
std::optional<SaParams> expand_sa(const golden::SaConfig& cfg, std::string* error = nullptr);
// The same SaParams with every key byte and hash state word zeroed (what queries return).
SaParams without_keys(SaParams p);

// Per-SA counters (sa_stats).
struct SaCounters {
  std::uint64_t packets = 0, bytes = 0;
  std::uint64_t icv_fail = 0, replay_drop = 0, pad_fail = 0, other_drop = 0;
  friend bool operator==(const SaCounters&, const SaCounters&) = default;
};

// ---- request bodies

struct Hello {
  std::uint16_t min_version = kVersion;  // the versions the host speaks
  std::uint16_t max_version = kVersion;
  friend bool operator==(const Hello&, const Hello&) = default;
};

struct SaAdd {
  std::uint32_t handle = 0;  // the SA pair (ipsec::SaHandle); nonzero
  SaParams sa;
  Lifetime soft;  // raises EVENT SOFT_EXPIRE once
  Lifetime hard;  // raises EVENT HARD_EXPIRE once and deletes the SA
  friend bool operator==(const SaAdd&, const SaAdd&) = default;
};

struct SaDel {
  std::uint32_t spi = 0;
  lm::Direction direction = lm::Direction::kInbound;
  std::uint32_t grace_ms = 0;  // 0: now; else the SA keeps working this long, then goes
  friend bool operator==(const SaDel&, const SaDel&) = default;
};

struct SaUpdatePeer {
  std::uint32_t handle = 0;
  Endpoint peer;  // new outer address and port for every SA of the handle
  friend bool operator==(const SaUpdatePeer&, const SaUpdatePeer&) = default;
};

struct SaQuery {
  std::uint32_t spi = 0;
  lm::Direction direction = lm::Direction::kInbound;
  friend bool operator==(const SaQuery&, const SaQuery&) = default;
};

struct CountersRequest {
  friend bool operator==(const CountersRequest&, const CountersRequest&) = default;
};

struct TxIke {
  std::uint8_t port = 0;  // line port
  Endpoint local;         // our address and port 500 or 4500 (4500: the non-ESP marker is added)
  Endpoint peer;
  Bytes message;  // the ISAKMP message
  friend bool operator==(const TxIke&, const TxIke&) = default;
};

struct TxL2tp {
  std::uint32_t handle = 0;  // through the handle's active outbound SA
  std::uint16_t lac_port = 1701;
  Bytes message;  // the L2TP message; the firmware adds the inner UDP header
  friend bool operator==(const TxL2tp&, const TxL2tp&) = default;
};

struct TxL2tpClear {
  std::uint8_t port = 0;
  Endpoint local;  // our address; the source port is always 1701
  Endpoint peer;
  Bytes message;
  friend bool operator==(const TxL2tpClear&, const TxL2tpClear&) = default;
};

// A whole IPv4 packet the host built (ESP sealed by the software back end): the firmware puts
// the Ethernet header in front (ctrl.LOCAL_MAC_* / GATEWAY_MAC_*, type 0x0800) and sends it raw
// (encap = 0). The packet must be IPv4 with a sane header and its total length its size.
struct TxIp {
  std::uint8_t port = 0;  // line port
  Bytes packet;           // kMinIpPacket..kMaxIpPacket bytes
  friend bool operator==(const TxIp&, const TxIp&) = default;
};
inline constexpr std::size_t kMinIpPacket = 20;
inline constexpr std::size_t kMaxIpPacket = 65535;

// ---- response bodies

struct HelloInfo {
  std::uint16_t version = kVersion;  // the version chosen
  std::uint32_t regmap_version = 0;  // lm::kRegmapVersion the FPGA reports
  std::uint32_t rtl_version = 0;     // ident.RTL_VERSION
  std::uint32_t build_id = 0;        // ident.BUILD_ID
  std::uint32_t caps = 0;            // ident.CAPS as read
  std::uint32_t capacity = 0;        // sa_table.CAPS.CAPACITY
  std::uint8_t max_win_log2 = 0;     // sa_table.CAPS.MAX_WIN_LOG2
  std::uint8_t ports = 1;
  std::uint32_t outbox_capacity = 0;
  friend bool operator==(const HelloInfo&, const HelloInfo&) = default;
};

struct SaInfo {
  std::uint32_t handle = 0;
  SaParams sa;  // keys zeroed; peer as currently installed
  Lifetime soft, hard;
  std::uint16_t slot = 0;
  std::uint8_t gen = 0;
  bool active_outbound = false;  // the outbound SA TX_L2TP uses for its handle
  bool retiring = false;         // deleted with a grace period that has not passed yet
  SaCounters counters;
  std::uint32_t last_seq = 0;  // outbound: last sent; inbound: highest received
  std::uint64_t age_ms = 0;
  friend bool operator==(const SaInfo&, const SaInfo&) = default;
};

// Firmware counters, by index; names from to_string(FwCounter).
enum class FwCounter : std::uint8_t {
  kRequests,
  kBadRequests,  // undecodable, bad version or unknown type
  kRefused,      // well-formed requests answered with an error
  kSaInstalled,
  kSaDeleted,
  kSaCollisions,
  kHwErrors,  // sa_table CMD ERROR or BUSY timeout
  kRxFrames,
  kRxToHost,
  kRxBadMeta,     // header beat and data disagree: dropped
  kRxUnknownSa,   // decapsulated by a slot the firmware does not hold: dropped
  kRxNotL2tp,     // decapsulated but not UDP to 1701: dropped
  kRxKeepalives,  // NAT keepalives that reached the firmware: discarded
  kRxMalformed,   // MALFORMED frames that reached the firmware: dropped
  kRxOther,       // OTHER handed up
  kRxFragments,   // FRAGMENT handed up
  kTxIke,
  kTxL2tp,
  kTxL2tpClear,
  kTxBusy,             // the FPGA did not take a frame: dropped
  kTxNoSa,             // TX_L2TP for a handle without an outbound SA
  kEvents,             // EVENT messages raised
  kFpgaEvents,         // ctrl.EVENT entries read
  kFpgaEventsUnknown,  // of those, for no SA we hold or of an unknown kind
  kPeerMoved,
  kSoftExpired,
  kHardExpired,
  kSeqOverflows,
  kRetired,         // SAs removed when their grace period passed
  kOutboxDrops,     // messages lost because the outbox was full
  kFpgaEventsLost,  // ctrl.EVENT_LOST as last read: events the FPGA's FIFO could not hold
  kSaHostPath,      // inbound SAs installed as host-path entries (3DES)
  kRxHostPath,      // ESP of host-path entries handed up whole (not protected)
  kTxIp,            // TX_IP packets sent
  kCount
};
inline constexpr std::size_t kFwCounterCount = static_cast<std::size_t>(FwCounter::kCount);
std::string_view to_string(FwCounter c);
using FwCounters = std::array<std::uint64_t, kFwCounterCount>;

struct CountersInfo {
  std::array<std::uint64_t, 16> parser_class{};  // parser.CLASS_COUNT by pkt_class
  std::array<std::uint64_t, 32> parser_drop{};   // parser.DROP_COUNT by drop_reason
  std::uint64_t decap_packets = 0;
  std::array<std::uint64_t, 32> decap_drop{};
  std::uint64_t encap_packets = 0;
  std::array<std::uint64_t, 32> encap_drop{};
  std::array<std::uint64_t, kMaxPorts> keepalives{};  // discarded, per line port
  FwCounters firmware{};
  friend bool operator==(const CountersInfo&, const CountersInfo&) = default;
};

// Every response. `answers` is the request type (kErrorReply's answers is what the header said,
// which may be no known type). Exactly one of the optional parts is present when result is kOk
// and the request was HELLO, SA_QUERY or COUNTERS; slot only for a successful SA_ADD (outbound SAs
// take slots the host's SPI allocator must then avoid).
struct Reply {
  std::uint16_t answers = 0;
  bool unreadable = false;  // sent as ERROR_REPLY: the request's header or body was not understood
  Result result = Result::kOk;
  lm::DropReason reason = lm::DropReason::kNone;
  std::string error;  // empty when kOk
  std::optional<std::uint16_t> slot;
  std::optional<HelloInfo> hello;
  std::optional<SaInfo> sa;
  std::optional<CountersInfo> counters;
  bool ok() const { return result == Result::kOk; }
  friend bool operator==(const Reply&, const Reply&) = default;
};

// ---- unsolicited

enum class EventKind : std::uint8_t {  // ipsec::EventKind's order
  kSoftExpire = 0,
  kHardExpire = 1,  // the firmware has deleted the SA
  kSeqOverflow = 2,
  kPeerMoved = 3,  // an authenticated inbound packet came from a new outer source
};
std::string_view to_string(EventKind k);

struct Event {
  EventKind kind = EventKind::kSoftExpire;
  std::uint32_t handle = 0;
  std::uint32_t spi = 0;
  lm::Direction direction = lm::Direction::kInbound;
  Endpoint peer;  // kPeerMoved: the new outer source
  friend bool operator==(const Event&, const Event&) = default;
};

// A packet for the host: ipsec::HostPacket's fields plus the line port and the protection flag.
struct RxPacket {
  lm::PktClass pkt_class = lm::PktClass::kOther;
  std::uint8_t port = 0;
  Endpoint local;            // outer destination
  Endpoint peer;             // outer source, as the NAT mapped it
  std::uint32_t handle = 0;  // protected L2TP: the SA pair it arrived on
  std::uint32_t spi = 0;
  bool is_protected = false;
  std::uint16_t inner_src_port = 0;
  std::uint16_t inner_dst_port = 0;
  // IKE: the ISAKMP message (no non-ESP marker); L2TP: the UDP payload; OTHER and FRAGMENT: the
  // whole Ethernet frame; ESP and ESP_UDP not protected (a host-path SA's, handle and SPI set):
  // the whole Ethernet frame, for the host's software back end to decapsulate.
  Bytes payload;
  friend bool operator==(const RxPacket&, const RxPacket&) = default;
};

using Body = std::variant<Hello, SaAdd, SaDel, SaUpdatePeer, SaQuery, CountersRequest, TxIke,
                          TxL2tp, TxL2tpClear, TxIp, Reply, Event, RxPacket>;

struct Message {
  std::uint32_t seq = 0;
  Body body;
  friend bool operator==(const Message&, const Message&) = default;
};

// The wire type a message is sent as.
MsgType type_of(const Message& m);

// Encodes into out (cleared first; its capacity is reused).
void encode(const Message& m, Bytes& out);
Bytes encode(const Message& m);
// An RX_PACKET without building an RxPacket (the firmware's receive path): `head` supplies every
// field but the payload.
void encode_rx_packet(std::uint32_t seq, const RxPacket& head, ByteView payload, Bytes& out);

struct DecodeError {
  Result result = Result::kBadMessage;
  std::string reason;
  // What the header said, when it could be read: lets the firmware answer with the right seq.
  bool header_read = false;
  std::uint32_t seq = 0;
  std::uint16_t type = 0;
};

// Decodes one whole message (exactly, no trailing bytes). Never throws on any input.
std::optional<Message> decode(ByteView bytes, DecodeError* error = nullptr);

// TX_L2TP, the per-packet request, without copying the message: `message` points into the
// decoded bytes. Accepts exactly what decode() accepts as a TX_L2TP; nullopt for anything else
// (decode() then says why).
struct TxL2tpView {
  std::uint32_t seq = 0;
  std::uint32_t handle = 0;
  std::uint16_t lac_port = 0;
  ByteView message;
};
std::optional<TxL2tpView> decode_tx_l2tp(ByteView bytes);

}  // namespace l2sec::fw
