// The router's configuration as plain data: what the CLI commands of docs/cli.md build, what
// render() writes back, and what the daemon maps onto IKE, the LNS and PPP. No behaviour here
// beyond validation; addresses are host-order IPv4 (see ipv4_from_string in
// l2sec/golden/bytes.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace l2sec::config {

using Ipv4 = std::uint32_t;

// ---- IKE (ipsec isakmp-policy-rule) -------------------------------------------------------------

enum class IkeEncryption { k3des, kAes128, kAes192, kAes256 };
enum class IkeHash { kSha1, kSha256 };
enum class IkeAuthentication { kPreShare, kRsaSig };
// Diffie-Hellman groups (MODP 1024, 1536, 2048; ECP 256, 384), used by IKE and by PFS.
enum class DhGroup : std::uint8_t { k2 = 2, k5 = 5, k14 = 14, k19 = 19, k20 = 20 };

struct IsakmpPolicyRule {
  std::uint32_t priority = 0;  // 1..10000, lower is tried first
  IkeEncryption encryption = IkeEncryption::k3des;
  IkeHash hash = IkeHash::kSha1;
  DhGroup group = DhGroup::k2;
  IkeAuthentication authentication = IkeAuthentication::kPreShare;
  std::uint32_t lifetime_seconds = 28800;
  bool operator==(const IsakmpPolicyRule&) const = default;
};

// ---- IPsec (ipsec transport profile) ------------------------------------------------------------

enum class EspCipher { k3des, kAes128, kAes192, kAes256 };
enum class EspIntegrity { kHmacSha1, kHmacSha256 };

// One ESP transform, written esp-<cipher>-<sha|sha256>, e.g. esp-aes128-sha.
struct Transform {
  EspCipher cipher = EspCipher::kAes128;
  EspIntegrity integrity = EspIntegrity::kHmacSha1;
  bool operator==(const Transform&) const = default;
};

enum class TransportApplication { kL2tp, kL2tpNatPassthrough };

// An IPsec transport profile: the group preshared key and the phase-2 proposals that L2TP/IPSec
// clients targeting local_address on virtual_router are accepted with.
struct TransportProfile {
  std::string name;
  std::string virtual_router = "default";
  Ipv4 local_address = 0;
  std::optional<TransportApplication> application;  // required: validate() insists
  std::string pre_shared_key;                       // the group preshared key
  std::vector<Transform> transforms;                // empty: default_transforms()
  std::optional<DhGroup> pfs_group;                 // none: no PFS
  std::uint32_t lifetime_seconds = 28800;
  std::uint64_t lifetime_kilobytes = 0;  // 0: no volume limit
  // sha256-96: SHA-256 transforms installed with a 96-bit ICV (Android's "sha256-96", old Linux
  // kernels); negotiated as HMAC-SHA-256 all the same.
  bool sha256_96 = false;
  bool operator==(const TransportProfile&) const = default;
};

// What an empty transform-set means: esp-aes128-sha, esp-aes256-sha, esp-3des-sha.
std::vector<Transform> default_transforms();
// The transforms the profile proposes: its transform-set, or default_transforms() when unset.
std::vector<Transform> effective_transforms(const TransportProfile& profile);

// ipsec key manual pre-share <peer>: a preshared key for one IKE peer address (0.0.0.0: any).
struct ManualKey {
  Ipv4 peer = 0;
  std::string key;
  bool operator==(const ManualKey&) const = default;
};

// ---- L2TP (l2tp destination profile / remote host) -------------------------------------------

struct HostProfile {
  std::string remote_host = "default";  // the LAC's host name, or "default" for any
  bool ipsec_transport = false;         // enable ipsec-transport: refuse clear L2TP
  bool single_shot = false;             // single-shot-tunnel
  std::optional<Ipv4> local_address;    // local ip address
  std::string tunnel_password;          // tunnel password (empty: no tunnel authentication)
  std::string profile;                  // profile <name> (not resolved yet)
  bool operator==(const HostProfile&) const = default;
};

struct DestinationProfile {
  std::string name;
  Ipv4 address = 0;  // the LAC's address; 0.0.0.0: any LAC reachable in the virtual router
  std::vector<HostProfile> hosts;
  bool operator==(const DestinationProfile&) const = default;
};

struct L2tpTimers {
  std::uint32_t hello_interval = 60;     // l2tp tunnel hello; 0 disables HELLO
  std::uint32_t idle_timeout = 60;       // l2tp tunnel idle-timeout; 0: tunnels never idle out
  std::uint32_t destruct_timeout = 600;  // l2tp destruct-timeout
  bool operator==(const L2tpTimers&) const = default;
};

// ---- Addresses, users, PPP --------------------------------------------------------------------

struct IpPool {
  std::string name;
  Ipv4 start = 0;
  Ipv4 end = 0;  // inclusive
  bool operator==(const IpPool&) const = default;
};

struct Loopback {
  std::uint32_t number = 0;
  std::optional<Ipv4> address;
  Ipv4 mask = 0xffffffffu;
  bool operator==(const Loopback&) const = default;
};

enum class PppAuthentication { kPap, kChap, kMsChapV2 };

struct LocalUser {
  std::string name;
  std::string password;
  bool operator==(const LocalUser&) const = default;
};

struct LocalDatabase {
  std::string name;
  std::vector<LocalUser> users;
  bool operator==(const LocalDatabase&) const = default;
};

struct VirtualRouter {
  std::string name;
  bool nat_t = true;                                  // ipsec option nat-t, on by default
  bool aggressive_mode = false;                       // ipsec option aggressive-mode, off
  std::string local_database = "default";             // aaa local select database
  std::optional<Ipv4> dns_primary;                    // aaa dns primary (PPP clients, RFC 1877)
  std::optional<Ipv4> dns_secondary;                  // aaa dns secondary
  std::vector<PppAuthentication> ppp_authentication;  // in order of preference; empty: none
  std::vector<Loopback> loopbacks;
  std::optional<std::uint32_t>
      unnumbered_loopback;  // ip unnumbered loopback: the LNS's PPP address
  std::vector<IpPool> pools;
  std::vector<DestinationProfile> destination_profiles;
  bool operator==(const VirtualRouter&) const = default;
};

struct RouterConfig {
  std::string hostname = "l2sec";
  std::vector<VirtualRouter> virtual_routers;  // "default" always present, always first
  std::vector<IsakmpPolicyRule> isakmp_rules;  // sorted by priority
  std::vector<TransportProfile> transport_profiles;
  std::vector<ManualKey> manual_keys;
  // Certificates for rsa-sig (PEM file paths): `ipsec ca-certificate <file>` (the CA client
  // certificates must chain to) and `ipsec certificate <file> private-key <file>` (the router's).
  std::string ca_certificate;
  std::string certificate;
  std::string private_key;
  std::vector<LocalDatabase> local_databases;
  L2tpTimers l2tp;
  bool operator==(const RouterConfig&) const = default;
};

// The configuration of a router that was never configured: hostname l2sec, virtual router
// default with NAT-T on, nothing else.
RouterConfig factory_config();

// ---- Look-ups the daemon needs ----------------------------------------------------------------

const VirtualRouter* find_virtual_router(const RouterConfig& config, std::string_view name);
const LocalDatabase* find_local_database(const RouterConfig& config, std::string_view name);
// The address PPP sessions of this virtual router use as the LNS side (ip unnumbered loopback).
std::optional<Ipv4> lns_ppp_address(const VirtualRouter& vr);
// True when a transport profile on this virtual router runs in NAT passthrough mode
// (application l2tp-nat-passthrough): the inner UDP checksum is not checked.
bool nat_passthrough(const RouterConfig& config, std::string_view virtual_router);
// The transport profile whose local address clients target, if any.
const TransportProfile* find_transport_profile(const RouterConfig& config,
                                               std::string_view virtual_router, Ipv4 local);

// The preshared key IKE uses for a peer that targets `local` on `virtual_router`: a manual key
// for that very peer (ipsec key manual pre-share <peer>) first, then a manual key for 0.0.0.0,
// then the group preshared key of the transport profile bound to `local` (the JUNOSe order).
// nullptr when none.
const std::string* find_pre_shared_key(const RouterConfig& config, std::string_view virtual_router,
                                       Ipv4 local, Ipv4 peer);

// ---- Keyword spellings (the CLI's) -----------------------------------------------------------

std::string_view to_string(IkeEncryption v);
std::string_view to_string(IkeHash v);
std::string_view to_string(IkeAuthentication v);
std::string_view to_string(TransportApplication v);
std::string_view to_string(PppAuthentication v);
std::string to_string(DhGroup v);
std::string to_string(const Transform& t);  // esp-aes128-sha
std::optional<Transform> transform_from_string(std::string_view text);

// ---- Validation -------------------------------------------------------------------------------

// A problem found in a whole configuration. `where` names the object the way the CLI does, e.g.
// `virtual-router default ip local pool corp`; the parser maps it back to the line that
// introduced the object.
struct Problem {
  std::string where;
  std::string message;  // e.g. "start 198.19.0.250 is after end 198.19.0.10"
  bool operator==(const Problem&) const = default;
};

// Everything that is wrong with a configuration as a whole (ranges, addresses, keys present,
// references that resolve); empty when it is good to run.
std::vector<Problem> validate(const RouterConfig& config);

// ---- Rendering --------------------------------------------------------------------------------

// The canonical CLI for a configuration (`show configuration`): only what differs from the
// factory defaults, one command a line, submodes indented and closed with `exit`.
// parse(render(c)) == c for every valid c.
std::string render(const RouterConfig& config);

// ---- The gateway's own configuration ----------------------------------------------------------

// The embedded configuration the main job runs with (CLI text; parse it with parse()).
std::string_view default_config_text();

}  // namespace l2sec::config
