//======================================================================
// sha1_w_mem.v
// ------------
// SHA-1 message schedule (FIPS 180-4 6.1.2 step 1) as a 16-word sliding
// window: `w` is W[t]; `next` advances to W[t+1], appending
// W[t+16] = ROTL1(W[t+13] ^ W[t+8] ^ W[t+2] ^ W[t]).
//
// block[511:480] is message word 0 (big-endian, FIPS 180-4 order).
//
// Part of the l2sec line-module crypto cores (rtl/crypto).
//======================================================================

`default_nettype none

module sha1_w_mem (
    input wire clk,
    input wire rst,

    // Load the window with the 16 words of `block`.
    input  wire         init,
    input  wire [511:0] block,
    // Advance the schedule by one word.
    input  wire         next,
    output wire [ 31:0] w
);

  //----------------------------------------------------------------
  // Registers including update variables and write enable.
  // Window word m (W[t+m]) is w_reg[511-32m -: 32].
  //----------------------------------------------------------------
  reg [511:0] w_reg;
  reg [511:0] w_new;
  reg         w_we;


  //----------------------------------------------------------------
  // Concurrent connectivity for ports etc.
  //----------------------------------------------------------------
  assign w = w_reg[511:480];


  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      w_reg <= 512'h0;
    end else begin
      if (w_we) w_reg <= w_new;
    end
  end


  //----------------------------------------------------------------
  // w_schedule
  //----------------------------------------------------------------
  always @* begin : w_schedule
    reg [31:0] x;
    x     = w_reg[511-32*13-:32] ^ w_reg[511-32*8-:32] ^ w_reg[511-32*2-:32] ^ w_reg[511:480];
    w_new = 512'h0;
    w_we  = 1'b0;

    if (init) begin
      w_new = block;
      w_we  = 1'b1;
    end else if (next) begin
      w_new = {w_reg[479:0], x[30:0], x[31]};
      w_we  = 1'b1;
    end
  end

endmodule  // sha1_w_mem

`default_nettype wire

//======================================================================
// EOF sha1_w_mem.v
//======================================================================
