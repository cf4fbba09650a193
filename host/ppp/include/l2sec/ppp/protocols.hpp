// PPP protocol numbers and option types the LNS speaks (RFC 1661, 1332, 1334, 1877, 1994, 2759).
#pragma once

#include <cstdint>

namespace l2sec::ppp {

inline constexpr std::uint16_t kProtoIp = 0x0021;
inline constexpr std::uint16_t kProtoIpv6 = 0x0057;
inline constexpr std::uint16_t kProtoIpcp = 0x8021;
inline constexpr std::uint16_t kProtoEcp = 0x8053;
inline constexpr std::uint16_t kProtoIpv6cp = 0x8057;
inline constexpr std::uint16_t kProtoCcp = 0x80fd;
inline constexpr std::uint16_t kProtoLcp = 0xc021;
inline constexpr std::uint16_t kProtoPap = 0xc023;
inline constexpr std::uint16_t kProtoChap = 0xc223;

// CHAP algorithms in the LCP Authentication-Protocol option.
inline constexpr std::uint8_t kChapAlgMd5 = 0x05;
inline constexpr std::uint8_t kChapAlgMsV2 = 0x81;

// LCP option types.
inline constexpr std::uint8_t kLcpMru = 1;
inline constexpr std::uint8_t kLcpAccm = 2;
inline constexpr std::uint8_t kLcpAuth = 3;
inline constexpr std::uint8_t kLcpQuality = 4;
inline constexpr std::uint8_t kLcpMagic = 5;
inline constexpr std::uint8_t kLcpPfc = 7;
inline constexpr std::uint8_t kLcpAcfc = 8;

// IPCP option types.
inline constexpr std::uint8_t kIpcpAddresses = 1;
inline constexpr std::uint8_t kIpcpCompression = 2;
inline constexpr std::uint8_t kIpcpAddress = 3;
inline constexpr std::uint8_t kIpcpDns1 = 129;
inline constexpr std::uint8_t kIpcpNbns1 = 130;
inline constexpr std::uint8_t kIpcpDns2 = 131;
inline constexpr std::uint8_t kIpcpNbns2 = 132;

// PAP and CHAP codes.
inline constexpr std::uint8_t kPapRequest = 1, kPapAck = 2, kPapNak = 3;
inline constexpr std::uint8_t kChapChallenge = 1, kChapResponse = 2, kChapSuccess = 3,
                              kChapFailure = 4;

}  // namespace l2sec::ppp
