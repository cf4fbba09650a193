# Board constraints for the l2sec line module on the Xilinx KC705 evaluation board
# (Kintex-7 xc7k325tffg900-2), one 10G line port on the SFP+ cage.
#
# Clocking: the datapath (parser, SA table, ESP lanes) runs in the 10GBASE-R core clock, 156.25 MHz
# (64 bits per clock = 10 Gbit/s). Its reference is the 156.25 MHz MGT reference clock of quad 117;
# on the KC705 that is the SMA_MGT_REFCLK pair (J15/J16, fed from a 156.25 MHz source or the
# SI5324 recovered-clock output), into IBUFDS_GTE2, then the PCS/PMA core's coreclk BUFG.
# The 200 MHz system clock runs the board's control side (the firmware's AXI-Lite master).
#
# The ports below are the board-level ports of the KC705 wrapper around lm_top (PCS/PMA and MAC,
# the host link, the control master); the wrapper is not in the repository yet. lm_top itself
# (rtl/top/lm_top.v) has one clock, `clk`, for its streams and its AXI-Lite port alike, and a
# synchronous active-high `rst`: the wrapper drives `clk` from the PCS/PMA core's 156.25 MHz
# coreclk (mac_clk below) and crosses the control side's AXI-Lite into that domain (an AXI clock
# converter). lm_top alone, out of context: lm_top_ooc.xdc.

# ---- configuration ----
set_property CFGBVS VCCO [current_design]
set_property CONFIG_VOLTAGE 2.5 [current_design]
set_property BITSTREAM.GENERAL.COMPRESS TRUE [current_design]

# ---- 200 MHz system clock (SiT9102, LVDS, bank 33) ----
set_property -dict {PACKAGE_PIN AD12 IOSTANDARD LVDS} [get_ports clk_200mhz_p]
set_property -dict {PACKAGE_PIN AD11 IOSTANDARD LVDS} [get_ports clk_200mhz_n]
create_clock -period 5.000 -name clk_200mhz [get_ports clk_200mhz_p]

# ---- 156.25 MHz MGT reference, quad 117 REFCLK1 (SMA_MGT_REFCLK) ----
# GT reference clock pins take no IOSTANDARD.
set_property PACKAGE_PIN J8 [get_ports sfp_mgt_refclk_p]
set_property PACKAGE_PIN J7 [get_ports sfp_mgt_refclk_n]
create_clock -period 6.400 -name sfp_mgt_refclk [get_ports sfp_mgt_refclk_p]

# ---- SFP+ cage: GTXE2_CHANNEL_X0Y10 (quad 117, lane 2) ----
set_property PACKAGE_PIN G4 [get_ports sfp_rx_p]
set_property PACKAGE_PIN G3 [get_ports sfp_rx_n]
set_property PACKAGE_PIN H2 [get_ports sfp_tx_p]
set_property PACKAGE_PIN H1 [get_ports sfp_tx_n]
set_property -dict {PACKAGE_PIN Y20 IOSTANDARD LVCMOS25} [get_ports sfp_tx_disable]
set_property -dict {PACKAGE_PIN P19 IOSTANDARD LVCMOS25} [get_ports sfp_los]
set_false_path -to [get_ports sfp_tx_disable]
set_false_path -from [get_ports sfp_los]

# ---- the 10G MAC / datapath clock ----
# The PCS/PMA core drives coreclk from the reference through a BUFG: the same 156.25 MHz. Vivado
# propagates the reference clock through IBUFDS_GTE2 and the BUFG; the datapath clock is named
# here so that reports and the clock-domain crossings below can refer to it.
create_generated_clock -name mac_clk -source [get_ports sfp_mgt_refclk_p] -divide_by 1 \
  [get_pins -hierarchical -filter {NAME =~ */coreclk_bufg/O}]

# The control side (200 MHz) and mac_clk (lm_top's `clk`) meet only in the wrapper's AXI-Lite
# clock converter: no timed paths between the two.
set_clock_groups -asynchronous -group [get_clocks clk_200mhz] \
  -group [get_clocks -include_generated_clocks sfp_mgt_refclk]

# ---- user LEDs (bank 33/13, LVCMOS15 / LVCMOS25): link up, datapath enabled ----
set_property -dict {PACKAGE_PIN AB8 IOSTANDARD LVCMOS15} [get_ports {led[0]}]
set_property -dict {PACKAGE_PIN AA8 IOSTANDARD LVCMOS15} [get_ports {led[1]}]
set_false_path -to [get_ports {led[*]}]
