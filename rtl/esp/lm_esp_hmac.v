//======================================================================
// lm_esp_hmac.v
// -------------
// HMAC-SHA-1 / HMAC-SHA-256 over a message held in a lane's packet
// buffer, starting from the SA's precomputed inner and outer states
// (HMAC_ISTATE, HMAC_OSTATE), so a packet costs no ipad/opad blocks.
//
// The message is nwords 32-bit big-endian words at word address base.
// The unit reads it through a one-cycle-latency read port, adds the
// SHA padding and the length (the 64-byte key block included), and
// fills the next block while the core compresses the current one, so
// a block costs the core's 81 (SHA-1) or 65 (SHA-256) cycles.
//
// avail: message words already in the buffer (from base). A block is
// filled only once all of its message words are there (avail >= its
// end, or avail >= nwords), so the HMAC can trail a producer that
// writes the message while it runs (encap: the CBC ciphertext). Tie it
// to nwords (or more) when the whole message is there at start.
//
// digest: H0 in the top word; SHA-1 fills digest[255:96].
//======================================================================
`default_nettype none

module lm_esp_hmac #(
    // Word address bits of the packet buffer (32-bit words)
    parameter integer AW = 9
) (
    input  wire          clk,
    input  wire          rst,

    // Pulse: compute HMAC over the message. Accepted when ready.
    input  wire          start,
    // 1 = HMAC-SHA-256, 0 = HMAC-SHA-1; sampled with start
    input  wire          sha256,
    // Inner and outer chaining states, H0 in the top word (SHA-1: top 160 bits); held until done
    input  wire [255:0]  istate,
    input  wire [255:0]  ostate,
    // First message word and message length in words; sampled with start
    input  wire [AW-1:0] base,
    input  wire [AW-1:0] nwords,
    output wire          ready,
    // Message words written so far (may rise while the unit runs)
    input  wire [AW:0]   avail,

    // Buffer read port: rd_data is the word at rd_addr one cycle after rd_en
    output wire          rd_en,
    output wire [AW-1:0] rd_addr,
    input  wire [31:0]   rd_data,

    // Pulse when the digest is valid; digest holds until the next start
    output wire          done,
    output wire [255:0]  digest
);

  localparam [2:0] ST_IDLE       = 3'd0;
  localparam [2:0] ST_FILL       = 3'd1;
  localparam [2:0] ST_PEND       = 3'd2;
  localparam [2:0] ST_WAIT_INNER = 3'd3;
  localparam [2:0] ST_WAIT_OUTER = 3'd4;

  // Bits hashed before the message: the 64-byte (K xor ipad) block.
  localparam [31:0] KEY_BLOCK_BITS = 32'd512;

  reg [2:0]    state_reg;
  reg [2:0]    state_new;
  reg          state_we;
  reg          sha256_reg;
  reg [AW-1:0] base_reg;
  reg [AW-1:0] nwords_reg;
  reg          ctrl_we;
  reg [AW-4:0] blk_reg;      // block being filled
  reg [AW-4:0] blk_new;
  reg          blk_we;
  reg [AW-4:0] last_blk_reg;
  reg [4:0]    cnt_reg;      // fill position 0..16
  reg [4:0]    cnt_new;
  reg          cnt_we;
  reg [511:0]  block_reg;
  reg [511:0]  block_new;
  reg          block_we;
  reg          busy_reg;     // a compression is running
  reg          busy_new;
  reg          busy_we;
  reg [255:0]  digest_reg;
  reg          digest_we;
  reg          done_reg;
  reg          done_new;

  reg          core_start;
  reg [255:0]  core_h_in;
  reg [511:0]  core_block;

  wire         sha1_ready;
  wire [159:0] sha1_h_out;
  wire         sha1_h_valid;
  wire         sha256_ready;
  wire [255:0] sha256_h_out;
  wire         sha256_h_valid;

  wire         core_h_valid = sha256_reg ? sha256_h_valid : sha1_h_valid;
  wire [255:0] core_h_out   = sha256_reg ? sha256_h_out : {sha1_h_out, 96'h0};

  // Blocks: message words, one word 0x80000000, two length words.
  wire [AW:0]  nblocks_w = ({1'b0, nwords} + 3 + 15) >> 4;

  // All message words of block blk_reg are in the buffer.
  wire [AW+1:0] blk_end   = {({1'b0, blk_reg} + 1'b1), 4'h0};
  wire          blk_avail = (blk_end <= {1'b0, avail}) || ({1'b0, avail} >= {2'b0, nwords_reg});
  wire          fill_go   = (cnt_reg != 5'd0) || blk_avail;

  assign ready   = (state_reg == ST_IDLE);
  assign rd_en   = (state_reg == ST_FILL) && (cnt_reg < 5'd16) && fill_go;
  wire [AW:0] rd_off = {blk_reg, cnt_reg[3:0]};
  assign rd_addr = base_reg + rd_off[AW-1:0];
  assign done    = done_reg;
  assign digest  = digest_reg;

  sha1_core sha1 (
      .clk(clk), .rst(rst),
      .start(core_start && !sha256_reg), .h_in(core_h_in[255:96]), .block(core_block),
      .ready(sha1_ready), .h_out(sha1_h_out), .h_valid(sha1_h_valid));

  sha256_core sha2 (
      .clk(clk), .rst(rst),
      .start(core_start && sha256_reg), .h_in(core_h_in), .block(core_block),
      .ready(sha256_ready), .h_out(sha256_h_out), .h_valid(sha256_h_valid));

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      state_reg    <= ST_IDLE;
      sha256_reg   <= 1'b0;
      base_reg     <= {AW{1'b0}};
      nwords_reg   <= {AW{1'b0}};
      blk_reg      <= {(AW-3){1'b0}};
      last_blk_reg <= {(AW-3){1'b0}};
      cnt_reg      <= 5'd0;
      block_reg    <= 512'h0;
      busy_reg     <= 1'b0;
      digest_reg   <= 256'h0;
      done_reg     <= 1'b0;
    end else begin
      done_reg <= done_new;
      if (state_we) state_reg <= state_new;
      if (ctrl_we) begin
        sha256_reg   <= sha256;
        base_reg     <= base;
        nwords_reg   <= nwords;
        last_blk_reg <= nblocks_w[AW-4:0] - 1'b1;
      end
      if (blk_we) blk_reg <= blk_new;
      if (cnt_we) cnt_reg <= cnt_new;
      if (block_we) block_reg <= block_new;
      if (busy_we) busy_reg <= busy_new;
      if (digest_we) digest_reg <= core_h_out;
    end
  end

  //----------------------------------------------------------------
  // fill_word: the message word (or padding / length) at fill
  // position cnt_reg - 1, whose buffer read was issued last cycle.
  //----------------------------------------------------------------
  reg [31:0] fill_word;
  reg [AW:0] g;
  always @* begin : fill_word_logic
    g = {blk_reg, 4'h0} + {{(AW-3){1'b0}}, cnt_reg[3:0] - 4'd1};
    if (g < {1'b0, nwords_reg}) begin
      fill_word = rd_data;
    end else if (g == {1'b0, nwords_reg}) begin
      fill_word = 32'h80000000;
    end else if ((blk_reg == last_blk_reg) && (cnt_reg[3:0] == 4'd0)) begin
      // word 15 (cnt wrapped to 16): low half of the bit length
      fill_word = KEY_BLOCK_BITS + {{(32-AW-5){1'b0}}, nwords_reg, 5'h0};
    end else begin
      fill_word = 32'h0;
    end
  end

  //----------------------------------------------------------------
  // ctrl_fsm
  //----------------------------------------------------------------
  always @* begin : ctrl_fsm
    state_new  = state_reg;
    state_we   = 1'b0;
    ctrl_we    = 1'b0;
    blk_new    = blk_reg;
    blk_we     = 1'b0;
    cnt_new    = cnt_reg;
    cnt_we     = 1'b0;
    block_new  = block_reg;
    block_we   = 1'b0;
    busy_new   = busy_reg;
    busy_we    = 1'b0;
    digest_we  = 1'b0;
    done_new   = 1'b0;
    core_start = 1'b0;
    core_h_in  = core_h_out;
    core_block = block_reg;

    if (busy_reg && core_h_valid) begin
      busy_new = 1'b0;
      busy_we  = 1'b1;
    end

    case (state_reg)
      ST_IDLE: begin
        if (start) begin
          ctrl_we   = 1'b1;
          blk_new   = {(AW-3){1'b0}};
          blk_we    = 1'b1;
          cnt_new   = 5'd0;
          cnt_we    = 1'b1;
          state_new = ST_FILL;
          state_we  = 1'b1;
        end
      end

      ST_FILL: begin
        cnt_new = cnt_reg + 5'd1;
        cnt_we  = fill_go;
        if (cnt_reg != 5'd0) begin
          block_new = {block_reg[479:0], fill_word};
          block_we  = 1'b1;
        end
        if (cnt_reg == 5'd16) begin
          state_new = ST_PEND;
          state_we  = 1'b1;
        end
      end

      ST_PEND: begin
        // Start when the previous block's chaining value is out.
        if (!busy_reg || core_h_valid) begin
          core_start = 1'b1;
          core_h_in  = (blk_reg == {(AW-3){1'b0}}) ? istate : core_h_out;
          busy_new   = 1'b1;
          busy_we    = 1'b1;
          cnt_new    = 5'd0;
          cnt_we     = 1'b1;
          state_we   = 1'b1;
          if (blk_reg == last_blk_reg) begin
            state_new = ST_WAIT_INNER;
          end else begin
            blk_new   = blk_reg + 1'b1;
            blk_we    = 1'b1;
            state_new = ST_FILL;
          end
        end
      end

      ST_WAIT_INNER: begin
        if (core_h_valid) begin
          core_start = 1'b1;
          core_h_in  = ostate;
          busy_new   = 1'b1;
          busy_we    = 1'b1;
          if (sha256_reg)
            core_block = {core_h_out, 32'h80000000, 192'h0, 32'd768};
          else
            core_block = {core_h_out[255:96], 32'h80000000, 288'h0, 32'd672};
          state_new = ST_WAIT_OUTER;
          state_we  = 1'b1;
        end
      end

      ST_WAIT_OUTER: begin
        if (core_h_valid) begin
          digest_we = 1'b1;
          done_new  = 1'b1;
          state_new = ST_IDLE;
          state_we  = 1'b1;
        end
      end

      default: begin
        state_new = ST_IDLE;
        state_we  = 1'b1;
      end
    endcase
  end

  // The cores' ready outputs are implied by busy_reg; keep lint quiet about them.
  wire unused_ok = &{1'b0, sha1_ready, sha256_ready, nblocks_w, rd_off};

endmodule

`default_nettype wire
