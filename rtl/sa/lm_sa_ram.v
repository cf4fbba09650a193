// lm_sa_ram: block-RAM template for the SA table. Port A reads and writes (write lanes, read-first),
// port B only reads; both reads are registered (one cycle latency), so synthesis maps the array to
// block RAM (Xilinx RAMB36/RAMB18 in true or simple dual-port mode).
//
// Contents start at zero: in simulation from the initial block, on the FPGA because 7-series
// block RAM without INIT values powers up zeroed (the block is left out for synthesis, where
// unrolling it for 128 K words is slow and adds nothing). rst does not touch the array.
//
// Collision: a port B read of the address port A writes in the same cycle returns undefined data on
// hardware; users of this module either avoid it or discard such reads (lm_sa_table does).

`default_nettype none

module lm_sa_ram #(
    // Bits per RAM word
    parameter integer WIDTH = 32,
    // Independent write lanes in a word (WIDTH must be a multiple of LANES)
    parameter integer LANES = 1,
    // Address bits; the RAM holds 2**ADDR_W words
    parameter integer ADDR_W = 10
) (
    input  wire              clk,

    // Port A: read/write
    input  wire              a_en,
    input  wire [LANES-1:0]  a_we,
    input  wire [ADDR_W-1:0] a_addr,
    input  wire [WIDTH-1:0]  a_wdata,
    output wire [WIDTH-1:0]  a_rdata,

    // Port B: read only
    input  wire              b_en,
    input  wire [ADDR_W-1:0] b_addr,
    output wire [WIDTH-1:0]  b_rdata
);

  // Bits per write lane
  localparam integer LANE_W = WIDTH / LANES;
  // Words in the array
  localparam integer DEPTH = 1 << ADDR_W;

  reg [WIDTH-1:0] mem [0:DEPTH-1];
  reg [WIDTH-1:0] a_rdata_reg;
  reg [WIDTH-1:0] b_rdata_reg;

  assign a_rdata = a_rdata_reg;
  assign b_rdata = b_rdata_reg;

`ifndef SYNTHESIS
  integer k;
  initial begin
    for (k = 0; k < DEPTH; k = k + 1) mem[k] = {WIDTH{1'b0}};
    a_rdata_reg = {WIDTH{1'b0}};
    b_rdata_reg = {WIDTH{1'b0}};
  end
`endif

  integer lane;
  always @(posedge clk) begin : port_a
    if (a_en) begin
      a_rdata_reg <= mem[a_addr];
      for (lane = 0; lane < LANES; lane = lane + 1) begin
        if (a_we[lane]) mem[a_addr][lane*LANE_W +: LANE_W] <= a_wdata[lane*LANE_W +: LANE_W];
      end
    end
  end

  always @(posedge clk) begin : port_b
    if (b_en) b_rdata_reg <= mem[b_addr];
  end

endmodule

`default_nettype wire
