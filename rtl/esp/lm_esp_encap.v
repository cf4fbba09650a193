//======================================================================
// lm_esp_encap.v
// --------------
// ESP encap engine, one lane, store and forward (RFC 4303 transport
// mode, RFC 3948 UDP encapsulation). The reference is the golden
// model's EspEngine::encap_payload with IvMode::kCounter.
//
// Input: the transport payload on s_axis (byte 0 in tdata[7:0]) and, on
// s_hdr, the SA (index and the 40 entry words), the next header and the
// IPv4 fields to keep (TOS, ID, flags/offset, TTL). Output: one m_hdr
// beat per packet (status, sequence number); when the status is NONE
// it is followed on m_axis by the protected packet: IPv4 header with
// checksum, UDP header to the peer's NAT-mapped port for ENCAP=UDP
// (checksum 0), ESP header, IV, ciphertext, ICV.
//
// Per packet: next sequence number (per-SA state, restarted from the
// entry's SEQ when the slot's GEN changes; SEQ_OVERFLOW drop and event
// when it would wrap), IV = AES-128(IV_KEY, SPI | 0 | 0 | SEQ), RFC 4303
// padding 1, 2, 3, ..., AES-CBC encrypt, HMAC from istate/ostate.
// The payload is received at buffer byte PAY_OFF, the ciphertext is
// written from byte 44 (52 with UDP) behind the read pointer. ESP
// header, IV and ciphertext are also written to the HMAC bank, a second
// buffer read only by the HMAC, which runs alongside the CBC: it hashes
// each 64-byte block of ESP header + IV + ciphertext as soon as the
// block is complete, so it trails the AES by at most one block.
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_esp_encap #(
    // SA-table entries (the per-SA sequence state has as many)
    parameter integer CAPACITY = `LM_SA_CAPACITY,
    // Packet buffer: 2^BEAT_W beats of 8 bytes
    parameter integer BEAT_W = 8,
    // SA index bits
    parameter integer IDX_W = $clog2(CAPACITY)
) (
    input  wire             clk,
    input  wire             rst,

    // Transport payload in
    input  wire [63:0]      s_axis_tdata,
    input  wire [7:0]       s_axis_tkeep,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    input  wire             s_axis_tlast,

    // SA and header fields for the packet
    input  wire             s_hdr_valid,
    output wire             s_hdr_ready,
    input  wire [IDX_W-1:0] s_hdr_index,
    input  wire [32*`LM_SA_WORDS-1:0] s_hdr_entry,
    input  wire [7:0]       s_hdr_next_header,
    input  wire [7:0]       s_hdr_tos,
    input  wire [15:0]      s_hdr_id,
    input  wire [15:0]      s_hdr_frag,
    input  wire [7:0]       s_hdr_ttl,

    // Protected packet out (only for status NONE)
    output wire [63:0]      m_axis_tdata,
    output wire [7:0]       m_axis_tkeep,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready,
    output wire             m_axis_tlast,

    // Status, one beat per packet, before its data
    output wire             m_hdr_valid,
    input  wire             m_hdr_ready,
    output wire [`LM_DROP_REASON_W-1:0] m_hdr_reason,
    output wire             m_hdr_sa_valid,
    output wire [IDX_W-1:0] m_hdr_index,
    output wire [31:0]      m_hdr_seq,
    output wire [15:0]      m_hdr_len,

    // Per-SA stats update (pulse): NONE counts a packet and its payload bytes
    output wire             stat_valid,
    output wire [IDX_W-1:0] stat_index,
    output wire [`LM_DROP_REASON_W-1:0] stat_reason,
    output wire [15:0]      stat_bytes,

    // Event (pulse): the SA's sequence number is exhausted (ctrl.EVENT.KIND 1)
    output wire             event_valid,
    output wire [IDX_W-1:0] event_index,
    output wire [7:0]       event_kind
);

  localparam integer ST_W = 1 + 8 + 32;              // sequence state: valid, gen, seq
  localparam integer WA_W = BEAT_W + 1;
  localparam [15:0]  BUF_BYTES = 16'd8 << BEAT_W;
  localparam [15:0]  PAY_OFF = 16'd64;               // payload byte offset in the buffer
  localparam [15:0]  PAY_BEAT = PAY_OFF >> 3;
  // Largest payload: padding (<= 15), trailer (2) and ICV (<= 16) must fit behind it.
  localparam [15:0]  MAX_PAYLOAD = BUF_BYTES - PAY_OFF - 16'd33;
  localparam [7:0]   EVENT_SEQ_OVERFLOW = 8'd1;

  localparam [4:0] S_RX      = 5'd0;
  localparam [4:0] S_HDR     = 5'd1;
  localparam [4:0] S_CHECK   = 5'd2;
  localparam [4:0] S_IVKEY   = 5'd3;
  localparam [4:0] S_IVWAIT  = 5'd4;
  localparam [4:0] S_IVRES   = 5'd5;
  localparam [4:0] S_ESPHDR  = 5'd6;
  localparam [4:0] S_KEY     = 5'd7;
  localparam [4:0] S_KEYWAIT = 5'd8;
  localparam [4:0] S_LOAD    = 5'd9;
  localparam [4:0] S_AES     = 5'd10;
  localparam [4:0] S_AESWAIT = 5'd11;
  localparam [4:0] S_WRITE   = 5'd12;
  localparam [4:0] S_HMAC    = 5'd13;
  localparam [4:0] S_ICVWR   = 5'd14;
  localparam [4:0] S_IPHDR   = 5'd15;
  localparam [4:0] S_OUT     = 5'd16;
  localparam [4:0] S_DROP    = 5'd17;
  localparam [4:0] S_DONE    = 5'd18;

  localparam [7:0] PROTO_UDP = 8'd17;
  localparam [7:0] PROTO_ESP = 8'd50;

  //----------------------------------------------------------------
  // Registers
  //----------------------------------------------------------------
  reg [4:0]   state_reg;
  reg [4:0]   state_new;
  reg         state_we;

  reg [15:0]  beat_reg;
  reg [15:0]  n_reg;             // payload bytes
  reg         ovf_reg;

  reg [IDX_W-1:0] index_reg;
  reg [31:0]  w0_reg;
  reg [31:0]  spi_reg;
  reg [31:0]  local_reg;
  reg [31:0]  peer_reg;
  reg [31:0]  ports_reg;
  reg [31:0]  sa_seq_reg;
  reg [255:0] key_reg;
  reg [127:0] iv_key_reg;
  reg [255:0] istate_reg;
  reg [255:0] ostate_reg;
  reg [7:0]   nh_reg;
  reg [7:0]   tos_reg;
  reg [15:0]  id_reg;
  reg [15:0]  frag_reg;
  reg [7:0]   ttl_reg;

  reg [WA_W:0]  cnt_reg;
  reg [WA_W:0]  cnt_new;
  reg           cnt_we;
  reg [127:0]   words_reg;
  reg           words_we;
  reg [31:0]    seq_reg;
  reg           seq_we;
  reg [WA_W-1:0] blk_reg;
  reg [WA_W-1:0] blk_new;
  reg         blk_we;
  reg [127:0] chain_reg;
  reg [127:0] chain_new;
  reg         chain_we;
  reg [WA_W:0] avail_reg;        // words of ESP header + IV + ciphertext written
  reg [WA_W:0] avail_new;
  reg         avail_we;
  reg         hmac_fin_reg;      // the HMAC of this packet is done

  reg         hdr_valid_reg;
  reg         hdr_valid_new;
  reg         hdr_valid_we;
  reg [`LM_DROP_REASON_W-1:0] reason_reg;
  reg [`LM_DROP_REASON_W-1:0] reason_new;
  reg         charged_reg;
  reg         charged_new;
  reg         reason_we;
  reg         stat_valid_reg;
  reg         stat_valid_new;
  reg         event_reg;
  reg         event_new;
  reg [15:0]  ob_issue_reg;
  reg [15:0]  ob_issue_new;
  reg         ob_issue_we;
  reg [2:0]   cred_reg;
  reg         ob_pend_reg;
  reg         ob_last_pend_reg;
  reg [7:0]   ob_keep_pend_reg;

  //----------------------------------------------------------------
  // Buffer, AES, HMAC
  //----------------------------------------------------------------
  reg              buf_beat_we;
  reg              buf_word_we;
  reg [WA_W-1:0]   buf_word_waddr;
  reg [31:0]       buf_word_wdata;
  reg              buf_rd_en;
  reg [WA_W-1:0]   buf_rd_addr;
  wire [63:0]      buf_rd_beat;
  wire [31:0]      buf_rd_word;
  wire [15:0]      beat_waddr = beat_reg + PAY_BEAT;

  reg  [63:0] in_be;
  integer     bi;
  always @* begin : in_byteswap
    for (bi = 0; bi < 8; bi = bi + 1) in_be[63-8*bi -: 8] = s_axis_tdata[8*bi +: 8];
  end

  lm_esp_buf #(.BEAT_W(BEAT_W)) pbuf (
      .clk(clk),
      .beat_we(buf_beat_we), .beat_addr(beat_waddr[BEAT_W-1:0]), .beat_wdata(in_be),
      .word_we(buf_word_we), .word_waddr(buf_word_waddr), .word_wdata(buf_word_wdata),
      .rd_en(buf_rd_en), .rd_word_addr(buf_rd_addr), .rd_beat(buf_rd_beat), .rd_word(buf_rd_word));

  // HMAC bank: gets the same word writes (ESP header, IV, ciphertext), read only by the HMAC.
  wire [WA_W-1:0] hbuf_rd_addr;
  wire            hbuf_rd_en;
  wire [63:0]     unused_hbuf_beat;
  wire [31:0]     hbuf_rd_word;

  lm_esp_buf #(.BEAT_W(BEAT_W)) hbuf (
      .clk(clk),
      .beat_we(1'b0), .beat_addr({BEAT_W{1'b0}}), .beat_wdata(64'h0),
      .word_we(buf_word_we), .word_waddr(buf_word_waddr), .word_wdata(buf_word_wdata),
      .rd_en(hbuf_rd_en), .rd_word_addr(hbuf_rd_addr), .rd_beat(unused_hbuf_beat),
      .rd_word(hbuf_rd_word));

  wire [2:0]   cipher = w0_reg[`LM_SA_CIPHER_LSB +: `LM_SA_CIPHER_W];
  wire [1:0]   integ  = w0_reg[`LM_SA_INTEG_LSB +: `LM_SA_INTEG_W];
  wire [1:0]   icvl   = w0_reg[`LM_SA_ICV_LEN_LSB +: `LM_SA_ICV_LEN_W];
  wire         udp    = (w0_reg[`LM_SA_ENCAP_LSB] == `LM_ENCAP_UDP);
  wire [1:0]   keylen = (cipher == `LM_CIPHER_AES_CBC_128) ? 2'd0 :
                        (cipher == `LM_CIPHER_AES_CBC_192) ? 2'd1 : 2'd2;

  reg          aes_key_init;
  reg          aes_iv_phase;     // key_init with IV_KEY (AES-128) instead of the cipher key
  reg          aes_start;
  reg [127:0]  aes_block;
  wire         aes_key_ready;
  wire         aes_ready;
  wire [127:0] aes_result;
  wire         aes_result_valid;

  aes_core aes (
      .clk(clk), .rst(rst),
      .key_init(aes_key_init), .key(aes_iv_phase ? {iv_key_reg, 128'h0} : key_reg),
      .keylen(aes_iv_phase ? 2'd0 : keylen), .key_ready(aes_key_ready),
      .start(aes_start), .encdec(1'b1), .block_in(aes_block),
      .ready(aes_ready), .result(aes_result), .result_valid(aes_result_valid));

  //----------------------------------------------------------------
  // Packet geometry
  //----------------------------------------------------------------
  wire [15:0] pad        = {12'h0, 4'd14 - n_reg[3:0]};
  wire [15:0] plain_len  = n_reg + pad + 16'd2;
  wire [15:0] nblk       = plain_len >> 4;
  wire [15:0] icv_bytes  = (integ == `LM_INTEG_NONE) ? 16'd0 :
                           (icvl == `LM_ICV_LEN_ICV_128) ? 16'd16 : 16'd12;
  wire [15:0] outer      = udp ? 16'd28 : 16'd20;
  wire [15:0] esp_len    = 16'd24 + plain_len + icv_bytes;
  wire [15:0] total      = outer + esp_len;
  wire [15:0] authed     = 16'd24 + plain_len;
  wire [WA_W-1:0] esp_w  = udp ? 'd7 : 'd5;
  wire [WA_W-1:0] ct_w   = esp_w + 'd6;
  wire [15:0] icv_off    = outer + authed;
  wire [WA_W-1:0] icv_w  = icv_off[WA_W+1:2];
  wire [WA_W-1:0] pay_w  = PAY_OFF[WA_W+1:2];

  // Sequence state
  wire [ST_W-1:0] st_rdata;
  wire [ST_W-1:0] unused_st_a_rdata;
  wire        st_fresh = !st_rdata[ST_W-1] ||
                         (st_rdata[ST_W-2 -: 8] != w0_reg[`LM_SA_GEN_LSB +: `LM_SA_GEN_W]);
  wire [31:0] cur_seq  = st_fresh ? sa_seq_reg : st_rdata[31:0];
  reg         seq_ram_we;

  lm_sa_ram #(.WIDTH(ST_W), .LANES(1), .ADDR_W(IDX_W)) seq_ram (
      .clk(clk),
      .a_en(seq_ram_we), .a_we(seq_ram_we), .a_addr(index_reg),
      .a_wdata({1'b1, w0_reg[`LM_SA_GEN_LSB +: `LM_SA_GEN_W], cur_seq + 32'd1}),
      .a_rdata(unused_st_a_rdata),
      .b_en(s_hdr_valid && (state_reg == S_HDR)), .b_addr(s_hdr_index), .b_rdata(st_rdata));

  reg            hmac_start;
  wire           hmac_ready;
  wire           hmac_done;
  wire [255:0]   hmac_digest;

  lm_esp_hmac #(.AW(WA_W)) hmac (
      .clk(clk), .rst(rst),
      .start(hmac_start), .sha256(integ == `LM_INTEG_HMAC_SHA256),
      .istate(istate_reg), .ostate(ostate_reg),
      .base(esp_w), .nwords(authed[WA_W+1:2]), .ready(hmac_ready), .avail(avail_reg),
      .rd_en(hbuf_rd_en), .rd_addr(hbuf_rd_addr), .rd_data(hbuf_rd_word),
      .done(hmac_done), .digest(hmac_digest));

  //----------------------------------------------------------------
  // Checks, in the golden model's order
  //----------------------------------------------------------------
  reg [`LM_DROP_REASON_W-1:0] chk_reason;
  reg                         chk_charged;
  always @* begin : check_logic
    chk_reason  = `LM_DROP_REASON_NONE;
    chk_charged = 1'b1;
    if (!w0_reg[`LM_SA_VALID_LSB]) begin
      chk_reason  = `LM_DROP_REASON_UNKNOWN_SPI;
      chk_charged = 1'b0;
    end else if (w0_reg[`LM_SA_DIRECTION_LSB] != `LM_DIRECTION_OUTBOUND)
      chk_reason = `LM_DROP_REASON_SA_MISMATCH;
    else if (cur_seq == 32'hffffffff)
      chk_reason = `LM_DROP_REASON_SEQ_OVERFLOW;
    else if ((cipher != `LM_CIPHER_AES_CBC_128 && cipher != `LM_CIPHER_AES_CBC_192 &&
              cipher != `LM_CIPHER_AES_CBC_256) ||
             integ == 2'd3 || icvl > `LM_ICV_LEN_ICV_128 ||
             (integ == `LM_INTEG_HMAC_SHA1 && icvl != `LM_ICV_LEN_ICV_96))
      chk_reason = `LM_DROP_REASON_UNSUPPORTED_SUITE;
    else if (ovf_reg || n_reg > MAX_PAYLOAD)
      chk_reason = `LM_DROP_REASON_NO_BUFFER;
  end

  //----------------------------------------------------------------
  // Plaintext block blk_reg: payload bytes, then 1, 2, 3, ..., pad
  // length, next header (RFC 4303 2.4-2.6)
  //----------------------------------------------------------------
  reg [127:0] plain_block;
  reg [15:0]  pk;
  integer     pb;
  always @* begin : plain_logic
    for (pb = 0; pb < 16; pb = pb + 1) begin
      pk = {{(12-WA_W){1'b0}}, blk_reg, 4'h0} + pb[15:0];
      if (pk < n_reg)
        plain_block[127-8*pb -: 8] = words_reg[127-8*pb -: 8];
      else if (pk < n_reg + pad)
        plain_block[127-8*pb -: 8] = pk[7:0] - n_reg[7:0] + 8'd1;
      else if (pk == n_reg + pad)
        plain_block[127-8*pb -: 8] = pad[7:0];
      else
        plain_block[127-8*pb -: 8] = nh_reg;
    end
  end

  // IPv4 header checksum
  reg [31:0] hs;
  always @* begin : ip_csum_logic
    hs = 32'h4500 + {24'h0, tos_reg} + {16'h0, total} + {16'h0, id_reg} + {16'h0, frag_reg} +
         {16'h0, ttl_reg, (udp ? PROTO_UDP : PROTO_ESP)} +
         {16'h0, local_reg[31:16]} + {16'h0, local_reg[15:0]} +
         {16'h0, peer_reg[31:16]} + {16'h0, peer_reg[15:0]};
    hs = {16'h0, hs[15:0]} + {16'h0, hs[31:16]};
    hs = {16'h0, hs[15:0]} + {16'h0, hs[31:16]};
  end
  wire [15:0] ip_csum = ~hs[15:0];

  // Header word k (0..4 IPv4, 5..6 UDP)
  reg [31:0] hdr_word;
  always @* begin : hdr_word_logic
    case (cnt_reg[2:0])
      3'd0:    hdr_word = {8'h45, tos_reg, total};
      3'd1:    hdr_word = {id_reg, frag_reg};
      3'd2:    hdr_word = {ttl_reg, (udp ? PROTO_UDP : PROTO_ESP), ip_csum};
      3'd3:    hdr_word = local_reg;
      3'd4:    hdr_word = peer_reg;
      3'd5:    hdr_word = {ports_reg[15:0], ports_reg[31:16]};   // LOCAL_PORT, PEER_PORT
      default: hdr_word = {16'd8 + esp_len, 16'h0};
    endcase
  end

  // ESP header + IV word k (0..5)
  reg [31:0] esp_word;
  always @* begin : esp_word_logic
    case (cnt_reg[2:0])
      3'd0:    esp_word = spi_reg;
      3'd1:    esp_word = seq_reg;
      3'd2:    esp_word = chain_reg[127:96];
      3'd3:    esp_word = chain_reg[95:64];
      3'd4:    esp_word = chain_reg[63:32];
      default: esp_word = chain_reg[31:0];
    endcase
  end

  //----------------------------------------------------------------
  // Output stream
  //----------------------------------------------------------------
  reg  [15:0] out_len_reg;
  wire [15:0] out_beats = (out_len_reg + 16'd7) >> 3;
  wire [2:0]  out_tail  = out_len_reg[2:0];
  wire        fifo_wr_ready;
  wire [72:0] fifo_rd_data;
  wire        fifo_rd_valid;
  reg  [63:0] ob_axis;
  integer     oi;
  always @* begin : out_byteswap
    for (oi = 0; oi < 8; oi = oi + 1) ob_axis[8*oi +: 8] = buf_rd_beat[63-8*oi -: 8];
  end
  wire ob_pop   = fifo_rd_valid && m_axis_tready;
  wire ob_issue = (state_reg == S_OUT) && (ob_issue_reg < out_beats) && (cred_reg < 3'd4);

  lm_sync_fifo #(.WIDTH(73), .DEPTH_LOG2(2)) out_fifo (
      .clk(clk), .rst(rst),
      .wr_data({ob_last_pend_reg, ob_keep_pend_reg, ob_axis}), .wr_valid(ob_pend_reg),
      .wr_ready(fifo_wr_ready),
      .rd_data(fifo_rd_data), .rd_valid(fifo_rd_valid), .rd_ready(m_axis_tready));

  assign m_axis_tdata  = fifo_rd_data[63:0];
  assign m_axis_tkeep  = fifo_rd_data[71:64];
  assign m_axis_tlast  = fifo_rd_data[72];
  assign m_axis_tvalid = fifo_rd_valid;

  assign s_axis_tready  = (state_reg == S_RX);
  assign s_hdr_ready    = (state_reg == S_HDR);
  assign m_hdr_valid    = hdr_valid_reg;
  assign m_hdr_reason   = reason_reg;
  assign m_hdr_sa_valid = charged_reg;
  assign m_hdr_index    = index_reg;
  assign m_hdr_seq      = (reason_reg == `LM_DROP_REASON_NONE) ? seq_reg : 32'h0;
  assign m_hdr_len      = (reason_reg == `LM_DROP_REASON_NONE) ? out_len_reg : 16'h0;
  assign stat_valid     = stat_valid_reg;
  assign stat_index     = index_reg;
  assign stat_reason    = reason_reg;
  assign stat_bytes     = n_reg;
  assign event_valid    = event_reg;
  assign event_index    = index_reg;
  assign event_kind     = EVENT_SEQ_OVERFLOW;

  reg [3:0] keep_count;
  integer   ki;
  always @* begin : keep_count_logic
    keep_count = 4'd0;
    for (ki = 0; ki < 8; ki = ki + 1) keep_count = keep_count + {3'h0, s_axis_tkeep[ki]};
  end

  // Entry words k..k+7 (word k in the low bits of the slice) to a 256-bit value, word k on top.
  function automatic [255:0] words8(input [255:0] w);
    integer k;
    begin
      for (k = 0; k < 8; k = k + 1) words8[255-32*k -: 32] = w[32*k +: 32];
    end
  endfunction

  function automatic [127:0] words4(input [127:0] w);
    integer k;
    begin
      for (k = 0; k < 4; k = k + 1) words4[127-32*k -: 32] = w[32*k +: 32];
    end
  endfunction

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      state_reg        <= S_RX;
      beat_reg         <= 16'h0;
      n_reg            <= 16'h0;
      ovf_reg          <= 1'b0;
      index_reg        <= {IDX_W{1'b0}};
      w0_reg           <= 32'h0;
      spi_reg          <= 32'h0;
      local_reg        <= 32'h0;
      peer_reg         <= 32'h0;
      ports_reg        <= 32'h0;
      sa_seq_reg       <= 32'h0;
      key_reg          <= 256'h0;
      iv_key_reg       <= 128'h0;
      istate_reg       <= 256'h0;
      ostate_reg       <= 256'h0;
      nh_reg           <= 8'h0;
      tos_reg          <= 8'h0;
      id_reg           <= 16'h0;
      frag_reg         <= 16'h0;
      ttl_reg          <= 8'h0;
      cnt_reg          <= {(WA_W+1){1'b0}};
      words_reg        <= 128'h0;
      seq_reg          <= 32'h0;
      blk_reg          <= {WA_W{1'b0}};
      chain_reg        <= 128'h0;
      avail_reg        <= {(WA_W+1){1'b0}};
      hmac_fin_reg     <= 1'b0;
      hdr_valid_reg    <= 1'b0;
      reason_reg       <= `LM_DROP_REASON_NONE;
      charged_reg      <= 1'b0;
      stat_valid_reg   <= 1'b0;
      event_reg        <= 1'b0;
      out_len_reg      <= 16'h0;
      ob_issue_reg     <= 16'h0;
      cred_reg         <= 3'h0;
      ob_pend_reg      <= 1'b0;
      ob_last_pend_reg <= 1'b0;
      ob_keep_pend_reg <= 8'h0;
    end else begin
      if (state_we) state_reg <= state_new;

      if (s_axis_tvalid && state_reg == S_RX) begin
        beat_reg <= beat_reg + 16'd1;
        n_reg    <= n_reg + {12'h0, keep_count};
        if (beat_waddr >= (16'd1 << BEAT_W)) ovf_reg <= 1'b1;
      end
      if (state_reg == S_DONE) begin
        beat_reg <= 16'h0;
        n_reg    <= 16'h0;
        ovf_reg  <= 1'b0;
      end

      if (s_hdr_valid && state_reg == S_HDR) begin
        index_reg  <= s_hdr_index;
        w0_reg     <= s_hdr_entry[32*0 +: 32];
        spi_reg    <= s_hdr_entry[32*`LM_SA_SPI_WORD +: 32];
        local_reg  <= s_hdr_entry[32*`LM_SA_LOCAL_ADDR_WORD +: 32];
        peer_reg   <= s_hdr_entry[32*`LM_SA_PEER_ADDR_WORD +: 32];
        ports_reg  <= s_hdr_entry[32*`LM_SA_LOCAL_PORT_WORD +: 32];
        sa_seq_reg <= s_hdr_entry[32*`LM_SA_SEQ_WORD +: 32];
        key_reg    <= words8(s_hdr_entry[32*`LM_SA_KEY_WORD +: 256]);
        iv_key_reg <= words4(s_hdr_entry[32*`LM_SA_IV_KEY_WORD +: 128]);
        istate_reg <= words8(s_hdr_entry[32*`LM_SA_HMAC_ISTATE_WORD +: 256]);
        ostate_reg <= words8(s_hdr_entry[32*`LM_SA_HMAC_OSTATE_WORD +: 256]);
        nh_reg     <= s_hdr_next_header;
        tos_reg    <= s_hdr_tos;
        id_reg     <= s_hdr_id;
        frag_reg   <= s_hdr_frag;
        ttl_reg    <= s_hdr_ttl;
      end

      if (cnt_we) cnt_reg <= cnt_new;
      if (words_we) words_reg <= {words_reg[95:0], buf_rd_word};
      if (seq_we) seq_reg <= cur_seq + 32'd1;
      if (blk_we) blk_reg <= blk_new;
      if (chain_we) chain_reg <= chain_new;
      if (avail_we) avail_reg <= avail_new;
      if (hmac_start) hmac_fin_reg <= 1'b0;
      else if (hmac_done) hmac_fin_reg <= 1'b1;
      if (hdr_valid_we) hdr_valid_reg <= hdr_valid_new;
      if (reason_we) begin
        reason_reg  <= reason_new;
        charged_reg <= charged_new;
      end
      stat_valid_reg <= stat_valid_new;
      event_reg      <= event_new;
      if (state_reg == S_CHECK) out_len_reg <= total;

      if (ob_issue_we) ob_issue_reg <= ob_issue_new;
      ob_pend_reg      <= ob_issue;
      ob_last_pend_reg <= (ob_issue_reg + 16'd1 == out_beats);
      ob_keep_pend_reg <= ((ob_issue_reg + 16'd1 == out_beats) && out_tail != 3'd0) ?
                          ((8'd1 << out_tail) - 8'd1) : 8'hff;
      cred_reg <= cred_reg + (ob_issue ? 3'd1 : 3'd0) - (ob_pop ? 3'd1 : 3'd0);
    end
  end

  //----------------------------------------------------------------
  // ctrl_fsm
  //----------------------------------------------------------------
  wire [WA_W:0] four = 'd4;
  always @* begin : ctrl_fsm
    state_new      = state_reg;
    state_we       = 1'b0;
    cnt_new        = cnt_reg;
    cnt_we         = 1'b0;
    words_we       = 1'b0;
    seq_we         = 1'b0;
    seq_ram_we     = 1'b0;
    blk_new        = blk_reg;
    blk_we         = 1'b0;
    chain_new      = chain_reg;
    chain_we       = 1'b0;
    avail_new      = avail_reg;
    avail_we       = 1'b0;
    hdr_valid_new  = hdr_valid_reg;
    hdr_valid_we   = 1'b0;
    reason_new     = reason_reg;
    charged_new    = charged_reg;
    reason_we      = 1'b0;
    stat_valid_new = 1'b0;
    event_new      = 1'b0;
    ob_issue_new   = ob_issue_reg;
    ob_issue_we    = 1'b0;
    buf_beat_we    = 1'b0;
    buf_word_we    = 1'b0;
    buf_word_waddr = {WA_W{1'b0}};
    buf_word_wdata = 32'h0;
    buf_rd_en      = 1'b0;
    buf_rd_addr    = {WA_W{1'b0}};
    aes_key_init   = 1'b0;
    aes_iv_phase   = 1'b0;
    aes_start      = 1'b0;
    aes_block      = plain_block ^ chain_reg;
    hmac_start     = 1'b0;

    if (hdr_valid_reg && m_hdr_ready) begin
      hdr_valid_new = 1'b0;
      hdr_valid_we  = 1'b1;
    end

    case (state_reg)
      S_RX: begin
        if (s_axis_tvalid) begin
          buf_beat_we = (beat_waddr < (16'd1 << BEAT_W));
          if (s_axis_tlast) begin
            state_new = S_HDR;
            state_we  = 1'b1;
          end
        end
      end

      S_HDR: begin
        if (s_hdr_valid) begin
          state_new = S_CHECK;
          state_we  = 1'b1;
        end
      end

      S_CHECK: begin
        reason_new  = chk_reason;
        charged_new = chk_charged;
        reason_we   = 1'b1;
        state_we    = 1'b1;
        if (chk_reason != `LM_DROP_REASON_NONE) begin
          event_new = (chk_reason == `LM_DROP_REASON_SEQ_OVERFLOW);
          state_new = S_DROP;
        end else begin
          seq_we     = 1'b1;
          seq_ram_we = 1'b1;
          avail_new  = {(WA_W+1){1'b0}};
          avail_we   = 1'b1;
          state_new  = S_IVKEY;
        end
      end

      S_IVKEY: begin
        aes_iv_phase = 1'b1;
        if (aes_ready || !aes_key_ready) begin
          aes_key_init = 1'b1;
          state_new    = S_IVWAIT;
          state_we     = 1'b1;
        end
      end

      S_IVWAIT: begin
        aes_block = {spi_reg, 64'h0, seq_reg};
        if (aes_key_ready && aes_ready) begin
          aes_start = 1'b1;
          state_new = S_IVRES;
          state_we  = 1'b1;
        end
      end

      S_IVRES: begin
        if (aes_result_valid) begin
          chain_new = aes_result;
          chain_we  = 1'b1;
          cnt_new   = {(WA_W+1){1'b0}};
          cnt_we    = 1'b1;
          state_new = S_ESPHDR;
          state_we  = 1'b1;
        end
      end

      // SPI, SEQ and the IV at the ESP header's place.
      S_ESPHDR: begin
        buf_word_we    = 1'b1;
        buf_word_waddr = esp_w + cnt_reg[WA_W-1:0];
        buf_word_wdata = esp_word;
        cnt_new = cnt_reg + 1'b1;
        cnt_we  = 1'b1;
        if (cnt_reg == 'd5) begin
          avail_new = 'd6;
          avail_we  = 1'b1;
          state_new = S_KEY;
          state_we  = 1'b1;
        end
      end

      S_KEY: begin
        // The HMAC starts on ESP header + IV and follows the ciphertext block by block.
        hmac_start   = (integ != `LM_INTEG_NONE);
        aes_key_init = 1'b1;
        blk_new      = {WA_W{1'b0}};
        blk_we       = 1'b1;
        state_new    = S_KEYWAIT;
        state_we     = 1'b1;
      end

      S_KEYWAIT: begin
        if (aes_key_ready && aes_ready) begin
          cnt_new   = {(WA_W+1){1'b0}};
          cnt_we    = 1'b1;
          state_new = S_LOAD;
          state_we  = 1'b1;
        end
      end

      // Read the payload words of block blk_reg; meanwhile write ciphertext block blk_reg - 1
      // (in chain_reg), behind the reads.
      S_LOAD: begin
        cnt_new = cnt_reg + 1'b1;
        cnt_we  = 1'b1;
        if (cnt_reg < four) begin
          buf_rd_en   = 1'b1;
          buf_rd_addr = pay_w + {blk_reg[WA_W-3:0], 2'b00} + cnt_reg[WA_W-1:0];
          if (blk_reg != {WA_W{1'b0}}) begin
            buf_word_we    = 1'b1;
            buf_word_waddr = ct_w + {blk_reg[WA_W-3:0] - 1'b1, 2'b00} + cnt_reg[WA_W-1:0];
            buf_word_wdata = chain_reg[127 - 32*cnt_reg[1:0] -: 32];
          end
        end
        if (blk_reg != {WA_W{1'b0}} && cnt_reg == four - 1'b1) begin
          avail_new = avail_reg + four;    // the HMAC may read block blk_reg - 1
          avail_we  = 1'b1;
        end
        words_we = (cnt_reg != 0);
        if (cnt_reg == four) begin
          state_new = S_AES;
          state_we  = 1'b1;
        end
      end

      S_AES: begin
        aes_start = 1'b1;
        state_new = S_AESWAIT;
        state_we  = 1'b1;
      end

      S_AESWAIT: begin
        if (aes_result_valid) begin
          chain_new = aes_result;
          chain_we  = 1'b1;
          cnt_new   = {(WA_W+1){1'b0}};
          cnt_we    = 1'b1;
          state_we  = 1'b1;
          if ({{(16-WA_W){1'b0}}, blk_reg} + 16'd1 == nblk) begin
            state_new = S_WRITE;
          end else begin
            // next block: its load writes this one
            blk_new   = blk_reg + 1'b1;
            blk_we    = 1'b1;
            state_new = S_LOAD;
          end
        end
      end

      // Write the last ciphertext block.
      S_WRITE: begin
        buf_word_we    = 1'b1;
        buf_word_waddr = ct_w + {blk_reg[WA_W-3:0], 2'b00} + cnt_reg[WA_W-1:0];
        buf_word_wdata = chain_reg[127 - 32*cnt_reg[1:0] -: 32];
        cnt_new = cnt_reg + 1'b1;
        cnt_we  = 1'b1;
        if (cnt_reg == four - 1'b1) begin
          cnt_new   = {(WA_W+1){1'b0}};
          avail_new = avail_reg + four;
          avail_we  = 1'b1;
          state_new = (integ == `LM_INTEG_NONE) ? S_IPHDR : S_HMAC;
          state_we  = 1'b1;
        end
      end

      // Wait for the HMAC to finish the last block and the outer hash.
      S_HMAC: begin
        if (hmac_fin_reg) begin
          cnt_new   = {(WA_W+1){1'b0}};
          cnt_we    = 1'b1;
          state_new = S_ICVWR;
          state_we  = 1'b1;
        end
      end

      S_ICVWR: begin
        buf_word_we    = 1'b1;
        buf_word_waddr = icv_w + cnt_reg[WA_W-1:0];
        buf_word_wdata = icv_word;
        cnt_new = cnt_reg + 1'b1;
        cnt_we  = 1'b1;
        if (cnt_reg + 1'b1 == {2'b0, icv_bytes[WA_W:2]}) begin
          cnt_new   = {(WA_W+1){1'b0}};
          state_new = S_IPHDR;
          state_we  = 1'b1;
        end
      end

      S_IPHDR: begin
        buf_word_we    = 1'b1;
        buf_word_waddr = cnt_reg[WA_W-1:0];
        buf_word_wdata = hdr_word;
        cnt_new = cnt_reg + 1'b1;
        cnt_we  = 1'b1;
        if (cnt_reg == (udp ? 'd6 : 'd4)) begin
          hdr_valid_new  = 1'b1;
          hdr_valid_we   = 1'b1;
          stat_valid_new = 1'b1;
          ob_issue_new   = 16'h0;
          ob_issue_we    = 1'b1;
          state_new      = S_OUT;
          state_we       = 1'b1;
        end
      end

      S_OUT: begin
        if (ob_issue) begin
          buf_rd_en    = 1'b1;
          buf_rd_addr  = {ob_issue_reg[WA_W-2:0], 1'b0};
          ob_issue_new = ob_issue_reg + 16'd1;
          ob_issue_we  = 1'b1;
        end
        if (ob_issue_reg == out_beats && cred_reg == 3'd0 && !ob_pend_reg && !hdr_valid_reg) begin
          state_new = S_DONE;
          state_we  = 1'b1;
        end
      end

      S_DROP: begin
        hdr_valid_new  = 1'b1;
        hdr_valid_we   = 1'b1;
        stat_valid_new = charged_reg;
        state_new      = S_DONE;
        state_we       = 1'b1;
      end

      S_DONE: begin
        if (!hdr_valid_reg) begin
          cnt_new   = {(WA_W+1){1'b0}};
          cnt_we    = 1'b1;
          state_new = S_RX;
          state_we  = 1'b1;
        end
      end

      default: begin
        state_new = S_RX;
        state_we  = 1'b1;
      end
    endcase
  end

  reg [31:0] icv_word;
  always @* begin : icv_word_logic
    case (cnt_reg[1:0])
      2'd0:    icv_word = hmac_digest[255:224];
      2'd1:    icv_word = hmac_digest[223:192];
      2'd2:    icv_word = hmac_digest[191:160];
      default: icv_word = hmac_digest[159:128];
    endcase
  end

  wire unused_ok = &{1'b0, hmac_ready, hmac_digest, s_hdr_entry, w0_reg, fifo_wr_ready, icv_off,
                     unused_st_a_rdata};

endmodule

`default_nettype wire
