//======================================================================
// aes_key_mem.v
// -------------
// AES key expansion (FIPS-197 section 5.2) for 128, 192 and 256 bit
// keys, and the round-key memory the AES datapath reads from.
//
// Expansion produces one 128-bit round key (four words w[i..i+3]) per
// clock cycle and writes it into a 16 x 128 bit memory, so a key is
// ready Nr + 2 cycles after `init` (12 / 14 / 16 cycles for 128 / 192 /
// 256 bit keys). The memory is read asynchronously (LUT RAM on 7-series)
// at `round`; it holds round keys 0..Nr in encryption order and is used
// unchanged for decryption (the core runs the straight inverse cipher).
//
// The last Nk expanded words are kept in an eight word window. Within one
// group of four words at most one word needs SubWord (at offset 0 for
// every key size, or at offset 2 for 192 bit keys), so a single 32-bit
// S-box (four aes_sbox) serves all key sizes.
//
// Key layout: `key` is left aligned, key[255:248] is key byte 0 and
// w[0] = key[255:224]. A 128 bit key sits in key[255:128], a 192 bit key
// in key[255:64]; the unused low bits are ignored.
//
// `keylen`: 0 = AES-128, 1 = AES-192, 2 = AES-256 (3 is treated as 256).
// `key` and `keylen` are sampled on the `init` cycle only.
//
// Part of the l2sec line-module crypto cores (rtl/crypto).
//======================================================================

`default_nettype none

module aes_key_mem (
    input wire clk,
    input wire rst,

    // Pulse: latch key/keylen and expand. Ignored while busy.
    input wire         init,
    input wire [255:0] key,
    input wire [  1:0] keylen,

    // Round-key read port (asynchronous read).
    input  wire [  3:0] round,
    output wire [127:0] round_key,

    // Number of rounds (10/12/14) of the latched key length.
    output wire [3:0] num_rounds,
    // Expansion in progress.
    output wire       busy,
    // Round keys 0..Nr valid for the latched key.
    output wire       ready
);

  //----------------------------------------------------------------
  // Internal constant and parameter definitions.
  //----------------------------------------------------------------
  // keylen encodings (anything else is AES-256).
  localparam [1:0] KEYLEN_128 = 2'd0;
  localparam [1:0] KEYLEN_192 = 2'd1;

  // Number of rounds Nr per key length.
  localparam [3:0] NR_128 = 4'd10;
  localparam [3:0] NR_192 = 4'd12;
  localparam [3:0] NR_256 = 4'd14;

  // Key length Nk in 32-bit words.
  localparam [3:0] NK_128 = 4'd4;
  localparam [3:0] NK_192 = 4'd6;
  localparam [3:0] NK_256 = 4'd8;

  // Rcon[1]; each further Rcon is the previous one times x in GF(2^8).
  localparam [7:0] RCON_FIRST = 8'h01;


  //----------------------------------------------------------------
  // Registers including update variables and write enable.
  //----------------------------------------------------------------
  reg [  1:0] keylen_reg;
  reg         keylen_we;

  // Sliding window of the last eight expanded words; word m (bits
  // [32m+31:32m]) is w[i-8+m] where i is the first word being produced.
  // init loads it with the key (word m = key word m), so that key word
  // j (i = 0) and key word 4 + j (i = 4, after one shift) are both
  // window word j: the key needs no register of its own.
  reg [255:0] win_reg;
  reg [255:0] win_new;
  reg         win_we;

  // Index of the round key being produced (i = 4 * idx).
  reg [  3:0] idx_reg;
  reg [  3:0] idx_new;
  reg         idx_we;

  // i mod Nk.
  reg [  2:0] pos_reg;
  reg [  2:0] pos_new;
  reg         pos_we;

  // Rcon for the next k mod Nk == 0 word.
  reg [  7:0] rcon_reg;
  reg [  7:0] rcon_new;
  reg         rcon_we;

  // Expansion running / round keys valid.
  reg         busy_reg;
  reg         busy_new;
  reg         busy_we;

  reg         ready_reg;
  reg         ready_new;
  reg         ready_we;

  // Round-key memory; not reset (contents are qualified by ready_reg).
  reg [127:0] rk_mem      [0:15];
  reg         rk_we;


  //----------------------------------------------------------------
  // Wires.
  //----------------------------------------------------------------
  reg  [  3:0] nk;
  reg  [  3:0] nr;

  // New words w[i+j], j = 0..3.
  reg  [ 31:0] nw0;
  reg  [ 31:0] nw1;
  reg  [ 31:0] nw2;
  reg  [ 31:0] nw3;
  // Shared SubWord.
  reg  [ 31:0] sub_in;
  wire [ 31:0] sub_out;
  reg          rcon_used;
  // w[i+j] is key word i+j; that key word (window word j).
  reg          is_key0;
  reg          is_key1;
  reg          is_key2;
  reg          is_key3;
  reg  [ 31:0] kw0;
  reg  [ 31:0] kw1;
  reg  [ 31:0] kw2;
  reg  [ 31:0] kw3;
  // w[i+j-Nk] and w[i-1].
  reg  [ 31:0] b0;
  reg  [ 31:0] b1;
  reg  [ 31:0] b2;
  reg  [ 31:0] b3;
  reg  [ 31:0] wlast;
  // Where SubWord applies: RotWord+Rcon at offset 0 or 2, plain at 0.
  reg          rot_at0;
  reg          sub_at0;
  reg          rot_at2;
  reg  [  2:0] pos_next;


  //----------------------------------------------------------------
  // Concurrent connectivity for ports etc.
  //----------------------------------------------------------------
  assign round_key  = rk_mem[round];
  assign num_rounds = nr;
  assign busy       = busy_reg;
  assign ready      = ready_reg;


  //----------------------------------------------------------------
  // The SubWord S-boxes.
  //----------------------------------------------------------------
  aes_sbox sbox0 (
      .in (sub_in[31:24]),
      .out(sub_out[31:24])
  );
  aes_sbox sbox1 (
      .in (sub_in[23:16]),
      .out(sub_out[23:16])
  );
  aes_sbox sbox2 (
      .in (sub_in[15:8]),
      .out(sub_out[15:8])
  );
  aes_sbox sbox3 (
      .in (sub_in[7:0]),
      .out(sub_out[7:0])
  );


  //----------------------------------------------------------------
  // Functions.
  //----------------------------------------------------------------
  // Window word m (0 = oldest).
  function automatic [31:0] win_word(input [255:0] w, input [2:0] m);
    begin
      case (m)
        3'd0: win_word = w[31:0];
        3'd1: win_word = w[63:32];
        3'd2: win_word = w[95:64];
        3'd3: win_word = w[127:96];
        3'd4: win_word = w[159:128];
        3'd5: win_word = w[191:160];
        3'd6: win_word = w[223:192];
        default: win_word = w[255:224];
      endcase
    end
  endfunction

  function automatic [7:0] xtime(input [7:0] b);
    begin
      xtime = {b[6:0], 1'b0} ^ (b[7] ? 8'h1b : 8'h00);
    end
  endfunction

  function automatic [31:0] rot_word(input [31:0] w);
    begin
      rot_word = {w[23:0], w[31:24]};
    end
  endfunction


  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      keylen_reg <= KEYLEN_128;
      win_reg    <= 256'h0;
      idx_reg    <= 4'h0;
      pos_reg    <= 3'h0;
      rcon_reg   <= RCON_FIRST;
      busy_reg   <= 1'b0;
      ready_reg  <= 1'b0;
    end else begin
      if (keylen_we) keylen_reg <= keylen;
      if (win_we) win_reg <= win_new;
      if (idx_we) idx_reg <= idx_new;
      if (pos_we) pos_reg <= pos_new;
      if (rcon_we) rcon_reg <= rcon_new;
      if (busy_we) busy_reg <= busy_new;
      if (ready_we) ready_reg <= ready_new;
      if (rk_we) rk_mem[idx_reg] <= {nw0, nw1, nw2, nw3};
    end
  end


  //----------------------------------------------------------------
  // key_params
  // Nk and Nr of the latched key length.
  //----------------------------------------------------------------
  always @* begin : key_params
    nk = NK_256;
    nr = NR_256;
    case (keylen_reg)
      KEYLEN_128: begin
        nk = NK_128;
        nr = NR_128;
      end
      KEYLEN_192: begin
        nk = NK_192;
        nr = NR_192;
      end
      default: begin
        nk = NK_256;
        nr = NR_256;
      end
    endcase
  end


  //----------------------------------------------------------------
  // word_index
  // Word indices, key-word and SubWord selects for w[i..i+3],
  // i = 4 * idx_reg, and w[k - Nk] (window word 8 + j - Nk).
  //----------------------------------------------------------------
  always @* begin : word_index
    reg idx0, idx1, nk6, nk8;

    // The decode is written out from the key schedule's structure (pos
    // = i mod Nk is 0 for Nk = 4, cycles 0, 4, 2 for Nk = 6 and 0, 4
    // for Nk = 8) to keep comparators off the SubWord path.
    idx0 = (idx_reg == 4'd0);
    idx1 = (idx_reg == 4'd1);
    nk6  = (nk == NK_192);
    nk8  = (nk == NK_256);

    // k = i + j < Nk: all of w[0..3], and w[4], w[5] (Nk = 6) or w[4..7]
    // (Nk = 8).
    is_key0 = idx0 || (idx1 && (nk6 || nk8));
    is_key1 = is_key0;
    is_key2 = idx0 || (idx1 && nk8);
    is_key3 = is_key2;

    // Key word i + j is window word j (see win_reg).
    kw0 = win_word(win_reg, 3'd0);
    kw1 = win_word(win_reg, 3'd1);
    kw2 = win_word(win_reg, 3'd2);
    kw3 = win_word(win_reg, 3'd3);

    // k mod Nk == 0 (RotWord, SubWord, Rcon) falls on offset 0 when
    // pos == 0, or on offset 2 when Nk = 6 and pos == 4; k mod 8 == 4
    // (SubWord only) falls on offset 0 when Nk = 8 and pos == 4.
    // Offsets 1 and 3 never need SubWord since pos is even.
    rot_at0 = !is_key0 && (pos_reg == 3'd0);
    sub_at0 = !is_key0 && nk8 && (pos_reg == 3'd4);
    rot_at2 = !is_key2 && nk6 && (pos_reg == 3'd4);

    // w[k - Nk] is window word (8 + j - Nk) mod 8.
    b0 = win_word(win_reg, 3'd0 - nk[2:0]);
    b1 = win_word(win_reg, 3'd1 - nk[2:0]);
    b2 = win_word(win_reg, 3'd2 - nk[2:0]);
    b3 = win_word(win_reg, 3'd3 - nk[2:0]);
    wlast = win_word(win_reg, 3'd7);

    // (i + 4) mod Nk for the next group.
    pos_next = 3'd0;
    if (nk6) begin
      case (pos_reg)
        3'd0: pos_next = 3'd4;
        3'd4: pos_next = 3'd2;
        default: pos_next = 3'd0;
      endcase
    end else if (nk8) begin
      pos_next = (pos_reg == 3'd0) ? 3'd4 : 3'd0;
    end
  end


  //----------------------------------------------------------------
  // sub_select
  // Input of the shared SubWord. When it is needed at offset 2, offsets
  // 0 and 1 need none, so w[i+1] is recomputed here without the S-box
  // to keep the logic free of (false) combinational loops.
  //----------------------------------------------------------------
  always @* begin : sub_select
    reg [31:0] nw0_nosub;
    reg [31:0] nw1_nosub;

    nw0_nosub = is_key0 ? kw0 : (b0 ^ wlast);
    nw1_nosub = is_key1 ? kw1 : (b1 ^ nw0_nosub);

    sub_in = wlast;
    if (rot_at2) sub_in = rot_word(nw1_nosub);
    else if (rot_at0) sub_in = rot_word(wlast);
  end


  //----------------------------------------------------------------
  // expand_words
  // w[k] = w[k-Nk] ^ temp, temp = SubWord(RotWord(w[k-1])) ^ Rcon when
  // k mod Nk == 0, SubWord(w[k-1]) when Nk == 8 and k mod Nk == 4,
  // w[k-1] otherwise; w[k] for k < Nk is key word k.
  //----------------------------------------------------------------
  always @* begin : expand_words
    rcon_used = rot_at0 || rot_at2;

    if (is_key0) nw0 = kw0;
    else if (rot_at0) nw0 = b0 ^ sub_out ^ {rcon_reg, 24'h0};
    else if (sub_at0) nw0 = b0 ^ sub_out;
    else nw0 = b0 ^ wlast;

    if (is_key1) nw1 = kw1;
    else nw1 = b1 ^ nw0;

    if (is_key2) nw2 = kw2;
    else if (rot_at2) nw2 = b2 ^ sub_out ^ {rcon_reg, 24'h0};
    else nw2 = b2 ^ nw1;

    if (is_key3) nw3 = kw3;
    else nw3 = b3 ^ nw2;
  end


  //----------------------------------------------------------------
  // key_ctrl
  // Latch the key on init, then write one round key per cycle for
  // round keys 0..Nr.
  //----------------------------------------------------------------
  always @* begin : key_ctrl
    keylen_we = 1'b0;
    win_new   = {nw3, nw2, nw1, nw0, win_reg[255:128]};
    win_we    = 1'b0;
    idx_new   = 4'h0;
    idx_we    = 1'b0;
    pos_new   = 3'h0;
    pos_we    = 1'b0;
    rcon_new  = RCON_FIRST;
    rcon_we   = 1'b0;
    busy_new  = 1'b0;
    busy_we   = 1'b0;
    ready_new = 1'b0;
    ready_we  = 1'b0;
    rk_we     = 1'b0;

    if (busy_reg) begin
      rk_we   = 1'b1;
      win_we  = 1'b1;
      idx_new = idx_reg + 4'h1;
      idx_we  = 1'b1;
      pos_new = pos_next;
      pos_we  = 1'b1;
      if (rcon_used) begin
        rcon_new = xtime(rcon_reg);
        rcon_we  = 1'b1;
      end
      if (idx_reg == nr) begin
        busy_new  = 1'b0;
        busy_we   = 1'b1;
        ready_new = 1'b1;
        ready_we  = 1'b1;
      end
    end else if (init) begin
      keylen_we = 1'b1;
      win_new   = {key[31:0], key[63:32], key[95:64], key[127:96],
                   key[159:128], key[191:160], key[223:192], key[255:224]};
      win_we    = 1'b1;
      idx_new   = 4'h0;
      idx_we    = 1'b1;
      pos_new   = 3'h0;
      pos_we    = 1'b1;
      rcon_new  = RCON_FIRST;
      rcon_we   = 1'b1;
      busy_new  = 1'b1;
      busy_we   = 1'b1;
      ready_new = 1'b0;
      ready_we  = 1'b1;
    end
  end

endmodule  // aes_key_mem

`default_nettype wire

//======================================================================
// EOF aes_key_mem.v
//======================================================================
