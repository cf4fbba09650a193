# Out-of-context constraints for the line-module top alone (rtl/top/lm_top.v) on the KC705's part,
# xc7k325tffg900-2: its one clock at the 10GBASE-R core clock, 156.25 MHz (64 bits per clock =
# 10 Gbit/s), the clock lm_kc705.xdc calls mac_clk. For a Vivado run such as
#   synth_design -top lm_top -part xc7k325tffg900-2 -mode out_of_context -include_dirs <build>/generated
#   read_xdc -mode out_of_context constraints/kc705/lm_top_ooc.xdc
# (no Vivado here: untested). Port names are lm_top's.

create_clock -period 6.400 -name clk [get_ports clk]

# rst is synchronous to clk (timed as an ordinary input). Every other input and output is a
# register-to-register path inside the wrapper, on the same clock: budget half a cycle each side.
set_input_delay -clock clk 3.200 [get_ports -filter {DIRECTION == IN && NAME != clk}]
set_output_delay -clock clk 3.200 [get_ports -filter {DIRECTION == OUT}]
