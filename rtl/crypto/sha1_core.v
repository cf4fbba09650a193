//======================================================================
// sha1_core.v
// -----------
// SHA-1 compression function (FIPS 180-4 6.1.2), one round per clock.
// The chaining value is an input, so a caller can start from any state,
// e.g. HMAC inner/outer states precomputed when an SA is installed.
// Padding and length encoding are the caller's job.
//
// Timing (cycle 0 = the cycle `start` is high while `ready`):
//   edge 0       latch h_in, load a..e and the message schedule
//   edges 1..80  rounds 0..79
//   h_valid is high for the one cycle after edge 80, together with
//   ready: 81 cycles per block. h_out = H + (a..e) is combinational from
//   registers and holds from h_valid until the next accepted start.
//
// Word order: h_in[159:128] is H0, block[511:480] is W[0]; all words
// are big-endian as in FIPS 180-4.
//
// Part of the l2sec line-module crypto cores (rtl/crypto).
//======================================================================

`default_nettype none

module sha1_core (
    input wire clk,
    input wire rst,

    // Pulse: compress `block` into chaining value `h_in`.
    input  wire         start,
    input  wire [159:0] h_in,
    input  wire [511:0] block,
    // Idle: start is accepted.
    output wire         ready,
    output wire [159:0] h_out,
    // One-cycle pulse when h_out is the new chaining value.
    output wire         h_valid
);

  //----------------------------------------------------------------
  // Internal constant and parameter definitions.
  //----------------------------------------------------------------
  // Control FSM states.
  localparam CTRL_IDLE = 1'b0;
  localparam CTRL_ROUNDS = 1'b1;

  // Index of the last round.
  localparam [6:0] LAST_ROUND = 7'd79;

  // Round constants K_t for t in 0..19, 20..39, 40..59, 60..79.
  localparam [31:0] K0 = 32'h5a827999;
  localparam [31:0] K1 = 32'h6ed9eba1;
  localparam [31:0] K2 = 32'h8f1bbcdc;
  localparam [31:0] K3 = 32'hca62c1d6;


  //----------------------------------------------------------------
  // Registers including update variables and write enable.
  //----------------------------------------------------------------
  reg [159:0] h_reg;
  reg         h_we;

  reg [ 31:0] a_reg;
  reg [ 31:0] a_new;
  reg [ 31:0] b_reg;
  reg [ 31:0] b_new;
  reg [ 31:0] c_reg;
  reg [ 31:0] c_new;
  reg [ 31:0] d_reg;
  reg [ 31:0] d_new;
  reg [ 31:0] e_reg;
  reg [ 31:0] e_new;
  reg         a_e_we;

  reg [  6:0] t_reg;
  reg [  6:0] t_new;
  reg         t_we;

  reg         h_valid_reg;
  reg         h_valid_new;

  reg         ctrl_reg;
  reg         ctrl_new;
  reg         ctrl_we;


  //----------------------------------------------------------------
  // Wires.
  //----------------------------------------------------------------
  reg          w_init;
  reg          w_next;
  wire [ 31:0] w;
  reg  [ 31:0] f;
  reg  [ 31:0] k;
  wire [ 31:0] temp;


  //----------------------------------------------------------------
  // Concurrent connectivity for ports etc.
  //----------------------------------------------------------------
  assign ready   = (ctrl_reg == CTRL_IDLE);
  assign h_valid = h_valid_reg;
  assign h_out   = {h_reg[159:128] + a_reg, h_reg[127:96] + b_reg, h_reg[95:64] + c_reg,
                    h_reg[63:32] + d_reg, h_reg[31:0] + e_reg};
  assign temp    = {a_reg[26:0], a_reg[31:27]} + f + e_reg + k + w;


  //----------------------------------------------------------------
  // Instantiations.
  //----------------------------------------------------------------
  sha1_w_mem w_mem (
      .clk  (clk),
      .rst  (rst),
      .init (w_init),
      .block(block),
      .next (w_next),
      .w    (w)
  );


  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      h_reg       <= 160'h0;
      a_reg       <= 32'h0;
      b_reg       <= 32'h0;
      c_reg       <= 32'h0;
      d_reg       <= 32'h0;
      e_reg       <= 32'h0;
      t_reg       <= 7'h0;
      h_valid_reg <= 1'b0;
      ctrl_reg    <= CTRL_IDLE;
    end else begin
      if (h_we) h_reg <= h_in;
      if (a_e_we) begin
        a_reg <= a_new;
        b_reg <= b_new;
        c_reg <= c_new;
        d_reg <= d_new;
        e_reg <= e_new;
      end
      if (t_we) t_reg <= t_new;
      h_valid_reg <= h_valid_new;
      if (ctrl_we) ctrl_reg <= ctrl_new;
    end
  end


  //----------------------------------------------------------------
  // round_func
  // f_t and K_t for round t_reg.
  //----------------------------------------------------------------
  always @* begin : round_func
    f = b_reg ^ c_reg ^ d_reg;
    k = K1;
    if (t_reg < 7'd20) begin
      f = (b_reg & c_reg) | (~b_reg & d_reg);
      k = K0;
    end else if (t_reg < 7'd40) begin
      f = b_reg ^ c_reg ^ d_reg;
      k = K1;
    end else if (t_reg < 7'd60) begin
      f = (b_reg & c_reg) | (b_reg & d_reg) | (c_reg & d_reg);
      k = K2;
    end else begin
      f = b_reg ^ c_reg ^ d_reg;
      k = K3;
    end
  end


  //----------------------------------------------------------------
  // sha1_ctrl
  //----------------------------------------------------------------
  always @* begin : sha1_ctrl
    h_we        = 1'b0;
    a_new       = temp;
    b_new       = a_reg;
    c_new       = {b_reg[1:0], b_reg[31:2]};
    d_new       = c_reg;
    e_new       = d_reg;
    a_e_we      = 1'b0;
    t_new       = 7'h0;
    t_we        = 1'b0;
    w_init      = 1'b0;
    w_next      = 1'b0;
    h_valid_new = 1'b0;
    ctrl_new    = CTRL_IDLE;
    ctrl_we     = 1'b0;

    case (ctrl_reg)
      CTRL_IDLE: begin
        if (start) begin
          h_we     = 1'b1;
          a_new    = h_in[159:128];
          b_new    = h_in[127:96];
          c_new    = h_in[95:64];
          d_new    = h_in[63:32];
          e_new    = h_in[31:0];
          a_e_we   = 1'b1;
          t_new    = 7'h0;
          t_we     = 1'b1;
          w_init   = 1'b1;
          ctrl_new = CTRL_ROUNDS;
          ctrl_we  = 1'b1;
        end
      end

      default: begin
        a_e_we = 1'b1;
        w_next = 1'b1;
        t_new  = t_reg + 7'h1;
        t_we   = 1'b1;
        if (t_reg == LAST_ROUND) begin
          h_valid_new = 1'b1;
          ctrl_new    = CTRL_IDLE;
          ctrl_we     = 1'b1;
        end
      end
    endcase
  end

endmodule  // sha1_core

`default_nettype wire

//======================================================================
// EOF sha1_core.v
//======================================================================
