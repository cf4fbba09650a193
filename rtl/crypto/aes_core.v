//======================================================================
// aes_core.v
// ----------
// AES block cipher core (FIPS-197), encryption and decryption of one
// 128-bit block with 128, 192 or 256 bit keys, one round per clock.
//
// Datapath: 16 S-boxes for encryption (aes_enc_round) and 16 inverse
// S-boxes for decryption (aes_dec_round) act on a single 128-bit state
// register; round keys come from aes_key_mem (expanded once per key,
// one round key per cycle). Decryption runs the straight inverse cipher
// with the encryption round keys in reverse order.
//
// Timing (cycle 0 = the cycle `start` is high while `ready`):
//   edge 0      state <= block_in ^ rk[0] (enc) or ^ rk[Nr] (dec)
//   edges 1..Nr one round each
//   result_valid is high for the one cycle after edge Nr, together with
//   ready, so a new block can start then: Nr + 1 cycles per block
//   (11 / 13 / 15 for AES-128 / 192 / 256, both directions).
// `result` is the state register: it holds the result from the
// result_valid cycle until the next accepted start.
//
// Key: `key_init` latches `key`/`keylen` and expands them (Nr + 2
// cycles; key_ready falls at once and rises when done). key_init is
// accepted only while no block is in progress and no expansion runs,
// and it wins over a `start` in the same cycle (that start is dropped).
//
// Byte order: block_in[127:120] / result[127:120] is byte 0 of the block
// (network order); the key is left aligned, key[255:248] is key byte 0
// (AES-128: key[255:128], AES-192: key[255:64], AES-256: key[255:0]).
//
// Part of the l2sec line-module crypto cores (rtl/crypto).
//======================================================================

`default_nettype none

module aes_core (
    input wire clk,
    input wire rst,

    // Key interface.
    input  wire         key_init,
    input  wire [255:0] key,
    // 0 = AES-128, 1 = AES-192, 2 = AES-256 (3 is treated as 2).
    input  wire [  1:0] keylen,
    output wire         key_ready,

    // Block interface.
    input  wire         start,
    // 1 = encrypt, 0 = decrypt; sampled with start.
    input  wire         encdec,
    input  wire [127:0] block_in,
    // Idle with an expanded key: start is accepted.
    output wire         ready,
    output wire [127:0] result,
    // One-cycle pulse when result holds the processed block.
    output wire         result_valid
);

  //----------------------------------------------------------------
  // Internal constant and parameter definitions.
  //----------------------------------------------------------------
  // Control FSM states.
  localparam CTRL_IDLE = 1'b0;
  localparam CTRL_ROUND = 1'b1;


  //----------------------------------------------------------------
  // Registers including update variables and write enable.
  //----------------------------------------------------------------
  reg [127:0] state_reg;
  reg [127:0] state_new;
  reg         state_we;

  reg [  3:0] round_reg;
  reg [  3:0] round_new;
  reg         round_we;

  reg         encdec_reg;
  reg         encdec_we;

  reg         result_valid_reg;
  reg         result_valid_new;

  reg         ctrl_reg;
  reg         ctrl_new;
  reg         ctrl_we;


  //----------------------------------------------------------------
  // Wires.
  //----------------------------------------------------------------
  reg  [  3:0] rk_addr;
  wire [127:0] round_key;
  wire [  3:0] num_rounds;
  wire         key_busy;
  wire         key_mem_ready;
  wire         key_mem_init;
  wire [127:0] enc_out;
  wire [127:0] dec_out;
  wire         enc_last;
  wire         dec_last;
  wire         core_idle;


  //----------------------------------------------------------------
  // Concurrent connectivity for ports etc.
  //----------------------------------------------------------------
  assign core_idle    = (ctrl_reg == CTRL_IDLE);
  assign key_mem_init = key_init && core_idle && !key_busy;
  assign key_ready    = key_mem_ready;
  assign ready        = core_idle && key_mem_ready;
  assign result       = state_reg;
  assign result_valid = result_valid_reg;
  assign enc_last     = (round_reg == num_rounds);
  assign dec_last     = (round_reg == 4'h0);


  //----------------------------------------------------------------
  // Instantiations.
  //----------------------------------------------------------------
  aes_key_mem key_mem (
      .clk(clk),
      .rst(rst),

      .init  (key_mem_init),
      .key   (key),
      .keylen(keylen),

      .round    (rk_addr),
      .round_key(round_key),

      .num_rounds(num_rounds),
      .busy      (key_busy),
      .ready     (key_mem_ready)
  );

  aes_enc_round enc_round (
      .state_in (state_reg),
      .round_key(round_key),
      .last     (enc_last),
      .state_out(enc_out)
  );

  aes_dec_round dec_round (
      .state_in (state_reg),
      .round_key(round_key),
      .last     (dec_last),
      .state_out(dec_out)
  );


  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      state_reg        <= 128'h0;
      round_reg        <= 4'h0;
      encdec_reg       <= 1'b0;
      result_valid_reg <= 1'b0;
      ctrl_reg         <= CTRL_IDLE;
    end else begin
      if (state_we) state_reg <= state_new;
      if (round_we) round_reg <= round_new;
      if (encdec_we) encdec_reg <= encdec;
      result_valid_reg <= result_valid_new;
      if (ctrl_we) ctrl_reg <= ctrl_new;
    end
  end


  //----------------------------------------------------------------
  // rk_select
  // Round-key address: the first key of the chosen direction while
  // idle, the current round otherwise.
  //----------------------------------------------------------------
  always @* begin : rk_select
    rk_addr = round_reg;
    if (core_idle) begin
      if (encdec) rk_addr = 4'h0;
      else rk_addr = num_rounds;
    end
  end


  //----------------------------------------------------------------
  // aes_ctrl
  //----------------------------------------------------------------
  always @* begin : aes_ctrl
    state_new        = 128'h0;
    state_we         = 1'b0;
    round_new        = 4'h0;
    round_we         = 1'b0;
    encdec_we        = 1'b0;
    result_valid_new = 1'b0;
    ctrl_new         = CTRL_IDLE;
    ctrl_we          = 1'b0;

    case (ctrl_reg)
      CTRL_IDLE: begin
        if (start && key_mem_ready && !key_init) begin
          // Initial AddRoundKey.
          state_new = block_in ^ round_key;
          state_we  = 1'b1;
          encdec_we = 1'b1;
          if (encdec) round_new = 4'h1;
          else round_new = num_rounds - 4'h1;
          round_we = 1'b1;
          ctrl_new = CTRL_ROUND;
          ctrl_we  = 1'b1;
        end
      end

      default: begin
        state_we = 1'b1;
        round_we = 1'b1;
        if (encdec_reg) begin
          state_new = enc_out;
          round_new = round_reg + 4'h1;
          if (enc_last) begin
            result_valid_new = 1'b1;
            ctrl_new         = CTRL_IDLE;
            ctrl_we          = 1'b1;
          end
        end else begin
          state_new = dec_out;
          round_new = round_reg - 4'h1;
          if (dec_last) begin
            result_valid_new = 1'b1;
            ctrl_new         = CTRL_IDLE;
            ctrl_we          = 1'b1;
          end
        end
      end
    endcase
  end

endmodule  // aes_core

`default_nettype wire

//======================================================================
// EOF aes_core.v
//======================================================================
