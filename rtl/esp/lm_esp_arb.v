//======================================================================
// lm_esp_arb.v
// ------------
// Merges one-cycle pulses (per-SA stats updates, events) from LANES
// lanes into one stream, one per cycle, lowest lane first. Each lane
// has a one-entry slot; a lane pulses at most once per packet (every
// few hundred cycles at least), so a slot is always drained, within
// LANES cycles, before its lane pulses again.
//======================================================================
`default_nettype none

module lm_esp_arb #(
    // Number of lanes
    parameter integer LANES = 4,
    // Bits per pulse
    parameter integer W = 32
) (
    input  wire               clk,
    input  wire               rst,
    input  wire [LANES-1:0]   in_valid,
    input  wire [W*LANES-1:0] in_data,
    output wire               out_valid,
    output wire [W-1:0]       out_data
);

  reg [LANES-1:0]   pend_reg;
  reg [W*LANES-1:0] data_reg;
  reg               out_valid_reg;
  reg [W-1:0]       out_data_reg;

  reg [LANES-1:0]   pick;
  reg [W-1:0]       pick_data;
  integer           i;
  always @* begin : pick_logic
    pick      = {LANES{1'b0}};
    pick_data = {W{1'b0}};
    for (i = LANES - 1; i >= 0; i = i - 1) begin
      if (pend_reg[i]) begin
        pick      = {{(LANES-1){1'b0}}, 1'b1} << i;
        pick_data = data_reg[W*i +: W];
      end
    end
  end

  assign out_valid = out_valid_reg;
  assign out_data  = out_data_reg;

  integer k;
  always @(posedge clk) begin : reg_update
    if (rst) begin
      pend_reg      <= {LANES{1'b0}};
      data_reg      <= {(W*LANES){1'b0}};
      out_valid_reg <= 1'b0;
      out_data_reg  <= {W{1'b0}};
    end else begin
      out_valid_reg <= |pend_reg;
      out_data_reg  <= pick_data;
      for (k = 0; k < LANES; k = k + 1) begin
        if (in_valid[k]) begin
          pend_reg[k]            <= 1'b1;
          data_reg[W*k +: W]     <= in_data[W*k +: W];
        end else if (pick[k]) begin
          pend_reg[k] <= 1'b0;
        end
      end
    end
  end

endmodule

`default_nettype wire
