// The gateway's embedded configuration: what the main job runs with when no file is given.
// Every address is from 198.18.0.0/15 (RFC 2544 benchmarking space): the public side is
// 198.18.0.0/16, the corporate side 198.19.0.0/16.
#include "l2sec/config/config.hpp"

namespace l2sec::config {

std::string_view default_config_text() {
  return R"(! l2sec: the L2TP/IPSec LNS's default configuration
hostname l2sec
!
! L2TP timers (seconds): HELLO keepalive, idle tunnels, destruct period of closed tunnels
l2tp tunnel hello 60
l2tp tunnel idle-timeout 60
l2tp destruct-timeout 600
!
! Local users for PPP authentication (the default local user database)
aaa local database default
  username alice password "alice-l2sec-pw"
  username bob password "bob-l2sec-pw"
  exit
!
! IKE (phase 1) proposals: AES-128/SHA-1/MODP-2048, AES-256/SHA-256/MODP-2048,
! 3DES/SHA-1/MODP-1024, all authenticated by the group preshared key
ipsec isakmp-policy-rule 10
  encryption aes128
  hash sha
  group 14
  authentication pre-share
  lifetime 28800
  exit
ipsec isakmp-policy-rule 20
  encryption aes256
  hash sha2-256
  group 14
  authentication pre-share
  lifetime 28800
  exit
ipsec isakmp-policy-rule 30
  encryption 3des
  hash sha
  group 2
  authentication pre-share
  lifetime 28800
  exit
!
! The address clients dial, its group preshared key and the ESP (phase 2) transforms
ipsec transport profile lns virtual-router default ip address 198.18.0.2
  application l2tp
  pre-share "l2sec-group-psk"
  transform-set esp-aes128-sha esp-aes256-sha esp-aes256-sha256 esp-3des-sha
  lifetime seconds 3600
  exit
!
virtual-router default
ipsec option nat-t
!
! PPP: the LNS's own address, the clients' pool and DNS server, authentication
interface loopback 0
  ip address 198.19.0.1 255.255.255.255
  exit
ip unnumbered loopback 0
ip local pool corporate 198.19.0.10 198.19.0.250
aaa dns primary 198.19.0.53
ppp authentication chap pap ms-chap-v2
!
! Any LAC, L2TP only inside IPsec
l2tp destination profile any ip address 0.0.0.0
  remote host default
    enable ipsec-transport
    local ip address 198.18.0.2
    exit
  exit
end
)";
}

}  // namespace l2sec::config
