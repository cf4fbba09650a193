// The packed SA-table entry (rtl/regmap/lm_regmap.yaml sa_entry) and per-SA counters (sa_stats)
// as the firmware writes and reads them through sa_table.STAGE.
#pragma once

#include <array>
#include <cstdint>

#include "l2sec/fw/mailbox.hpp"
#include "lm_regs.hpp"

namespace l2sec::fw {

using EntryWords = std::array<std::uint32_t, lm::sa_entry::kWords>;
using StatsWords = std::array<std::uint32_t, lm::sa_stats::kWords>;

// The entry for p in slot generation gen (VALID set unless told otherwise). Keys are big-endian
// words, first byte in bits 31:24; SOFT/HARD_BYTES high word first.
EntryWords pack_entry(const SaParams& p, std::uint8_t gen, std::uint64_t soft_bytes,
                      std::uint64_t hard_bytes, bool valid = true);
SaCounters unpack_stats(const StatsWords& w);

}  // namespace l2sec::fw
