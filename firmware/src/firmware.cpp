#include "l2sec/fw/firmware.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "l2sec/golden/classify.hpp"
#include "l2sec/golden/crypto.hpp"
#include "l2sec/golden/ipv4.hpp"
#include "l2sec/log.hpp"

namespace l2sec::fw {
namespace {

constexpr const char* kLog = "lm";
constexpr std::size_t kNonEspMarker = 4;
constexpr std::uint32_t kMaxBlocks = 64;
constexpr std::uint32_t kRegSpace = 1u << lm::kAddrWidth;

std::string hex32(std::uint32_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s += kHex[(v >> shift) & 0xf];
  return s;
}

const char* dir_name(lm::Direction d) {
  return d == lm::Direction::kInbound ? "inbound" : "outbound";
}

// Block versions are major.minor.patch in bytes 2, 1, 0. Same major is compatible; before 1.0 the
// minor must match too.
bool compatible(std::uint32_t found, std::uint32_t ours) {
  const std::uint32_t major = (ours >> 16) & 0xff;
  return ((found >> 16) & 0xff) == major &&
         (major != 0 || ((found >> 8) & 0xff) == ((ours >> 8) & 0xff));
}

bool is_aes(lm::Cipher c) {
  return c == lm::Cipher::kAesCbc128 || c == lm::Cipher::kAesCbc192 || c == lm::Cipher::kAesCbc256;
}

}  // namespace

Firmware::Firmware(FpgaIo& io, FirmwareConfig config) : io_(io), config_(config) { start(); }

std::optional<std::uint32_t> Firmware::block_base(std::uint32_t type_id) const {
  for (const auto& [type, base] : found_) {
    if (type == type_id) return base;
  }
  return std::nullopt;
}

bool Firmware::start() {
  ready_ = false;
  found_.clear();
  auto fail = [&](std::string why) {
    start_error_ = std::move(why);
    log::error(kLog) << "firmware start-up: " << start_error_;
    return false;
  };
  // Walk the self-describing blocks from offset 0 (ident is always there).
  std::uint32_t offset = 0;
  for (std::uint32_t n = 0;; ++n) {
    if (n == kMaxBlocks) return fail("register block chain longer than 64 blocks (a loop?)");
    const std::uint32_t type = io_.read32(offset);
    const std::uint32_t version = io_.read32(offset + 4);
    const std::uint32_t next = io_.read32(offset + 8);
    if (n == 0 && type != lm::ident::kTypeId) {
      return fail("no ident block at offset 0 (TYPE " + hex32(type) + ")");
    }
    for (const auto& info : lm::kBlocks) {
      if (info.type_id != type) continue;
      if (!compatible(version, info.version_id)) {
        return fail(std::string(info.name) + " block version " + hex32(version) +
                    " is not compatible with the version this firmware drives, " +
                    hex32(info.version_id));
      }
    }
    found_.emplace_back(type, offset);
    if (next == 0) break;
    if (next <= offset || next >= kRegSpace || next % 4 != 0) {
      return fail("block at " + hex32(offset) + " has NEXT " + hex32(next) +
                  " (not after it, unaligned or outside the register space)");
    }
    offset = next;
  }
  const auto ident = block_base(lm::ident::kTypeId);
  const auto ctrl = block_base(lm::ctrl::kTypeId);
  const auto sa = block_base(lm::sa_table::kTypeId);
  if (!ctrl) return fail("no ctrl block in the chain");
  if (!sa) return fail("no sa_table block in the chain");
  blocks_.ident = *ident;
  blocks_.ctrl = *ctrl;
  blocks_.sa_table = *sa;
  blocks_.parser = block_base(lm::parser::kTypeId);
  blocks_.decap = block_base(lm::decap::kTypeId);
  blocks_.encap = block_base(lm::encap::kTypeId);

  // Register offsets in lm_regs.hpp are absolute for the generated layout; where a block sits
  // elsewhere, they are rebased (offset - kBase + found base).
  ident_caps_ = io_.read32(blocks_.ident + (lm::ident::kCaps - lm::ident::kBase));
  rtl_version_ = io_.read32(blocks_.ident + (lm::ident::kRtlVersion - lm::ident::kBase));
  build_id_ = io_.read32(blocks_.ident + (lm::ident::kBuildId - lm::ident::kBase));
  ports_ = static_cast<std::uint8_t>(
      std::max<std::uint32_t>(1, lm::ident::caps::kPorts.get(ident_caps_)));
  const std::uint32_t caps =
      io_.read32(blocks_.sa_table + (lm::sa_table::kCaps - lm::sa_table::kBase));
  const std::uint32_t hw_capacity = lm::sa_table::caps::kCapacity.get(caps);
  const std::uint32_t entry_words = lm::sa_table::caps::kEntryWords.get(caps);
  max_win_log2_ = static_cast<std::uint8_t>(lm::sa_table::caps::kMaxWinLog2.get(caps));
  if (hw_capacity == 0) return fail("sa_table CAPS reports no entries");
  if (entry_words < lm::sa_entry::kWords) {
    return fail("sa_table entries of " + std::to_string(entry_words) + " words, the map needs " +
                std::to_string(lm::sa_entry::kWords));
  }
  if (max_win_log2_ < 5) {
    return fail("sa_table MAX_WIN_LOG2 " + std::to_string(max_win_log2_) + " below 5");
  }
  capacity_ = std::min<std::uint32_t>(
      {hw_capacity, config_.max_capacity, static_cast<std::uint32_t>(kNoSlot)});

  slots_.assign(capacity_, Slot{});
  handles_.clear();
  handles_.reserve(capacity_);
  outbox_.assign(std::max<std::size_t>(1, config_.outbox_capacity), Bytes{});
  outbox_head_ = outbox_count_ = 0;

  std::uint32_t control = lm::ctrl::control::kEnable.set(0, 1);
  control = lm::ctrl::control::kNatPassthrough.set(control, config_.nat_passthrough ? 1u : 0u);
  write_macs();
  if (config_.enable_irq) {
    namespace irq = lm::ctrl::irq_status;
    io_.write32(blocks_.ctrl + (lm::ctrl::kIrqEnable - lm::ctrl::kBase),
                irq::kEvent.set(irq::kRx.set(irq::kError.set(0, 1), 1), 1));
  }
  if (config_.invalidate_at_start) {
    for (std::uint32_t i = 0; i < capacity_; ++i) {
      if (!command(lm::SaCmdOp::kInvalidate, static_cast<std::uint16_t>(i))) {
        return fail("INVALIDATE of SA slot " + std::to_string(i) + " failed");
      }
    }
  }
  io_.write32(blocks_.ctrl + (lm::ctrl::kControl - lm::ctrl::kBase), control);  // last
  ready_ = true;
  start_error_.clear();
  log::info(kLog) << "firmware up: " << found_.size() << " register blocks, SA table of "
                  << capacity_ << " entries (hardware " << hw_capacity << "), replay windows up to "
                  << (1u << max_win_log2_) << ", RTL " << hex32(rtl_version_);
  return true;
}

void Firmware::write_macs() {
  auto hi = [](const MacAddress& m) { return (std::uint32_t{m[0]} << 8) | std::uint32_t{m[1]}; };
  auto lo = [](const MacAddress& m) {
    return (std::uint32_t{m[2]} << 24) | (std::uint32_t{m[3]} << 16) | (std::uint32_t{m[4]} << 8) |
           std::uint32_t{m[5]};
  };
  const std::uint32_t b = blocks_.ctrl - lm::ctrl::kBase;
  io_.write32(b + lm::ctrl::kLocalMacHi, hi(config_.local_mac));
  io_.write32(b + lm::ctrl::kLocalMacLo, lo(config_.local_mac));
  io_.write32(b + lm::ctrl::kGatewayMacHi, hi(config_.gateway_mac));
  io_.write32(b + lm::ctrl::kGatewayMacLo, lo(config_.gateway_mac));
}

MacAddress Firmware::read_mac(std::uint32_t hi_reg) {
  // HI at hi_reg (bytes 0, 1 in bits 15:0), LO after it (bytes 2..5, byte 2 in bits 31:24).
  const std::uint32_t b = blocks_.ctrl - lm::ctrl::kBase;
  const std::uint32_t hi = io_.read32(b + hi_reg);
  const std::uint32_t lo = io_.read32(b + hi_reg + 4);
  return {static_cast<std::uint8_t>(hi >> 8),  static_cast<std::uint8_t>(hi),
          static_cast<std::uint8_t>(lo >> 24), static_cast<std::uint8_t>(lo >> 16),
          static_cast<std::uint8_t>(lo >> 8),  static_cast<std::uint8_t>(lo)};
}

// ---- outbox

Bytes* Firmware::outbox_slot() {
  if (outbox_count_ == outbox_.size()) {
    count(FwCounter::kOutboxDrops);
    if (counter(FwCounter::kOutboxDrops) == 1 || counter(FwCounter::kOutboxDrops) % 1000 == 0) {
      log::warning(kLog) << "outbox full (" << outbox_.size() << " messages): message dropped ("
                         << counter(FwCounter::kOutboxDrops) << " so far)";
    }
    return nullptr;
  }
  Bytes& b = outbox_[(outbox_head_ + outbox_count_) % outbox_.size()];
  ++outbox_count_;
  return &b;
}

bool Firmware::take_message(Bytes& out) {
  if (outbox_count_ == 0) return false;
  // A copy, not a swap: the outbox keeps its grown buffers, and a caller that reuses `out` has
  // no allocation per message either.
  out.assign(outbox_[outbox_head_].begin(), outbox_[outbox_head_].end());
  outbox_head_ = (outbox_head_ + 1) % outbox_.size();
  --outbox_count_;
  return true;
}

void Firmware::raise(EventKind kind, const Slot& s, Endpoint peer) {
  count(FwCounter::kEvents);
  Bytes* out = outbox_slot();
  if (out == nullptr) return;
  Event e;
  e.kind = kind;
  e.handle = s.handle;
  e.spi = s.sa.spi;
  e.direction = s.sa.direction;
  e.peer = peer;
  encode(Message{++unsolicited_seq_, e}, *out);
}

// ---- sa_table access

bool Firmware::command(lm::SaCmdOp op, std::uint16_t index) {
  namespace t = lm::sa_table;
  const std::uint32_t reg = blocks_.sa_table + (t::kCmd - t::kBase);
  std::uint32_t cmd = t::cmd::kIndex.set(0, index);
  cmd = t::cmd::kOp.set(cmd, static_cast<std::uint32_t>(op));
  io_.write32(reg, cmd);
  for (std::uint32_t i = 0; i < config_.cmd_poll_limit; ++i) {
    const std::uint32_t v = io_.read32(reg);
    if (t::cmd::kBusy.get(v) != 0) continue;
    if (t::cmd::kError.get(v) != 0) {
      count(FwCounter::kHwErrors);
      log::error(kLog) << "sa_table " << lm::to_string(op) << " of slot " << index
                       << " failed (CMD.ERROR)";
      return false;
    }
    return true;
  }
  count(FwCounter::kHwErrors);
  log::error(kLog) << "sa_table " << lm::to_string(op) << " of slot " << index
                   << " still BUSY after " << config_.cmd_poll_limit << " reads";
  return false;
}

bool Firmware::write_entry(std::uint16_t index, const EntryWords& words) {
  namespace t = lm::sa_table;
  const std::uint32_t stage = blocks_.sa_table + (t::kStage - t::kBase);
  // Word 0 (VALID, GEN) last, as the RTL writes the entry itself.
  for (std::uint32_t w = 1; w < words.size(); ++w) io_.write32(stage + 4 * w, words[w]);
  io_.write32(stage, words[0]);
  return command(lm::SaCmdOp::kWrite, index);
}

std::optional<SaCounters> Firmware::read_stats(std::uint16_t index) {
  namespace t = lm::sa_table;
  if (!command(lm::SaCmdOp::kReadStats, index)) return std::nullopt;
  const std::uint32_t stage = blocks_.sa_table + (t::kStage - t::kBase);
  StatsWords w{};
  for (std::uint32_t i = 0; i < w.size(); ++i) w[i] = io_.read32(stage + 4 * i);
  return unpack_stats(w);
}

EntryWords Firmware::entry_of(const Slot& s, std::uint8_t gen) const {
  return pack_entry(s.sa, gen, s.soft.bytes, s.hard.bytes);
}

std::uint32_t Firmware::last_seq_of(const Slot& s, const SaCounters& c) const {
  if (s.sa.direction == lm::Direction::kInbound) return std::max(s.highest_seq, s.sa.initial_seq);
  // Every packet the encap engine sent took the next sequence number.
  const std::uint64_t last = std::uint64_t{s.sa.initial_seq} + c.packets;
  return last > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(last);
}

// ---- tables

std::optional<std::uint16_t> Firmware::find_slot(std::uint32_t spi, lm::Direction dir) const {
  if (capacity_ == 0) return std::nullopt;
  if (dir == lm::Direction::kInbound) {
    const auto i = static_cast<std::uint16_t>(spi % capacity_);
    const Slot& s = slots_[i];
    if (s.in_use && s.sa.direction == dir && s.sa.spi == spi) return i;
    return std::nullopt;
  }
  for (std::uint32_t i = 0; i < capacity_; ++i) {  // control path only
    const Slot& s = slots_[i];
    if (s.in_use && s.sa.direction == dir && s.sa.spi == spi) return static_cast<std::uint16_t>(i);
  }
  return std::nullopt;
}

std::optional<std::uint16_t> Firmware::slot_of(std::uint32_t spi, lm::Direction dir) const {
  return find_slot(spi, dir);
}

const Firmware::HandleEntry* Firmware::find_handle(std::uint32_t handle) const {
  const auto it =
      std::lower_bound(handles_.begin(), handles_.end(), handle,
                       [](const HandleEntry& e, std::uint32_t h) { return e.handle < h; });
  return it != handles_.end() && it->handle == handle ? &*it : nullptr;
}

Firmware::HandleEntry* Firmware::find_handle(std::uint32_t handle) {
  return const_cast<HandleEntry*>(std::as_const(*this).find_handle(handle));
}

Firmware::HandleEntry* Firmware::add_handle(std::uint32_t handle) {
  if (auto* e = find_handle(handle)) return e;
  if (handles_.size() == handles_.capacity()) return nullptr;  // never reallocates
  const auto it =
      std::lower_bound(handles_.begin(), handles_.end(), handle,
                       [](const HandleEntry& e, std::uint32_t h) { return e.handle < h; });
  return &*handles_.insert(it, HandleEntry{handle, kNoSlot, kNoSlot});
}

std::optional<std::uint16_t> Firmware::active_outbound(std::uint32_t handle) const {
  const auto* e = find_handle(handle);
  if (e == nullptr || e->active_out == kNoSlot) return std::nullopt;
  return e->active_out;
}

void Firmware::unlink(std::uint16_t index) {
  Slot& s = slots_[index];
  HandleEntry* h = find_handle(s.handle);
  if (h == nullptr) return;
  if (h->first_slot == index) {
    h->first_slot = s.next_of_handle;
  } else {
    for (std::uint16_t i = h->first_slot; i != kNoSlot; i = slots_[i].next_of_handle) {
      if (slots_[i].next_of_handle == index) {
        slots_[i].next_of_handle = s.next_of_handle;
        break;
      }
    }
  }
  s.next_of_handle = kNoSlot;
  if (h->active_out == index) {
    // Fall back to another outbound SA of the handle (the newest that is not retiring, else any).
    h->active_out = kNoSlot;
    std::uint64_t best = 0;
    bool best_retiring = true;
    for (std::uint16_t i = h->first_slot; i != kNoSlot; i = slots_[i].next_of_handle) {
      const Slot& o = slots_[i];
      if (o.sa.direction != lm::Direction::kOutbound) continue;
      const bool retiring = o.retire_at_ms != 0;
      if (h->active_out == kNoSlot || (best_retiring && !retiring) ||
          (retiring == best_retiring && o.installed_ms >= best)) {
        h->active_out = i;
        best = o.installed_ms;
        best_retiring = retiring;
      }
    }
  }
  if (h->first_slot == kNoSlot) {
    handles_.erase(handles_.begin() + (h - handles_.data()));
  }
}

bool Firmware::remove_sa(std::uint16_t index, const char* why) {
  Slot& s = slots_[index];
  if (!command(lm::SaCmdOp::kInvalidate, index)) return false;
  log::info(kLog) << "removed " << dir_name(s.sa.direction) << " SA spi " << hex32(s.sa.spi)
                  << " handle " << s.handle << " from slot " << index << " (" << why << ")";
  unlink(index);
  const std::uint8_t gen = s.gen;
  s = Slot{};  // wipes the keys
  s.gen = gen;
  s.gen_known = true;
  count(FwCounter::kSaDeleted);
  return true;
}

// ---- requests

Bytes Firmware::handle(ByteView request) {
  Bytes out;
  handle(request, out);
  return out;
}

void Firmware::handle(ByteView request, Bytes& response) {
  count(FwCounter::kRequests);
  // The per-packet request first, without copying its message: no allocation on this path.
  if (const auto v = decode_tx_l2tp(request)) {
    Message reply{v->seq, ready_ ? on_tx_l2tp(v->handle, v->lac_port, v->message)
                                 : refuse(Reply{}, Result::kHardware,
                                          "firmware not started: " + start_error_)};
    std::get<Reply>(reply.body).answers = static_cast<std::uint16_t>(MsgType::kTxL2tp);
    encode(reply, response);
    return;
  }
  DecodeError err;
  const auto m = decode(request, &err);
  if (!m) {
    count(FwCounter::kBadRequests);
    log::warning(kLog) << "mailbox: request refused: " << err.reason;
    Reply r;
    r.answers = err.type;
    r.unreadable = true;
    r.result = err.result;
    r.error = err.reason;
    encode(Message{err.seq, r}, response);
    return;
  }
  const MsgType type = type_of(*m);
  if (!is_request(type)) {
    count(FwCounter::kBadRequests);
    log::warning(kLog) << "mailbox: " << to_string(type) << " is not a request; refused";
    Reply r;
    r.answers = static_cast<std::uint16_t>(type);
    r.unreadable = true;
    r.result = Result::kUnknownType;
    r.error = std::string(to_string(type)) + " is not a request";
    encode(Message{m->seq, r}, response);
    return;
  }
  Reply r = dispatch(*m);
  r.answers = static_cast<std::uint16_t>(type);
  encode(Message{m->seq, std::move(r)}, response);
}

Reply Firmware::refuse(Reply r, Result result, std::string why, lm::DropReason reason) {
  count(FwCounter::kRefused);
  if (result == Result::kBusy || result == Result::kNoRoute) {
    // Packet paths: counted (tx_busy, tx_no_sa); a warning per packet would flood the log.
    log::debug(kLog) << why;
  } else {
    log::warning(kLog) << why;
  }
  r.result = result;
  r.reason = reason;
  r.error = std::move(why);
  return r;
}

Reply Firmware::dispatch(const Message& m) {
  if (!ready_) {
    return refuse(Reply{}, Result::kHardware, "firmware not started: " + start_error_);
  }
  return std::visit(
      [&](const auto& b) -> Reply {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Hello>)
          return on_hello(b);
        else if constexpr (std::is_same_v<T, SaAdd>)
          return on_sa_add(b);
        else if constexpr (std::is_same_v<T, SaDel>)
          return on_sa_del(b);
        else if constexpr (std::is_same_v<T, SaUpdatePeer>)
          return on_update_peer(b);
        else if constexpr (std::is_same_v<T, SaQuery>)
          return on_sa_query(b);
        else if constexpr (std::is_same_v<T, CountersRequest>)
          return on_counters();
        else if constexpr (std::is_same_v<T, TxIke>)
          return on_tx_ike(b);
        else if constexpr (std::is_same_v<T, TxL2tp>)
          return on_tx_l2tp(b.handle, b.lac_port, b.message);
        else if constexpr (std::is_same_v<T, TxL2tpClear>)
          return on_tx_l2tp_clear(b);
        else if constexpr (std::is_same_v<T, TxIp>)
          return on_tx_ip(b);
        else
          return refuse(Reply{}, Result::kUnknownType, "not a request");
      },
      m.body);
}

Reply Firmware::on_hello(const Hello& m) {
  if (m.min_version > kVersion || m.max_version < kVersion) {
    return refuse(Reply{}, Result::kBadVersion,
                  "HELLO: host speaks versions " + std::to_string(m.min_version) + ".." +
                      std::to_string(m.max_version) + ", firmware " + std::to_string(kVersion));
  }
  Reply r;
  HelloInfo h;
  h.version = kVersion;
  h.regmap_version = lm::kRegmapVersion;
  h.rtl_version = rtl_version_;
  h.build_id = build_id_;
  h.caps = ident_caps_;
  h.capacity = capacity_;
  h.max_win_log2 = max_win_log2_;
  h.ports = ports_;
  h.outbox_capacity = static_cast<std::uint32_t>(outbox_.size());
  r.hello = h;
  return r;
}

Reply Firmware::on_sa_add(const SaAdd& m) {
  const SaParams& p = m.sa;
  const std::string what = std::string("SA_ADD ") + dir_name(p.direction) + " spi " + hex32(p.spi) +
                           " handle " + std::to_string(m.handle) + ": ";
  if (m.handle == 0) return refuse(Reply{}, Result::kBadMessage, what + "handle 0");
  if (p.spi <= 255) {
    return refuse(Reply{}, Result::kBadMessage, what + "SPI 0..255 is reserved (RFC 4303)");
  }
  // An inbound 3DES SA becomes a host-path entry: the lookup finds it and the RTL hands its ESP
  // up whole for the host's software back end. No keys reach the FPGA. Outbound 3DES needs no
  // entry (the host seals it and sends TX_IP).
  const bool host_path = p.cipher == lm::Cipher::kDes3Cbc && p.direction == lm::Direction::kInbound;
  if (!is_aes(p.cipher) && !host_path) {
    return refuse(Reply{}, Result::kUnsupported,
                  what + std::string(lm::to_string(p.cipher)) +
                      " is not implemented by the line module (3DES: host software path)",
                  lm::DropReason::kUnsupportedSuite);
  }
  if (!host_path && (p.integ == lm::Integ::kNone || !golden::icv_len_valid(p.integ, p.icv_len))) {
    return refuse(Reply{}, Result::kUnsupported,
                  what + std::string(lm::to_string(p.integ)) + " with " +
                      std::string(lm::to_string(p.icv_len)) + " is not implemented",
                  lm::DropReason::kUnsupportedSuite);
  }
  if (!host_path && p.key_len != golden::cipher_key_len(p.cipher)) {
    return refuse(Reply{}, Result::kBadMessage,
                  what + "key of " + std::to_string(p.key_len) + " bytes for " +
                      std::string(lm::to_string(p.cipher)));
  }
  if (p.replay_win_log2 < 5 || p.replay_win_log2 > 10) {
    return refuse(
        Reply{}, Result::kBadMessage,
        what + "replay window log2 " + std::to_string(p.replay_win_log2) + " outside 5..10");
  }
  if (find_slot(p.spi, p.direction)) {
    return refuse(Reply{}, Result::kExists, what + "already installed");
  }
  std::uint16_t index = kNoSlot;
  if (p.direction == lm::Direction::kInbound) {
    index = static_cast<std::uint16_t>(p.spi % capacity_);
    const Slot& s = slots_[index];
    if (s.in_use) {
      count(FwCounter::kSaCollisions);
      return refuse(Reply{}, Result::kCollision,
                    what + "slot " + std::to_string(index) + " (SPI mod " +
                        std::to_string(capacity_) + ") holds " + dir_name(s.sa.direction) +
                        " SA spi " + hex32(s.sa.spi) + " of handle " + std::to_string(s.handle));
    }
  } else {
    // Outbound SAs never take part in the lookup: any free slot, from the top down, so they stay
    // clear of the low slots the host's SPI allocator hands out first.
    for (std::uint32_t i = capacity_; i-- > 0;) {
      if (!slots_[i].in_use) {
        index = static_cast<std::uint16_t>(i);
        break;
      }
    }
    if (index == kNoSlot) return refuse(Reply{}, Result::kNoSpace, what + "SA table full");
  }
  HandleEntry* h = add_handle(m.handle);
  if (h == nullptr) return refuse(Reply{}, Result::kNoSpace, what + "handle table full");

  Slot& s = slots_[index];
  if (!s.gen_known) {
    // First use since start-up: continue from the GEN the table holds (a previous run's).
    if (!command(lm::SaCmdOp::kRead, index)) {
      if (h->first_slot == kNoSlot) handles_.erase(handles_.begin() + (h - handles_.data()));
      return refuse(Reply{}, Result::kHardware, what + "SA table READ failed");
    }
    namespace t = lm::sa_table;
    s.gen = static_cast<std::uint8_t>(
        lm::sa_entry::kGen.bits().get(io_.read32(blocks_.sa_table + (t::kStage - t::kBase))));
    s.gen_known = true;
  }
  Slot fresh;
  fresh.gen = static_cast<std::uint8_t>(s.gen + 1);
  fresh.gen_known = true;
  fresh.handle = m.handle;
  fresh.sa = host_path ? without_keys(p) : p;
  fresh.sa.replay_win_log2 = std::min(p.replay_win_log2, max_win_log2_);
  fresh.host_path = host_path;
  if (host_path) {
    fresh.sa.key_len = 0;  // whatever keys came are dropped; the host's software path has them
  } else {
    fresh.soft = m.soft;  // a host-path SA's lifetimes are the software path's
    fresh.hard = m.hard;
  }
  fresh.installed_ms = now_ms_;
  fresh.in_use = true;
  // The previous occupant's counters go first, then the entry (word 0 last).
  if (!command(lm::SaCmdOp::kClearStats, index) ||
      !write_entry(index, entry_of(fresh, fresh.gen))) {
    if (h->first_slot == kNoSlot) handles_.erase(handles_.begin() + (h - handles_.data()));
    return refuse(Reply{}, Result::kHardware, what + "SA table write failed");
  }
  if (!host_path && fresh.sa.replay_win_log2 != p.replay_win_log2) {
    log::info(kLog) << what << "replay window 2^" << unsigned{p.replay_win_log2}
                    << " capped at the hardware's 2^" << unsigned{max_win_log2_};
  }
  s = fresh;
  s.next_of_handle = h->first_slot;
  h->first_slot = index;
  if (p.direction == lm::Direction::kOutbound) {
    // Make-before-break: the new SA carries TX_L2TP at once; the old one goes after the grace.
    if (h->active_out != kNoSlot) {
      Slot& old = slots_[h->active_out];
      const std::uint64_t at = now_ms_ + config_.outbound_grace_ms;
      if (old.retire_at_ms == 0 || old.retire_at_ms > at)
        old.retire_at_ms = std::max<std::uint64_t>(at, 1);
      log::info(kLog) << "handle " << m.handle << ": outbound spi " << hex32(p.spi)
                      << " replaces spi " << hex32(old.sa.spi) << ", which retires in "
                      << config_.outbound_grace_ms << " ms";
    }
    h->active_out = index;
  }
  if (host_path) {
    count(FwCounter::kSaHostPath);
    log::info(kLog) << "installed host-path entry for inbound " << lm::to_string(p.cipher)
                    << " SA spi " << hex32(p.spi) << " handle " << m.handle
                    << (p.encap == lm::Encap::kUdp ? " udp-encap" : "") << " in slot " << index
                    << " gen " << unsigned{s.gen} << ": its ESP goes to the host";
    Reply r;
    r.result = Result::kHostPath;
    r.slot = index;
    return r;
  }
  count(FwCounter::kSaInstalled);
  log::info(kLog) << "installed " << dir_name(p.direction) << " SA spi " << hex32(p.spi)
                  << " handle " << m.handle << " " << lm::to_string(p.cipher) << "/"
                  << lm::to_string(p.integ) << (p.encap == lm::Encap::kUdp ? " udp-encap" : "")
                  << " in slot " << index << " gen " << unsigned{s.gen};
  Reply r;
  r.slot = index;
  return r;
}

Reply Firmware::on_sa_del(const SaDel& m) {
  const auto index = find_slot(m.spi, m.direction);
  if (!index) {
    return refuse(
        Reply{}, Result::kNotFound,
        std::string("SA_DEL: no ") + dir_name(m.direction) + " SA with SPI " + hex32(m.spi));
  }
  if (m.grace_ms != 0) {
    Slot& s = slots_[*index];
    s.retire_at_ms = std::max<std::uint64_t>(now_ms_ + m.grace_ms, 1);
    log::info(kLog) << "SA spi " << hex32(m.spi) << " retires in " << m.grace_ms << " ms";
    return Reply{};
  }
  if (!remove_sa(*index, "deleted by the host")) {
    return refuse(Reply{}, Result::kHardware, "SA_DEL: SA table INVALIDATE failed");
  }
  return Reply{};
}

Reply Firmware::on_update_peer(const SaUpdatePeer& m) {
  const HandleEntry* h = find_handle(m.handle);
  if (h == nullptr) {
    return refuse(Reply{}, Result::kNotFound,
                  "SA_UPDATE_PEER: no SA with handle " + std::to_string(m.handle));
  }
  for (std::uint16_t i = h->first_slot; i != kNoSlot; i = slots_[i].next_of_handle) {
    Slot& s = slots_[i];
    s.sa.peer_addr = m.peer.addr;
    s.sa.peer_port = m.peer.port;
    // Same GEN: the engines keep the replay window and the sequence number.
    if (!write_entry(i, entry_of(s, s.gen))) {
      return refuse(Reply{}, Result::kHardware, "SA_UPDATE_PEER: SA table write failed");
    }
  }
  log::info(kLog) << "handle " << m.handle << ": peer now " << ipv4_to_string(m.peer.addr) << ":"
                  << m.peer.port;
  return Reply{};
}

Reply Firmware::on_sa_query(const SaQuery& m) {
  const auto index = find_slot(m.spi, m.direction);
  if (!index) {
    return refuse(
        Reply{}, Result::kNotFound,
        std::string("SA_QUERY: no ") + dir_name(m.direction) + " SA with SPI " + hex32(m.spi));
  }
  const auto stats = read_stats(*index);
  if (!stats) return refuse(Reply{}, Result::kHardware, "SA_QUERY: READ_STATS failed");
  const Slot& s = slots_[*index];
  SaInfo info;
  info.handle = s.handle;
  info.sa = without_keys(s.sa);
  info.soft = s.soft;
  info.hard = s.hard;
  info.slot = *index;
  info.gen = s.gen;
  const auto* h = find_handle(s.handle);
  info.active_outbound = h != nullptr && h->active_out == *index;
  info.retiring = s.retire_at_ms != 0;
  info.counters = *stats;
  info.last_seq = last_seq_of(s, *stats);
  info.age_ms = now_ms_ - s.installed_ms;
  Reply r;
  r.sa = info;
  return r;
}

Reply Firmware::on_counters() {
  CountersInfo c;
  auto read_array = [&](std::uint32_t base, std::uint32_t block_base, std::uint32_t reg,
                        auto& out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = io_.read32(base + (reg - block_base) + static_cast<std::uint32_t>(4 * i));
    }
  };
  if (blocks_.parser) {
    read_array(*blocks_.parser, lm::parser::kBase, lm::parser::kClassCount, c.parser_class);
    read_array(*blocks_.parser, lm::parser::kBase, lm::parser::kDropCount, c.parser_drop);
  }
  if (blocks_.decap) {
    c.decap_packets = io_.read32(*blocks_.decap + (lm::decap::kPackets - lm::decap::kBase));
    read_array(*blocks_.decap, lm::decap::kBase, lm::decap::kDropCount, c.decap_drop);
  }
  if (blocks_.encap) {
    c.encap_packets = io_.read32(*blocks_.encap + (lm::encap::kPackets - lm::encap::kBase));
    read_array(*blocks_.encap, lm::encap::kBase, lm::encap::kDropCount, c.encap_drop);
  }
  // Keepalives: the parser discards them on the wire (one parser, port 0); any that reach the
  // firmware are discarded here and counted on their port.
  c.keepalives = keepalives_;
  c.keepalives[0] += c.parser_class[static_cast<std::size_t>(lm::PktClass::kNatKeepalive)];
  c.firmware = counters_;
  Reply r;
  r.counters = c;
  return r;
}

bool Firmware::send(const TxMeta& meta, ByteView frame) {
  for (std::uint32_t i = 0; i <= config_.tx_retries; ++i) {
    if (io_.tx_frame(meta, frame)) return true;
  }
  count(FwCounter::kTxBusy);
  log::warning(kLog) << "FPGA did not take a " << frame.size() << "-byte frame after "
                     << config_.tx_retries << " retries; dropped";
  return false;
}

namespace {

// Ethernet II around an IPv4 packet with our MACs: golden::ethernet_frame, addresses replaced.
Bytes frame_of(ByteView ipv4, const MacAddress& dst, const MacAddress& src) {
  Bytes frame = golden::ethernet_frame(ipv4);
  std::copy(dst.begin(), dst.end(), frame.begin());
  std::copy(src.begin(), src.end(), frame.begin() + 6);
  return frame;
}

constexpr std::size_t kMaxUdpPayload = 0xffff - golden::kIpv4MinHeader - golden::kUdpHeader;

}  // namespace

Reply Firmware::on_tx_ike(const TxIke& m) {
  const bool natt = m.local.port == golden::kPortNatT;
  if (m.message.size() + (natt ? kNonEspMarker : 0) > kMaxUdpPayload) {
    return refuse(Reply{}, Result::kBadMessage,
                  "TX_IKE: message of " + std::to_string(m.message.size()) + " bytes too long");
  }
  if (m.port >= ports_) {
    return refuse(Reply{}, Result::kBadMessage,
                  "TX_IKE: line port " + std::to_string(m.port) + " does not exist");
  }
  Bytes payload;
  if (natt) payload.assign(kNonEspMarker, 0);
  payload.insert(payload.end(), m.message.begin(), m.message.end());
  const Bytes pkt = golden::build_udp_packet(m.local.addr, m.peer.addr, m.local.port, m.peer.port,
                                             payload, ip_id_++);
  TxMeta meta;
  meta.encap = false;
  meta.port = m.port;
  if (!send(meta,
            frame_of(pkt, read_mac(lm::ctrl::kGatewayMacHi), read_mac(lm::ctrl::kLocalMacHi)))) {
    return refuse(Reply{}, Result::kBusy, "TX_IKE: FPGA busy", lm::DropReason::kNoBuffer);
  }
  count(FwCounter::kTxIke);
  return Reply{};
}

Reply Firmware::on_tx_l2tp_clear(const TxL2tpClear& m) {
  if (m.message.size() > kMaxUdpPayload) {
    return refuse(
        Reply{}, Result::kBadMessage,
        "TX_L2TP_CLEAR: message of " + std::to_string(m.message.size()) + " bytes too long");
  }
  if (m.port >= ports_) {
    return refuse(Reply{}, Result::kBadMessage,
                  "TX_L2TP_CLEAR: line port " + std::to_string(m.port) + " does not exist");
  }
  const Bytes pkt = golden::build_udp_packet(m.local.addr, m.peer.addr, golden::kPortL2tp,
                                             m.peer.port, m.message, ip_id_++);
  TxMeta meta;
  meta.encap = false;
  meta.port = m.port;
  if (!send(meta,
            frame_of(pkt, read_mac(lm::ctrl::kGatewayMacHi), read_mac(lm::ctrl::kLocalMacHi)))) {
    return refuse(Reply{}, Result::kBusy, "TX_L2TP_CLEAR: FPGA busy", lm::DropReason::kNoBuffer);
  }
  count(FwCounter::kTxL2tpClear);
  return Reply{};
}

Reply Firmware::on_tx_ip(const TxIp& m) {
  const ByteView pkt = m.packet;
  if (m.port >= ports_) {
    return refuse(Reply{}, Result::kBadMessage,
                  "TX_IP: line port " + std::to_string(m.port) + " does not exist");
  }
  const std::size_t hl = pkt.empty() ? 0 : std::size_t{pkt[0] & 0x0fu} * 4;
  if (pkt.size() < golden::kIpv4MinHeader || (pkt[0] >> 4) != 4 || hl < golden::kIpv4MinHeader ||
      hl > pkt.size()) {
    return refuse(Reply{}, Result::kBadMessage, "TX_IP: not an IPv4 packet",
                  lm::DropReason::kBadIpHeader);
  }
  if (load_be16(pkt.data() + 2) != pkt.size()) {
    return refuse(Reply{}, Result::kBadMessage,
                  "TX_IP: IPv4 total length " + std::to_string(load_be16(pkt.data() + 2)) +
                      " but " + std::to_string(pkt.size()) + " bytes",
                  lm::DropReason::kBadLength);
  }
  // Ethernet II with the configured MACs, built in the reused transmit buffer.
  const MacAddress dst = read_mac(lm::ctrl::kGatewayMacHi);
  const MacAddress src = read_mac(lm::ctrl::kLocalMacHi);
  tx_buf_.resize(golden::kEthernetHeader + pkt.size());
  std::copy(dst.begin(), dst.end(), tx_buf_.begin());
  std::copy(src.begin(), src.end(), tx_buf_.begin() + 6);
  store_be16(tx_buf_.data() + 12, 0x0800);
  std::memcpy(tx_buf_.data() + golden::kEthernetHeader, pkt.data(), pkt.size());
  TxMeta meta;
  meta.encap = false;
  meta.port = m.port;
  if (!send(meta, tx_buf_)) {
    return refuse(Reply{}, Result::kBusy, "TX_IP: FPGA busy", lm::DropReason::kNoBuffer);
  }
  count(FwCounter::kTxIp);
  return Reply{};
}

Reply Firmware::on_tx_l2tp(std::uint32_t handle, std::uint16_t lac_port, ByteView message) {
  const auto* h = find_handle(handle);
  if (h == nullptr || h->active_out == kNoSlot) {
    count(FwCounter::kTxNoSa);
    return refuse(Reply{}, Result::kNoRoute,
                  "TX_L2TP: no outbound SA for handle " + std::to_string(handle),
                  lm::DropReason::kUnknownSpi);
  }
  if (message.size() + golden::kUdpHeader > kMaxUdpPayload) {
    return refuse(Reply{}, Result::kBadMessage,
                  "TX_L2TP: message of " + std::to_string(message.size()) + " bytes too long");
  }
  const Slot& s = slots_[h->active_out];
  // The inner UDP segment, its checksum over the addresses the peer knows (RFC 3948 3.1.2):
  // exactly what the software back end sends.
  tx_buf_.resize(golden::kUdpHeader + message.size());
  store_be16(tx_buf_.data(), golden::kPortL2tp);
  store_be16(tx_buf_.data() + 2, lac_port);
  store_be16(tx_buf_.data() + 4, static_cast<std::uint16_t>(tx_buf_.size()));
  store_be16(tx_buf_.data() + 6, 0);
  if (!message.empty()) {
    std::memcpy(tx_buf_.data() + golden::kUdpHeader, message.data(), message.size());
  }
  const std::uint32_t csum_src = s.sa.natoa_local != 0 ? s.sa.natoa_local : s.sa.local_addr;
  const std::uint32_t csum_dst = s.sa.natoa_peer != 0 ? s.sa.natoa_peer : s.sa.peer_addr;
  const std::uint16_t csum = golden::udp_checksum(csum_src, csum_dst, tx_buf_);
  store_be16(tx_buf_.data() + 6, csum == 0 ? 0xffff : csum);
  TxMeta meta;
  meta.encap = true;
  meta.sa_index = h->active_out;
  meta.next_header = golden::kIpProtoUdp;
  meta.id = ip_id_++;
  if (!send(meta, tx_buf_)) {
    return refuse(Reply{}, Result::kBusy, "TX_L2TP: FPGA busy", lm::DropReason::kNoBuffer);
  }
  count(FwCounter::kTxL2tp);
  return Reply{};
}

// ---- poll: events, receive path, lifetimes

bool Firmware::poll(std::uint64_t now_ms) {
  if (!ready_) return false;
  now_ms_ = std::max(now_ms_, now_ms);
  bool busy = poll_events();
  busy = poll_rx() || busy;
  if (!checked_once_ || now_ms_ - last_lifetime_check_ms_ >= config_.lifetime_interval_ms) {
    checked_once_ = true;
    last_lifetime_check_ms_ = now_ms_;
    busy = check_lifetimes() || busy;
  }
  return busy;
}

bool Firmware::poll_events() {
  bool busy = false;
  namespace c = lm::ctrl;
  const std::uint32_t reg = blocks_.ctrl + (c::kEvent - c::kBase);
  const std::uint32_t irq_reg = blocks_.ctrl + (c::kIrqStatus - c::kBase);
  if (c::irq_status::kError.get(io_.read32(irq_reg)) != 0) {
    // The FIFO overflowed: some events are gone. Lifetimes are re-checked from the counters; a
    // lost SEQ_OVERFLOW shows as encap drops.
    const std::uint32_t lost = io_.read32(blocks_.ctrl + (c::kEventLost - c::kBase));
    counters_[static_cast<std::size_t>(FwCounter::kFpgaEventsLost)] = lost;
    log::warning(kLog) << "FPGA event FIFO overflowed: " << lost << " events lost so far";
    io_.write32(irq_reg, c::irq_status::kError.set(0, 1));
  }
  for (std::uint32_t n = 0; n < config_.event_budget; ++n) {
    const std::uint32_t v = io_.read32(reg);
    if (c::event::kValid.get(v) == 0) break;
    busy = true;
    count(FwCounter::kFpgaEvents);
    const std::uint32_t index = c::event::kSaIndex.get(v);
    const auto kind = static_cast<lm::EventKind>(c::event::kKind.get(v));
    if (index >= capacity_ || !slots_[index].in_use) {
      count(FwCounter::kFpgaEventsUnknown);
      log::warning(kLog) << "FPGA event " << lm::to_string(kind) << " for slot " << index
                         << ", which holds no SA; ignored";
      continue;
    }
    Slot& s = slots_[index];
    switch (kind) {
      case lm::EventKind::kSeqOverflow:  // the encap engine refuses to wrap; IKE must rekey
        if (!s.overflow_fired) {
          s.overflow_fired = true;
          count(FwCounter::kSeqOverflows);
          log::notice(kLog) << "SA spi " << hex32(s.sa.spi) << " handle " << s.handle
                            << ": outbound sequence number exhausted";
          raise(EventKind::kSeqOverflow, s);
        }
        break;
      case lm::EventKind::kSoftBytes:
      case lm::EventKind::kHardBytes:
        check_bytes(static_cast<std::uint16_t>(index));
        break;
      default:
        count(FwCounter::kFpgaEventsUnknown);
        log::warning(kLog) << "FPGA event of unknown kind " << c::event::kKind.get(v)
                           << " for slot " << index << "; ignored";
        break;
    }
  }
  return busy;
}

bool Firmware::poll_rx() {
  RxMeta meta;
  bool busy = false;
  for (std::uint32_t n = 0; n < config_.rx_budget; ++n) {
    if (!io_.rx_frame(meta, rx_buf_)) break;
    busy = true;
    count(FwCounter::kRxFrames);
    hand_up(meta, rx_buf_);
  }
  return busy;
}

void Firmware::hand_up(const RxMeta& meta, ByteView data) {
  auto bad_meta = [&](const char* why) {
    count(FwCounter::kRxBadMeta);
    log::warning(kLog) << "received " << lm::to_string(meta.pkt_class) << " packet of "
                       << data.size() << " bytes from " << ipv4_to_string(meta.src_addr)
                       << " dropped: " << why;
  };
  if (meta.port >= kMaxPorts) return bad_meta("line port out of range");
  if (meta.len != data.size()) return bad_meta("header length and data disagree");
  RxPacket p;
  p.pkt_class = meta.pkt_class;
  p.port = meta.port;
  p.local = {meta.dst_addr, meta.dst_port};
  p.peer = {meta.src_addr, meta.src_port};
  ByteView payload;
  switch (meta.pkt_class) {
    case lm::PktClass::kEsp:
    case lm::PktClass::kEspUdp: {
      if (!meta.sa_valid) return bad_meta("ESP without an SA (the FPGA decapsulates ESP)");
      if (meta.sa_index >= capacity_ || !slots_[meta.sa_index].in_use ||
          slots_[meta.sa_index].sa.direction != lm::Direction::kInbound) {
        count(FwCounter::kRxUnknownSa);
        log::warning(kLog) << "packet decapsulated by slot " << meta.sa_index
                           << ", which holds no inbound SA; dropped";
        return;
      }
      Slot& s = slots_[meta.sa_index];
      if (s.host_path) {
        // A host-path SA's ESP, as it came off the wire: the host decapsulates it.
        if (meta.spi != s.sa.spi) return bad_meta("SPI of a host-path frame is not its slot's");
        if (data.size() < golden::kEthernetHeader + golden::kIpv4MinHeader) {
          return bad_meta("host-path frame shorter than Ethernet + IPv4");
        }
        count(FwCounter::kRxHostPath);
        p.handle = s.handle;
        p.spi = s.sa.spi;
        p.is_protected = false;
        payload = data;
        break;
      }
      // The restored transport packet: IPv4 header, inner UDP to 1701, L2TP.
      if (data.size() < golden::kIpv4MinHeader) return bad_meta("shorter than an IPv4 header");
      const std::size_t hl = std::size_t{data[0] & 0x0fu} * 4;
      if ((data[0] >> 4) != 4 || hl < golden::kIpv4MinHeader ||
          data.size() < hl + golden::kUdpHeader || data[9] != golden::kIpProtoUdp ||
          load_be16(data.data() + hl + 2) != golden::kPortL2tp) {
        count(FwCounter::kRxNotL2tp);
        log::warning(kLog) << "SA handle " << s.handle
                           << ": decapsulated packet is not L2TP (UDP to 1701); dropped";
        return;
      }
      if (meta.payload_offset != hl + golden::kUdpHeader) {
        return bad_meta("payload offset is not after the inner UDP header");
      }
      if (meta.seq > s.highest_seq) s.highest_seq = meta.seq;
      const Endpoint from{meta.src_addr, meta.pkt_class == lm::PktClass::kEspUdp
                                             ? meta.src_port
                                             : std::uint16_t{0}};
      if (from.addr != s.sa.peer_addr ||
          (s.sa.encap == lm::Encap::kUdp && from.port != s.sa.peer_port)) {
        // As the software back end: reported on each such packet; the host decides and answers
        // with SA_UPDATE_PEER.
        count(FwCounter::kPeerMoved);
        raise(EventKind::kPeerMoved, s, from);
      }
      p.peer = from;
      p.handle = s.handle;
      p.spi = s.sa.spi;
      p.is_protected = true;
      p.inner_src_port = load_be16(data.data() + hl);
      p.inner_dst_port = golden::kPortL2tp;
      payload = data.subspan(meta.payload_offset);
      break;
    }
    case lm::PktClass::kIke:
    case lm::PktClass::kIkeNatt:
    case lm::PktClass::kL2tpClear: {
      // The whole Ethernet frame: the UDP payload ends where the UDP length says (padding after).
      const std::size_t l3 = golden::kEthernetHeader;
      if (data.size() < l3 + golden::kIpv4MinHeader) return bad_meta("truncated IPv4 header");
      const std::size_t hl = std::size_t{data[l3] & 0x0fu} * 4;
      const std::size_t l4 = l3 + hl;
      if (hl < golden::kIpv4MinHeader || data.size() < l4 + golden::kUdpHeader) {
        return bad_meta("truncated UDP header");
      }
      const std::size_t end = l4 + load_be16(data.data() + l4 + 4);
      const std::size_t first =
          l4 + golden::kUdpHeader + (meta.pkt_class == lm::PktClass::kIkeNatt ? kNonEspMarker : 0);
      if (end > data.size() || end < first || meta.payload_offset != first) {
        return bad_meta("payload offset or UDP length out of the frame");
      }
      payload = data.subspan(first, end - first);
      if (meta.pkt_class == lm::PktClass::kL2tpClear) {
        p.inner_src_port = meta.src_port;
        p.inner_dst_port = meta.dst_port;
      }
      break;
    }
    case lm::PktClass::kOther:
    case lm::PktClass::kFragment:
      count(meta.pkt_class == lm::PktClass::kOther ? FwCounter::kRxOther : FwCounter::kRxFragments);
      payload = data;  // the whole frame: ARP, IP options, fragments are the host's
      break;
    case lm::PktClass::kNatKeepalive:
      ++keepalives_[meta.port];
      count(FwCounter::kRxKeepalives);
      return;
    case lm::PktClass::kMalformed:
      count(FwCounter::kRxMalformed);
      log::debug(kLog) << "malformed frame reached the firmware; dropped";
      return;
  }
  Bytes* out = outbox_slot();
  if (out == nullptr) return;
  encode_rx_packet(++unsolicited_seq_, p, payload, *out);
  count(FwCounter::kRxToHost);
}

void Firmware::check_bytes(std::uint16_t index) {
  Slot& s = slots_[index];
  if (!s.in_use || (s.soft.bytes == 0 && s.hard.bytes == 0)) return;
  if (s.soft_fired && s.hard.bytes == 0) return;
  const auto stats = read_stats(index);
  if (!stats) return;
  if (!s.soft_fired && s.soft.bytes != 0 && stats->bytes >= s.soft.bytes) {
    s.soft_fired = true;
    count(FwCounter::kSoftExpired);
    raise(EventKind::kSoftExpire, s);
  }
  if (!s.hard_fired && s.hard.bytes != 0 && stats->bytes >= s.hard.bytes) {
    s.hard_fired = true;
    count(FwCounter::kHardExpired);
    raise(EventKind::kHardExpire, s);
    log::notice(kLog) << "SA spi " << hex32(s.sa.spi) << ": hard byte lifetime reached, deleted";
    remove_sa(index, "hard byte lifetime");
  }
}

bool Firmware::check_lifetimes() {
  const std::uint64_t before = counter(FwCounter::kEvents) + counter(FwCounter::kSaDeleted);
  std::uint32_t stats_budget = config_.stats_per_check;
  for (std::uint32_t i = 0; i < capacity_; ++i) {
    Slot& s = slots_[i];
    if (!s.in_use) continue;
    const auto index = static_cast<std::uint16_t>(i);
    if (s.retire_at_ms != 0 && now_ms_ >= s.retire_at_ms) {
      if (remove_sa(index, "grace period over")) count(FwCounter::kRetired);
      continue;
    }
    const std::uint64_t age = now_ms_ - s.installed_ms;
    if (!s.soft_fired && s.soft.seconds != 0 && age / 1000 >= s.soft.seconds) {
      s.soft_fired = true;
      count(FwCounter::kSoftExpired);
      raise(EventKind::kSoftExpire, s);
    }
    if (!s.hard_fired && s.hard.seconds != 0 && age / 1000 >= s.hard.seconds) {
      s.hard_fired = true;
      count(FwCounter::kHardExpired);
      raise(EventKind::kHardExpire, s);
      log::notice(kLog) << "SA spi " << hex32(s.sa.spi) << ": hard lifetime reached, deleted";
      remove_sa(index, "hard lifetime");
    }
  }
  // Byte lifetimes: READ_STATS round robin, a bounded number per check.
  for (std::uint32_t n = 0; n < capacity_ && stats_budget > 0; ++n) {
    const auto index = static_cast<std::uint16_t>(stats_cursor_);
    stats_cursor_ = (stats_cursor_ + 1) % capacity_;
    const Slot& s = slots_[index];
    if (!s.in_use || (s.soft.bytes == 0 && s.hard.bytes == 0)) continue;
    if (s.soft_fired && s.hard.bytes == 0) continue;
    --stats_budget;
    check_bytes(index);
  }
  return counter(FwCounter::kEvents) + counter(FwCounter::kSaDeleted) != before;
}

}  // namespace l2sec::fw
