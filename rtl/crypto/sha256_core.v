//======================================================================
// sha256_core.v
// -------------
// SHA-256 compression function (FIPS 180-4 6.2.2), one round per clock.
// The chaining value is an input, so a caller can start from any state,
// e.g. HMAC inner/outer states precomputed when an SA is installed.
// Padding and length encoding are the caller's job.
//
// Timing (cycle 0 = the cycle `start` is high while `ready`):
//   edge 0       latch h_in, load a..h and the message schedule
//   edges 1..64  rounds 0..63
//   h_valid is high for the one cycle after edge 64, together with
//   ready: 65 cycles per block. h_out = H + (a..h) is combinational from
//   registers and holds from h_valid until the next accepted start.
//
// Word order: h_in[255:224] is H0, block[511:480] is W[0]; all words
// are big-endian as in FIPS 180-4.
//
// Part of the l2sec line-module crypto cores (rtl/crypto).
//======================================================================

`default_nettype none

module sha256_core (
    input wire clk,
    input wire rst,

    // Pulse: compress `block` into chaining value `h_in`.
    input  wire         start,
    input  wire [255:0] h_in,
    input  wire [511:0] block,
    // Idle: start is accepted.
    output wire         ready,
    output wire [255:0] h_out,
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
  localparam [5:0] LAST_ROUND = 6'd63;


  //----------------------------------------------------------------
  // Registers including update variables and write enable.
  //----------------------------------------------------------------
  reg [255:0] h_reg;
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
  reg [ 31:0] f_reg;
  reg [ 31:0] f_new;
  reg [ 31:0] g_reg;
  reg [ 31:0] g_new;
  reg [ 31:0] h7_reg;
  reg [ 31:0] h7_new;
  reg         a_h_we;

  reg [  5:0] t_reg;
  reg [  5:0] t_new;
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
  wire [ 31:0] k;
  reg  [ 31:0] t1;
  reg  [ 31:0] t2;


  //----------------------------------------------------------------
  // Concurrent connectivity for ports etc.
  //----------------------------------------------------------------
  assign ready   = (ctrl_reg == CTRL_IDLE);
  assign h_valid = h_valid_reg;
  assign h_out = {h_reg[255:224] + a_reg, h_reg[223:192] + b_reg, h_reg[191:160] + c_reg,
                  h_reg[159:128] + d_reg, h_reg[127:96] + e_reg, h_reg[95:64] + f_reg,
                  h_reg[63:32] + g_reg, h_reg[31:0] + h7_reg};


  //----------------------------------------------------------------
  // Instantiations.
  //----------------------------------------------------------------
  sha256_k_constants k_constants (
      .addr(t_reg),
      .k   (k)
  );

  sha256_w_mem w_mem (
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
      h_reg       <= 256'h0;
      a_reg       <= 32'h0;
      b_reg       <= 32'h0;
      c_reg       <= 32'h0;
      d_reg       <= 32'h0;
      e_reg       <= 32'h0;
      f_reg       <= 32'h0;
      g_reg       <= 32'h0;
      h7_reg      <= 32'h0;
      t_reg       <= 6'h0;
      h_valid_reg <= 1'b0;
      ctrl_reg    <= CTRL_IDLE;
    end else begin
      if (h_we) h_reg <= h_in;
      if (a_h_we) begin
        a_reg  <= a_new;
        b_reg  <= b_new;
        c_reg  <= c_new;
        d_reg  <= d_new;
        e_reg  <= e_new;
        f_reg  <= f_new;
        g_reg  <= g_new;
        h7_reg <= h7_new;
      end
      if (t_we) t_reg <= t_new;
      h_valid_reg <= h_valid_new;
      if (ctrl_we) ctrl_reg <= ctrl_new;
    end
  end


  //----------------------------------------------------------------
  // round_logic
  // T1 = h + S1(e) + Ch(e,f,g) + K[t] + W[t], T2 = S0(a) + Maj(a,b,c).
  //----------------------------------------------------------------
  always @* begin : round_logic
    reg [31:0] sum0, sum1, ch, maj;
    sum0 = {a_reg[1:0], a_reg[31:2]} ^ {a_reg[12:0], a_reg[31:13]} ^ {a_reg[21:0], a_reg[31:22]};
    sum1 = {e_reg[5:0], e_reg[31:6]} ^ {e_reg[10:0], e_reg[31:11]} ^ {e_reg[24:0], e_reg[31:25]};
    ch   = (e_reg & f_reg) ^ (~e_reg & g_reg);
    maj  = (a_reg & b_reg) ^ (a_reg & c_reg) ^ (b_reg & c_reg);
    t1   = h7_reg + sum1 + ch + k + w;
    t2   = sum0 + maj;
  end


  //----------------------------------------------------------------
  // sha256_ctrl
  //----------------------------------------------------------------
  always @* begin : sha256_ctrl
    h_we        = 1'b0;
    a_new       = t1 + t2;
    b_new       = a_reg;
    c_new       = b_reg;
    d_new       = c_reg;
    e_new       = d_reg + t1;
    f_new       = e_reg;
    g_new       = f_reg;
    h7_new      = g_reg;
    a_h_we      = 1'b0;
    t_new       = 6'h0;
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
          a_new    = h_in[255:224];
          b_new    = h_in[223:192];
          c_new    = h_in[191:160];
          d_new    = h_in[159:128];
          e_new    = h_in[127:96];
          f_new    = h_in[95:64];
          g_new    = h_in[63:32];
          h7_new   = h_in[31:0];
          a_h_we   = 1'b1;
          t_new    = 6'h0;
          t_we     = 1'b1;
          w_init   = 1'b1;
          ctrl_new = CTRL_ROUNDS;
          ctrl_we  = 1'b1;
        end
      end

      default: begin
        a_h_we = 1'b1;
        w_next = 1'b1;
        t_new  = t_reg + 6'h1;
        t_we   = 1'b1;
        if (t_reg == LAST_ROUND) begin
          h_valid_new = 1'b1;
          ctrl_new    = CTRL_IDLE;
          ctrl_we     = 1'b1;
        end
      end
    endcase
  end

endmodule  // sha256_core

`default_nettype wire

//======================================================================
// EOF sha256_core.v
//======================================================================
