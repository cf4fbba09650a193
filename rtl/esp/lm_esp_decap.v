//======================================================================
// lm_esp_decap.v
// --------------
// ESP decap engine, one lane, store and forward (RFC 4303 transport
// mode, RFC 3948 UDP encapsulation). The reference is the golden
// model's EspEngine::decap: same checks in the same order, same drop
// reasons, same output bytes.
//
// Input: an IPv4 packet (header first, byte 0 in tdata[7:0]) on s_axis
// and, on s_hdr, the SA-table lookup for it (hit, index, the 40 entry
// words). Output: for every packet one m_hdr beat (status); when the
// status is NONE it is followed on m_axis by the restored packet: the
// original IPv4 header with the inner protocol, length and checksum,
// then the inner payload, the inner UDP/TCP checksum fixed from NAT-OA
// (or the UDP checksum zeroed in NAT passthrough).
//
// Order of work: receive into the buffer (and its copy, the HMAC
// bank), read the outer headers, checks (incl. the replay window), then
// HMAC from istate/ostate over the HMAC bank and CBC decrypt in place
// in the packet buffer at the same time; ICV compare once both are
// done, replay window update, pad check, next-header check, checksum
// fix-up, header rewrite, send. Nothing leaves before the ICV
// verified; the verdict order is the golden model's (BAD_ICV before
// BAD_PAD and BAD_NEXT_HEADER).
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_esp_decap #(
    // SA-table entries (the per-SA replay state has as many)
    parameter integer CAPACITY = `LM_SA_CAPACITY,
    // Largest replay window honoured: 2^MAX_WIN_LOG2 packets (5..7)
    parameter integer MAX_WIN_LOG2 = 6,
    // Packet buffer: 2^BEAT_W beats of 8 bytes
    parameter integer BEAT_W = 8,
    // SA index bits
    parameter integer IDX_W = $clog2(CAPACITY)
) (
    input  wire             clk,
    input  wire             rst,

    // IPv4 packet in
    input  wire [63:0]      s_axis_tdata,
    input  wire [7:0]       s_axis_tkeep,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    input  wire             s_axis_tlast,

    // SA lookup result for the packet: hit, index, entry words (word w in bits 32w+31:32w)
    input  wire             s_hdr_valid,
    output wire             s_hdr_ready,
    input  wire             s_hdr_hit,
    input  wire [IDX_W-1:0] s_hdr_index,
    input  wire [32*`LM_SA_WORDS-1:0] s_hdr_entry,

    // Restored packet out (only for status NONE)
    output wire [63:0]      m_axis_tdata,
    output wire [7:0]       m_axis_tkeep,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready,
    output wire             m_axis_tlast,

    // Status, one beat per packet, before its data
    output wire             m_hdr_valid,
    input  wire             m_hdr_ready,
    output wire [`LM_DROP_REASON_W-1:0] m_hdr_reason,
    output wire             m_hdr_sa_valid,   // the packet was charged to an SA
    output wire [IDX_W-1:0] m_hdr_index,
    output wire [31:0]      m_hdr_spi,
    output wire [31:0]      m_hdr_seq,
    output wire [7:0]       m_hdr_next_header,
    output wire [31:0]      m_hdr_src_addr,
    output wire [15:0]      m_hdr_src_port,
    output wire [15:0]      m_hdr_len,        // bytes on m_axis

    // Per-SA stats update (pulse): NONE counts a packet and its inner bytes
    output wire             stat_valid,
    output wire [IDX_W-1:0] stat_index,
    output wire [`LM_DROP_REASON_W-1:0] stat_reason,
    output wire [15:0]      stat_bytes
);

  localparam integer WIN_W = 1 << MAX_WIN_LOG2;
  localparam integer ST_W  = 1 + 8 + 32 + WIN_W;   // replay state: valid, gen, top, bitmap
  localparam integer WA_W  = BEAT_W + 1;            // word address bits
  localparam [15:0]  BUF_BEATS = 16'd1 << BEAT_W;

  localparam [4:0] S_RX      = 5'd0;
  localparam [4:0] S_HDR     = 5'd1;
  localparam [4:0] S_PARSE   = 5'd2;
  localparam [4:0] S_CHECK   = 5'd3;
  localparam [4:0] S_HWAIT   = 5'd4;
  localparam [4:0] S_ICV     = 5'd5;
  localparam [4:0] S_KEY     = 5'd6;
  localparam [4:0] S_KEYWAIT = 5'd7;
  localparam [4:0] S_LOAD    = 5'd8;
  localparam [4:0] S_AES     = 5'd9;
  localparam [4:0] S_AESWAIT = 5'd10;
  localparam [4:0] S_WRITE   = 5'd11;
  localparam [4:0] S_PAD     = 5'd12;
  localparam [4:0] S_VERDICT = 5'd13;
  localparam [4:0] S_FIXRD   = 5'd14;
  localparam [4:0] S_FIXWR   = 5'd15;
  localparam [4:0] S_IPHDR   = 5'd16;
  localparam [4:0] S_OUT     = 5'd17;
  localparam [4:0] S_DROP    = 5'd18;
  localparam [4:0] S_DONE    = 5'd19;

  localparam [7:0]  PROTO_TCP  = 8'd6;
  localparam [7:0]  PROTO_UDP  = 8'd17;
  localparam [7:0]  PROTO_ESP  = 8'd50;
  localparam [7:0]  NH_NONE    = 8'd59;
  localparam [15:0] PORT_NATT  = 16'd4500;

  //----------------------------------------------------------------
  // Registers
  //----------------------------------------------------------------
  reg [4:0]   state_reg;
  reg [4:0]   state_new;
  reg         state_we;

  // receive
  reg [15:0]  beat_reg;          // beats received
  reg [15:0]  in_len_reg;        // bytes received
  reg         ovf_reg;
  reg [31:0]  hsum_all_reg;      // sum of the header's 16-bit words
  reg [31:0]  hsum_keep_reg;     // same without length, protocol, checksum
  reg [3:0]   ver_reg;
  reg [5:0]   ihl_reg;           // header bytes (4 * IHL)
  reg [15:0]  tot_len_reg;
  reg [15:0]  frag_reg;
  reg [7:0]   proto_reg;
  reg [31:0]  src_reg;
  reg [31:0]  dst_reg;

  // SA
  reg         hit_reg;
  reg [IDX_W-1:0] index_reg;
  reg [31:0]  w0_reg;
  reg [31:0]  sa_seq_reg;
  reg [255:0] key_reg;
  reg [255:0] istate_reg;
  reg [255:0] ostate_reg;
  reg [31:0]  natoa_peer_reg;
  reg [31:0]  natoa_local_reg;

  // generic word counter and captured words
  reg [WA_W:0]  cnt_reg;
  reg [WA_W:0]  cnt_new;
  reg           cnt_we;
  reg [127:0]   words_reg;       // last four words read, newest in the low word
  reg           words_we;
  reg           rd_pend_reg;     // a word read was issued last cycle
  reg           rd_pend_new;

  // packet facts
  reg [31:0]  spi_reg;
  reg [31:0]  seq_reg;
  reg [15:0]  sport_reg;
  reg         facts_we;
  reg [WA_W-1:0] blk_reg;        // CBC block index
  reg [WA_W-1:0] blk_new;
  reg         blk_we;
  reg [127:0] chain_reg;
  reg [127:0] chain_new;
  reg         chain_we;
  reg [127:0] pt_reg;
  reg         pt_we;
  reg         hmac_fin_reg;      // the HMAC of this packet is done
  reg         bad_reg;           // ICV or pad mismatch seen
  reg         bad_new;
  reg         bad_we;

  // replay state latched at the check
  reg [31:0]       top_reg;
  reg [WIN_W-1:0]  map_reg;
  reg              replay_we;

  // fix-up
  reg [31:0]  fix_word_reg;

  // output
  reg         hdr_valid_reg;
  reg         hdr_valid_new;
  reg         hdr_valid_we;
  reg [`LM_DROP_REASON_W-1:0] reason_reg;
  reg [`LM_DROP_REASON_W-1:0] reason_new;
  reg         reason_we;
  reg         charged_reg;
  reg         charged_new;
  reg [7:0]   nh_reg;
  reg [15:0]  out_len_reg;
  reg         out_we;
  reg         stat_valid_reg;
  reg         stat_valid_new;
  reg [15:0]  ob_issue_reg;      // output beats read
  reg [15:0]  ob_issue_new;
  reg         ob_issue_we;
  reg [2:0]   cred_reg;          // output beats read, not yet taken
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

  reg  [63:0] in_be;
  integer     bi;
  always @* begin : in_byteswap
    for (bi = 0; bi < 8; bi = bi + 1) in_be[63-8*bi -: 8] = s_axis_tdata[8*bi +: 8];
  end

  lm_esp_buf #(.BEAT_W(BEAT_W)) pbuf (
      .clk(clk),
      .beat_we(buf_beat_we), .beat_addr(beat_reg[BEAT_W-1:0]), .beat_wdata(in_be),
      .word_we(buf_word_we), .word_waddr(buf_word_waddr), .word_wdata(buf_word_wdata),
      .rd_en(buf_rd_en), .rd_word_addr(buf_rd_addr), .rd_beat(buf_rd_beat), .rd_word(buf_rd_word));

  // HMAC bank: a copy of the received packet, read only by the HMAC, so the
  // CBC decryption can overwrite the packet buffer while the HMAC runs.
  wire [WA_W-1:0] hbuf_rd_addr;
  wire            hbuf_rd_en;
  wire [63:0]     unused_hbuf_beat;
  wire [31:0]     hbuf_rd_word;

  lm_esp_buf #(.BEAT_W(BEAT_W)) hbuf (
      .clk(clk),
      .beat_we(buf_beat_we), .beat_addr(beat_reg[BEAT_W-1:0]), .beat_wdata(in_be),
      .word_we(1'b0), .word_waddr({WA_W{1'b0}}), .word_wdata(32'h0),
      .rd_en(hbuf_rd_en), .rd_word_addr(hbuf_rd_addr), .rd_beat(unused_hbuf_beat),
      .rd_word(hbuf_rd_word));

  reg          aes_key_init;
  reg          aes_start;
  wire         aes_key_ready;
  wire         aes_ready;
  wire [127:0] aes_result;
  wire         aes_result_valid;
  wire [2:0]   cipher = w0_reg[`LM_SA_CIPHER_LSB +: `LM_SA_CIPHER_W];
  wire [1:0]   integ  = w0_reg[`LM_SA_INTEG_LSB +: `LM_SA_INTEG_W];
  wire [1:0]   icvl   = w0_reg[`LM_SA_ICV_LEN_LSB +: `LM_SA_ICV_LEN_W];
  wire [1:0]   keylen = (cipher == `LM_CIPHER_AES_CBC_128) ? 2'd0 :
                        (cipher == `LM_CIPHER_AES_CBC_192) ? 2'd1 : 2'd2;

  aes_core aes (
      .clk(clk), .rst(rst),
      .key_init(aes_key_init), .key(key_reg), .keylen(keylen), .key_ready(aes_key_ready),
      .start(aes_start), .encdec(1'b0), .block_in(words_reg),
      .ready(aes_ready), .result(aes_result), .result_valid(aes_result_valid));

  reg            hmac_start;
  wire           hmac_ready;
  wire           hmac_done;
  wire [255:0]   hmac_digest;

  //----------------------------------------------------------------
  // Packet geometry (valid from S_CHECK on)
  //----------------------------------------------------------------
  wire        udp       = (proto_reg == PROTO_UDP);
  wire [15:0] l3_len    = tot_len_reg - {10'h0, ihl_reg};
  // UDP length: word B of the four read after the IPv4 header (A B C D), kept from S_CHECK on
  reg  [15:0] ulen_reg;
  wire [15:0] ulen      = (state_reg == S_CHECK) ? words_reg[95:80] : ulen_reg;
  wire [31:0] pkt_seq   = udp ? words_reg[31:0] : words_reg[95:64];
  wire [15:0] esp_len   = udp ? (ulen - 16'd8) : l3_len;
  wire [15:0] esp_off   = {10'h0, ihl_reg} + (udp ? 16'd8 : 16'd0);
  wire [15:0] icv_bytes = (integ == `LM_INTEG_NONE) ? 16'd0 :
                          (icvl == `LM_ICV_LEN_ICV_128) ? 16'd16 : 16'd12;
  wire [15:0] authed    = esp_len - icv_bytes;   // ESP header + IV + ciphertext
  wire [15:0] ct_len    = authed - 16'd24;
  wire [15:0] nblk      = ct_len >> 4;
  wire [WA_W-1:0] esp_w = esp_off[WA_W+1:2];
  wire [WA_W-1:0] ct_w  = esp_w + 'd6;
  wire [15:0] icv_off   = esp_off + authed;
  wire [WA_W-1:0] icv_w = icv_off[WA_W+1:2];
  wire [WA_W-1:0] ihl_w = {{(WA_W-4){1'b0}}, ihl_reg[5:2]};
  wire [7:0]  pad_len   = pt_reg[15:8];
  wire [7:0]  nh        = pt_reg[7:0];
  wire [15:0] pad_start = ct_len - 16'd2 - {8'h0, pad_len};   // first pad byte in the plaintext
  wire [15:0] pad_abs   = {10'h0, ihl_reg} + pad_start;        // ... in the buffer
  wire [15:0] pad_end   = pad_abs + {8'h0, pad_len};            // one past the last pad byte
  wire [15:0] inner_len = ct_len - 16'd2 - {8'h0, pad_len};
  wire [15:0] out_len   = {10'h0, ihl_reg} + inner_len;

  // Header checksum of the restored packet
  reg [31:0] hs;
  reg [15:0] new_csum;
  reg [31:0] hv;
  always @* begin : ip_csum_logic
    hs = hsum_keep_reg + {16'h0, out_len} + {24'h0, nh};
    hs = {16'h0, hs[15:0]} + {16'h0, hs[31:16]};
    hs = {16'h0, hs[15:0]} + {16'h0, hs[31:16]};
    new_csum = ~hs[15:0];
    hv = {16'h0, hsum_all_reg[15:0]} + {16'h0, hsum_all_reg[31:16]};
    hv = {16'h0, hv[15:0]} + {16'h0, hv[31:16]};
  end
  wire ip_csum_ok = (hv[15:0] == 16'hffff);

  // Replay state, from the RAM unless the slot was (re)installed since
  wire [ST_W-1:0]  st_rdata;
  wire             st_valid = st_rdata[ST_W-1];
  wire [7:0]       st_gen   = st_rdata[ST_W-2 -: 8];
  wire             st_fresh = !st_valid || (st_gen != w0_reg[`LM_SA_GEN_LSB +: `LM_SA_GEN_W]);
  wire [31:0]      cur_top  = st_fresh ? sa_seq_reg : st_rdata[WIN_W +: 32];
  wire [WIN_W-1:0] cur_map  = st_fresh ? {WIN_W{1'b0}} : st_rdata[WIN_W-1:0];
  wire [3:0]       win_cfg  = w0_reg[`LM_SA_REPLAY_WIN_LOG2_LSB +: `LM_SA_REPLAY_WIN_LOG2_W];
  wire [3:0]       win_log2 = (win_cfg < 4'd5) ? 4'd5 :
                              (win_cfg > MAX_WIN_LOG2[3:0]) ? MAX_WIN_LOG2[3:0] : win_cfg;
  wire [31:0]      win_size = 32'd1 << win_log2;
  wire [31:0]      rp_diff  = cur_top - pkt_seq;
  wire             replay_ok = (pkt_seq != 32'd0) &&
                               ((pkt_seq > cur_top) ||
                                ((rp_diff < win_size) && !cur_map[rp_diff[MAX_WIN_LOG2-1:0]]));
  // Window after accepting seq_reg (from the latched state)
  wire [31:0]      up_adv   = seq_reg - top_reg;
  reg  [WIN_W-1:0] up_map;
  reg  [31:0]      up_top;
  wire [31:0]      up_diff  = top_reg - seq_reg;
  always @* begin : replay_update_logic
    up_map = map_reg;
    up_top = top_reg;
    if (seq_reg > top_reg) begin
      up_top = seq_reg;
      if (up_adv >= WIN_W)
        up_map = {{(WIN_W-1){1'b0}}, 1'b1};
      else
        up_map = (map_reg << up_adv[MAX_WIN_LOG2-1:0]) | {{(WIN_W-1){1'b0}}, 1'b1};
    end else begin
      up_map[up_diff[MAX_WIN_LOG2-1:0]] = 1'b1;
    end
  end

  wire [ST_W-1:0] unused_st_a_rdata;
  lm_sa_ram #(.WIDTH(ST_W), .LANES(1), .ADDR_W(IDX_W)) replay_ram (
      .clk(clk),
      .a_en(replay_we), .a_we(replay_we), .a_addr(index_reg),
      .a_wdata({1'b1, w0_reg[`LM_SA_GEN_LSB +: `LM_SA_GEN_W], up_top, up_map}),
      .a_rdata(unused_st_a_rdata),
      .b_en(s_hdr_valid && (state_reg == S_HDR)), .b_addr(s_hdr_index), .b_rdata(st_rdata));

  lm_esp_hmac #(.AW(WA_W)) hmac (
      .clk(clk), .rst(rst),
      .start(hmac_start), .sha256(integ == `LM_INTEG_HMAC_SHA256),
      .istate(istate_reg), .ostate(ostate_reg),
      .base(esp_w), .nwords(authed[WA_W+1:2]), .ready(hmac_ready),
      .avail({1'b0, authed[WA_W+1:2]}),
      .rd_en(hbuf_rd_en), .rd_addr(hbuf_rd_addr), .rd_data(hbuf_rd_word),
      .done(hmac_done), .digest(hmac_digest));

  //----------------------------------------------------------------
  // Verdict of the header checks, in the golden model's order
  //----------------------------------------------------------------
  reg [`LM_DROP_REASON_W-1:0] chk_reason;
  reg                         chk_charged;
  always @* begin : check_logic
    chk_reason  = `LM_DROP_REASON_NONE;
    chk_charged = 1'b0;
    if (ovf_reg)
      chk_reason = `LM_DROP_REASON_NO_BUFFER;
    else if (in_len_reg < 16'd20)
      chk_reason = `LM_DROP_REASON_TRUNCATED;
    else if (ver_reg != 4'd4 || ihl_reg < 6'd20)
      chk_reason = `LM_DROP_REASON_BAD_IP_HEADER;
    else if (in_len_reg < {10'h0, ihl_reg})
      chk_reason = `LM_DROP_REASON_TRUNCATED;
    else if (!ip_csum_ok)
      chk_reason = `LM_DROP_REASON_BAD_IP_CSUM;
    else if (tot_len_reg < {10'h0, ihl_reg})
      chk_reason = `LM_DROP_REASON_BAD_LENGTH;
    else if (tot_len_reg > in_len_reg)
      chk_reason = `LM_DROP_REASON_TRUNCATED;
    else if (frag_reg[13:0] != 14'h0)
      chk_reason = `LM_DROP_REASON_FRAGMENT;
    else if (proto_reg != PROTO_ESP && !udp)
      chk_reason = `LM_DROP_REASON_NOT_ESP;
    else if (udp && l3_len < 16'd8)
      chk_reason = `LM_DROP_REASON_TRUNCATED;
    else if (udp && (ulen < 16'd8 || ulen > l3_len))
      chk_reason = `LM_DROP_REASON_BAD_LENGTH;
    else if (udp && words_reg[111:96] != PORT_NATT)
      chk_reason = `LM_DROP_REASON_NOT_ESP;
    else if (udp && ulen == 16'd9 && words_reg[63:56] == 8'hff)
      chk_reason = `LM_DROP_REASON_NAT_KEEPALIVE;
    else if (udp && ulen >= 16'd12 && words_reg[63:32] == 32'h0)
      chk_reason = `LM_DROP_REASON_NOT_ESP;
    else if (esp_len < 16'd8)
      chk_reason = `LM_DROP_REASON_TRUNCATED;
    else if (!hit_reg)
      chk_reason = `LM_DROP_REASON_UNKNOWN_SPI;
    else begin
      chk_charged = 1'b1;
      if (udp != (w0_reg[`LM_SA_ENCAP_LSB] == `LM_ENCAP_UDP))
        chk_reason = `LM_DROP_REASON_SA_MISMATCH;
      else if (cipher != `LM_CIPHER_AES_CBC_128 && cipher != `LM_CIPHER_AES_CBC_192 &&
               cipher != `LM_CIPHER_AES_CBC_256)
        chk_reason = `LM_DROP_REASON_UNSUPPORTED_SUITE;
      else if (integ == 2'd3 || icvl > `LM_ICV_LEN_ICV_128 ||
               (integ == `LM_INTEG_HMAC_SHA1 && icvl != `LM_ICV_LEN_ICV_96))
        chk_reason = `LM_DROP_REASON_UNSUPPORTED_SUITE;
      else if (esp_len < 16'd40 + icv_bytes)
        chk_reason = `LM_DROP_REASON_TRUNCATED;
      else if (ct_len[3:0] != 4'h0)
        chk_reason = `LM_DROP_REASON_BAD_LENGTH;
      else if (!replay_ok)
        chk_reason = `LM_DROP_REASON_REPLAY;
    end
  end

  //----------------------------------------------------------------
  // Inner transport checksum fix-up (RFC 3948 3.1.2), RFC 1624 eqn. 3
  //----------------------------------------------------------------
  function automatic [15:0] adjust32(input [15:0] c, input [31:0] old_v, input [31:0] new_v);
    reg [19:0] s;
    begin
      s = {4'h0, ~c} + {4'h0, ~old_v[31:16]} + {4'h0, ~old_v[15:0]} +
          {4'h0, new_v[31:16]} + {4'h0, new_v[15:0]};
      s = {4'h0, s[15:0]} + {16'h0, s[19:16]};
      s = {4'h0, s[15:0]} + {16'h0, s[19:16]};
      adjust32 = ~s[15:0];
    end
  endfunction

  wire        fix_tcp   = (nh == PROTO_TCP);
  wire        fix_needed = udp && ((nh == PROTO_UDP && inner_len >= 16'd8) ||
                                   (fix_tcp && inner_len >= 16'd18));
  wire [WA_W-1:0] fix_w = ihl_w + (fix_tcp ? 'd4 : 'd1);
  reg  [15:0] fix_sum;
  reg  [15:0] fix_old;
  reg  [31:0] fix_word;
  always @* begin : fixup_logic
    fix_old = fix_tcp ? fix_word_reg[31:16] : fix_word_reg[15:0];
    fix_sum = fix_old;
    if (!fix_tcp && w0_reg[`LM_SA_NAT_PASSTHROUGH_LSB]) begin
      fix_sum = 16'h0;
    end else if (!(!fix_tcp && fix_old == 16'h0)) begin
      if (natoa_peer_reg != 32'h0) fix_sum = adjust32(fix_sum, natoa_peer_reg, src_reg);
      if (natoa_local_reg != 32'h0) fix_sum = adjust32(fix_sum, natoa_local_reg, dst_reg);
      if (!fix_tcp && fix_sum == 16'h0) fix_sum = 16'hffff;
    end
    fix_word = fix_tcp ? {fix_sum, fix_word_reg[15:0]} : {fix_word_reg[31:16], fix_sum};
  end

  //----------------------------------------------------------------
  // Output stream: beats read from the buffer into a small FIFO
  //----------------------------------------------------------------
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
  wire ob_pop = fifo_rd_valid && m_axis_tready;

  lm_sync_fifo #(.WIDTH(73), .DEPTH_LOG2(2)) out_fifo (
      .clk(clk), .rst(rst),
      .wr_data({ob_last_pend_reg, ob_keep_pend_reg, ob_axis}), .wr_valid(ob_pend_reg),
      .wr_ready(fifo_wr_ready),
      .rd_data(fifo_rd_data), .rd_valid(fifo_rd_valid), .rd_ready(m_axis_tready));

  wire unused_fifo = &{1'b0, fifo_wr_ready};

  assign m_axis_tdata  = fifo_rd_data[63:0];
  assign m_axis_tkeep  = fifo_rd_data[71:64];
  assign m_axis_tlast  = fifo_rd_data[72];
  assign m_axis_tvalid = fifo_rd_valid;

  assign s_axis_tready     = (state_reg == S_RX);
  assign s_hdr_ready       = (state_reg == S_HDR);
  assign m_hdr_valid       = hdr_valid_reg;
  assign m_hdr_reason      = reason_reg;
  assign m_hdr_sa_valid    = charged_reg;
  assign m_hdr_index       = index_reg;
  assign m_hdr_spi         = spi_reg;
  assign m_hdr_seq         = seq_reg;
  assign m_hdr_next_header = nh_reg;
  assign m_hdr_src_addr    = src_reg;
  assign m_hdr_src_port    = sport_reg;
  assign m_hdr_len         = (reason_reg == `LM_DROP_REASON_NONE) ? out_len_reg : 16'h0;
  assign stat_valid        = stat_valid_reg;
  assign stat_index        = index_reg;
  assign stat_reason       = reason_reg;
  assign stat_bytes        = out_len_reg - {10'h0, ihl_reg};

  //----------------------------------------------------------------
  // Header sums over one received beat
  //----------------------------------------------------------------
  reg [5:0]  beat_ihl;
  reg [31:0] beat_sum_all;
  reg [31:0] beat_sum_keep;
  reg [15:0] hw;
  reg [15:0] hj;
  integer    wi;
  always @* begin : rx_sum_logic
    beat_ihl = (beat_reg == 16'd0) ? {in_be[59:56], 2'b00} : ihl_reg;
    beat_sum_all  = 32'h0;
    beat_sum_keep = 32'h0;
    for (wi = 0; wi < 4; wi = wi + 1) begin
      hw = in_be[63-16*wi -: 16];
      hj = {beat_reg[13:0], 2'b00} + wi[15:0];      // 16-bit word index in the packet
      if ({hj[14:0], 1'b0} < {10'h0, beat_ihl} && s_axis_tkeep[2*wi]) begin
        beat_sum_all = beat_sum_all + {16'h0, hw};
        if (hj == 16'd4)
          beat_sum_keep = beat_sum_keep + {16'h0, hw[15:8], 8'h0};
        else if (hj != 16'd1 && hj != 16'd5)
          beat_sum_keep = beat_sum_keep + {16'h0, hw};
      end
    end
  end

  reg [3:0] keep_count;
  integer   ki;
  always @* begin : keep_count_logic
    keep_count = 4'd0;
    for (ki = 0; ki < 8; ki = ki + 1) keep_count = keep_count + {3'h0, s_axis_tkeep[ki]};
  end

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  wire rx_beat = s_axis_tvalid && (state_reg == S_RX);

  always @(posedge clk) begin : reg_update
    if (rst) begin
      state_reg        <= S_RX;
      beat_reg         <= 16'h0;
      in_len_reg       <= 16'h0;
      ovf_reg          <= 1'b0;
      hsum_all_reg     <= 32'h0;
      hsum_keep_reg    <= 32'h0;
      ver_reg          <= 4'h0;
      ihl_reg          <= 6'h0;
      tot_len_reg      <= 16'h0;
      frag_reg         <= 16'h0;
      proto_reg        <= 8'h0;
      src_reg          <= 32'h0;
      dst_reg          <= 32'h0;
      hit_reg          <= 1'b0;
      index_reg        <= {IDX_W{1'b0}};
      w0_reg           <= 32'h0;
      sa_seq_reg       <= 32'h0;
      key_reg          <= 256'h0;
      istate_reg       <= 256'h0;
      ostate_reg       <= 256'h0;
      natoa_peer_reg   <= 32'h0;
      natoa_local_reg  <= 32'h0;
      cnt_reg          <= {(WA_W+1){1'b0}};
      words_reg        <= 128'h0;
      rd_pend_reg      <= 1'b0;
      spi_reg          <= 32'h0;
      seq_reg          <= 32'h0;
      sport_reg        <= 16'h0;
      ulen_reg         <= 16'h0;
      blk_reg          <= {WA_W{1'b0}};
      chain_reg        <= 128'h0;
      pt_reg           <= 128'h0;
      hmac_fin_reg     <= 1'b0;
      bad_reg          <= 1'b0;
      top_reg          <= 32'h0;
      map_reg          <= {WIN_W{1'b0}};
      fix_word_reg     <= 32'h0;
      hdr_valid_reg    <= 1'b0;
      reason_reg       <= `LM_DROP_REASON_NONE;
      charged_reg      <= 1'b0;
      nh_reg           <= 8'h0;
      out_len_reg      <= 16'h0;
      stat_valid_reg   <= 1'b0;
      ob_issue_reg     <= 16'h0;
      cred_reg         <= 3'h0;
      ob_pend_reg      <= 1'b0;
      ob_last_pend_reg <= 1'b0;
      ob_keep_pend_reg <= 8'h0;
    end else begin
      if (state_we) state_reg <= state_new;

      // receive
      if (rx_beat) begin
        beat_reg      <= beat_reg + 16'd1;
        in_len_reg    <= in_len_reg + {12'h0, keep_count};
        hsum_all_reg  <= hsum_all_reg + beat_sum_all;
        hsum_keep_reg <= hsum_keep_reg + beat_sum_keep;
        if (beat_reg >= BUF_BEATS) ovf_reg <= 1'b1;
        if (beat_reg == 16'd0) begin
          ver_reg     <= in_be[63:60];
          ihl_reg     <= {in_be[59:56], 2'b00};
          tot_len_reg <= in_be[47:32];
          frag_reg    <= in_be[15:0];
        end
        if (beat_reg == 16'd1) begin
          proto_reg <= in_be[55:48];
          src_reg   <= in_be[31:0];
        end
        if (beat_reg == 16'd2) dst_reg <= in_be[63:32];
      end
      if (state_reg == S_DONE) begin
        beat_reg      <= 16'h0;
        in_len_reg    <= 16'h0;
        ovf_reg       <= 1'b0;
        hsum_all_reg  <= 32'h0;
        hsum_keep_reg <= 32'h0;
        ver_reg       <= 4'h0;
        ihl_reg       <= 6'h0;
        tot_len_reg   <= 16'h0;
        frag_reg      <= 16'h0;
        proto_reg     <= 8'h0;
        src_reg       <= 32'h0;
        dst_reg       <= 32'h0;
      end

      if (s_hdr_valid && state_reg == S_HDR) begin
        hit_reg         <= s_hdr_hit;
        index_reg       <= s_hdr_index;
        w0_reg          <= s_hdr_entry[32*0 +: 32];
        sa_seq_reg      <= s_hdr_entry[32*`LM_SA_SEQ_WORD +: 32];
        natoa_peer_reg  <= s_hdr_entry[32*`LM_SA_NATOA_PEER_WORD +: 32];
        natoa_local_reg <= s_hdr_entry[32*`LM_SA_NATOA_LOCAL_WORD +: 32];
        key_reg         <= words8(s_hdr_entry[32*`LM_SA_KEY_WORD +: 256]);
        istate_reg      <= words8(s_hdr_entry[32*`LM_SA_HMAC_ISTATE_WORD +: 256]);
        ostate_reg      <= words8(s_hdr_entry[32*`LM_SA_HMAC_OSTATE_WORD +: 256]);
      end

      if (cnt_we) cnt_reg <= cnt_new;
      rd_pend_reg <= rd_pend_new;
      if (words_we) words_reg <= {words_reg[95:0], buf_rd_word};
      if (facts_we) begin
        sport_reg <= udp ? words_reg[127:112] : 16'h0;
        ulen_reg  <= words_reg[95:80];
        spi_reg   <= udp ? words_reg[63:32] : words_reg[127:96];
        seq_reg   <= udp ? words_reg[31:0] : words_reg[95:64];
        top_reg   <= cur_top;
        map_reg   <= cur_map;
      end
      if (blk_we) blk_reg <= blk_new;
      if (chain_we) chain_reg <= chain_new;
      if (pt_we) pt_reg <= aes_result ^ chain_reg;
      if (state_reg == S_CHECK) pt_reg <= 128'h0;
      if (bad_we) bad_reg <= bad_new;
      if (hmac_start) hmac_fin_reg <= 1'b0;
      else if (hmac_done) hmac_fin_reg <= 1'b1;
      if (state_reg == S_FIXRD && rd_pend_reg) fix_word_reg <= buf_rd_word;

      if (hdr_valid_we) hdr_valid_reg <= hdr_valid_new;
      if (reason_we) begin
        reason_reg  <= reason_new;
        charged_reg <= charged_new;
      end
      if (out_we) begin
        nh_reg      <= nh;
        out_len_reg <= out_len;
      end
      stat_valid_reg <= stat_valid_new;

      if (ob_issue_we) ob_issue_reg <= ob_issue_new;
      ob_pend_reg      <= (state_reg == S_OUT) && (ob_issue_reg < out_beats) && (cred_reg < 3'd4);
      ob_last_pend_reg <= (ob_issue_reg + 16'd1 == out_beats);
      ob_keep_pend_reg <= ((ob_issue_reg + 16'd1 == out_beats) && out_tail != 3'd0) ?
                          ((8'd1 << out_tail) - 8'd1) : 8'hff;
      cred_reg <= cred_reg +
                  (((state_reg == S_OUT) && (ob_issue_reg < out_beats) && (cred_reg < 3'd4)) ?
                   3'd1 : 3'd0) - (ob_pop ? 3'd1 : 3'd0);
    end
  end

  // Entry words k..k+7 (word k in the low bits of the slice) to a 256-bit value, word k on top.
  function automatic [255:0] words8(input [255:0] w);
    integer k;
    begin
      for (k = 0; k < 8; k = k + 1) words8[255-32*k -: 32] = w[32*k +: 32];
    end
  endfunction

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
    rd_pend_new    = 1'b0;
    facts_we       = 1'b0;
    blk_new        = blk_reg;
    blk_we         = 1'b0;
    chain_new      = chain_reg;
    chain_we       = 1'b0;
    pt_we          = 1'b0;
    bad_new        = bad_reg;
    bad_we         = 1'b0;
    replay_we      = 1'b0;
    hdr_valid_new  = hdr_valid_reg;
    hdr_valid_we   = 1'b0;
    reason_new     = reason_reg;
    charged_new    = charged_reg;
    reason_we      = 1'b0;
    out_we         = 1'b0;
    stat_valid_new = 1'b0;
    ob_issue_new   = ob_issue_reg;
    ob_issue_we    = 1'b0;
    buf_beat_we    = 1'b0;
    buf_word_we    = 1'b0;
    buf_word_waddr = {WA_W{1'b0}};
    buf_word_wdata = 32'h0;
    buf_rd_en      = 1'b0;
    buf_rd_addr    = {WA_W{1'b0}};
    aes_key_init   = 1'b0;
    aes_start      = 1'b0;
    hmac_start     = 1'b0;

    if (hdr_valid_reg && m_hdr_ready) begin
      hdr_valid_new = 1'b0;
      hdr_valid_we  = 1'b1;
    end

    case (state_reg)
      S_RX: begin
        if (s_axis_tvalid) begin
          buf_beat_we = (beat_reg < BUF_BEATS);
          if (s_axis_tlast) begin
            state_new = S_HDR;
            state_we  = 1'b1;
          end
        end
      end

      S_HDR: begin
        if (s_hdr_valid) begin
          cnt_new   = {(WA_W+1){1'b0}};
          cnt_we    = 1'b1;
          state_new = S_PARSE;
          state_we  = 1'b1;
        end
      end

      // Read the four words after the IPv4 header: UDP header + SPI + SEQ, or SPI + SEQ + 2.
      S_PARSE: begin
        cnt_new = cnt_reg + 1'b1;
        cnt_we  = 1'b1;
        if (cnt_reg < four) begin
          buf_rd_en   = 1'b1;
          buf_rd_addr = ihl_w + cnt_reg[WA_W-1:0];
        end
        words_we = (cnt_reg != 0);
        if (cnt_reg == four) begin
          state_new = S_CHECK;
          state_we  = 1'b1;
        end
      end

      S_CHECK: begin
        facts_we    = 1'b1;
        reason_new  = chk_reason;
        charged_new = chk_charged;
        reason_we   = 1'b1;
        state_we    = 1'b1;
        if (chk_reason != `LM_DROP_REASON_NONE) begin
          state_new = S_DROP;
        end else begin
          // HMAC (over the HMAC bank) and CBC (in the packet buffer) run together.
          hmac_start = (integ != `LM_INTEG_NONE);
          state_new  = S_KEY;
        end
      end

      // All blocks decrypted: wait for the HMAC, then compare the ICV.
      S_HWAIT: begin
        cnt_new = {(WA_W+1){1'b0}};
        if (integ == `LM_INTEG_NONE) begin
          replay_we = 1'b1;    // no ICV: move the window
          cnt_we    = 1'b1;
          bad_new   = ({8'h0, pad_len} + 16'd2 > ct_len);
          bad_we    = 1'b1;
          state_new = S_PAD;
          state_we  = 1'b1;
        end else if (hmac_fin_reg) begin
          cnt_we    = 1'b1;
          bad_new   = 1'b0;
          bad_we    = 1'b1;
          state_new = S_ICV;
          state_we  = 1'b1;
        end
      end

      // Compare the ICV words with the digest.
      S_ICV: begin
        cnt_new = cnt_reg + 1'b1;
        cnt_we  = 1'b1;
        if (cnt_reg < {2'b0, icv_bytes[WA_W:2]}) begin
          buf_rd_en   = 1'b1;
          buf_rd_addr = icv_w + cnt_reg[WA_W-1:0];
        end
        if (cnt_reg != 0 && buf_rd_word != icv_expect) begin
          bad_new = 1'b1;
          bad_we  = 1'b1;
        end
        if (cnt_reg == {2'b0, icv_bytes[WA_W:2]}) begin
          state_we = 1'b1;
          if (bad_new) begin
            reason_new = `LM_DROP_REASON_BAD_ICV;
            reason_we  = 1'b1;
            state_new  = S_DROP;
          end else begin
            replay_we = 1'b1;    // the ICV verified: move the window
            bad_new   = ({8'h0, pad_len} + 16'd2 > ct_len);
            bad_we    = 1'b1;
            cnt_new   = {(WA_W+1){1'b0}};
            state_new = S_PAD;
          end
        end
      end

      S_KEY: begin
        if (aes_ready || !aes_key_ready) begin
          aes_key_init = 1'b1;
          cnt_new      = {(WA_W+1){1'b0}};
          cnt_we       = 1'b1;
          blk_new      = {WA_W{1'b0}};
          blk_we       = 1'b1;
          state_new    = S_KEYWAIT;
          state_we     = 1'b1;
        end
      end

      // Load the IV into the chain register while the key expands.
      S_KEYWAIT: begin
        if (cnt_reg < four) begin
          buf_rd_en   = 1'b1;
          buf_rd_addr = esp_w + 'd2 + cnt_reg[WA_W-1:0];
          cnt_new     = cnt_reg + 1'b1;
          cnt_we      = 1'b1;
        end else if (cnt_reg == four) begin
          cnt_new = cnt_reg + 1'b1;
          cnt_we  = 1'b1;
        end
        words_we = (cnt_reg != 0) && (cnt_reg <= four);
        if (cnt_reg > four && aes_key_ready && aes_ready) begin
          chain_new = words_reg;
          chain_we  = 1'b1;
          cnt_new   = {(WA_W+1){1'b0}};
          cnt_we    = 1'b1;
          state_new = S_LOAD;
          state_we  = 1'b1;
        end
      end

      // Read ciphertext block blk_reg; meanwhile write plaintext block blk_reg - 1 (in pt_reg)
      // over the headers: plaintext byte k at buffer byte ihl + k, behind the reads.
      S_LOAD: begin
        cnt_new = cnt_reg + 1'b1;
        cnt_we  = 1'b1;
        if (cnt_reg < four) begin
          buf_rd_en   = 1'b1;
          buf_rd_addr = ct_w + {blk_reg[WA_W-3:0], 2'b00} + cnt_reg[WA_W-1:0];
          if (blk_reg != {WA_W{1'b0}}) begin
            buf_word_we    = 1'b1;
            buf_word_waddr = ihl_w + {blk_reg[WA_W-3:0] - 1'b1, 2'b00} + cnt_reg[WA_W-1:0];
            buf_word_wdata = pt_reg[127 - 32*cnt_reg[1:0] -: 32];
          end
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
          pt_we     = 1'b1;
          chain_new = words_reg;
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

      // Write the last plaintext block.
      S_WRITE: begin
        buf_word_we    = 1'b1;
        buf_word_waddr = ihl_w + {blk_reg[WA_W-3:0], 2'b00} + cnt_reg[WA_W-1:0];
        buf_word_wdata = pt_reg[127 - 32*cnt_reg[1:0] -: 32];
        cnt_new = cnt_reg + 1'b1;
        cnt_we  = 1'b1;
        if (cnt_reg == four - 1'b1) begin
          cnt_new   = {(WA_W+1){1'b0}};
          state_new = S_HWAIT;
          state_we  = 1'b1;
        end
      end

      // Check the padding bytes 1, 2, 3, ... word by word.
      S_PAD: begin
        // cnt_reg counts words from the one holding the first pad byte
        if (!bad_reg && pad_len != 8'h0 &&
            {pad_abs[15:2] + {{(14-WA_W-1){1'b0}}, cnt_reg}, 2'b00} < pad_end) begin
          buf_rd_en   = 1'b1;
          buf_rd_addr = pad_abs[WA_W+1:2] + cnt_reg[WA_W-1:0];
          rd_pend_new = 1'b1;
          cnt_new     = cnt_reg + 1'b1;
          cnt_we      = 1'b1;
        end else if (!rd_pend_reg) begin
          state_new = S_VERDICT;
          state_we  = 1'b1;
        end
        if (rd_pend_reg && pad_byte_bad) begin
          bad_new = 1'b1;
          bad_we  = 1'b1;
        end
      end

      S_VERDICT: begin
        out_we   = 1'b1;
        state_we = 1'b1;
        cnt_new  = {(WA_W+1){1'b0}};
        cnt_we   = 1'b1;
        if (bad_reg) begin
          reason_new = `LM_DROP_REASON_BAD_PAD;
          reason_we  = 1'b1;
          state_new  = S_DROP;
        end else if (nh == NH_NONE) begin
          reason_new = `LM_DROP_REASON_BAD_NEXT_HEADER;
          reason_we  = 1'b1;
          state_new  = S_DROP;
        end else if (fix_needed) begin
          state_new = S_FIXRD;
        end else begin
          state_new = S_IPHDR;
        end
      end

      S_FIXRD: begin
        if (!rd_pend_reg) begin
          buf_rd_en   = 1'b1;
          buf_rd_addr = fix_w;
          rd_pend_new = 1'b1;
        end else begin
          state_new = S_FIXWR;
          state_we  = 1'b1;
        end
      end

      S_FIXWR: begin
        buf_word_we    = 1'b1;
        buf_word_waddr = fix_w;
        buf_word_wdata = fix_word;
        cnt_new        = {(WA_W+1){1'b0}};
        cnt_we         = 1'b1;
        state_new      = S_IPHDR;
        state_we       = 1'b1;
      end

      // Rewrite total length (word 0) and protocol + checksum (word 2).
      S_IPHDR: begin
        cnt_new = cnt_reg + 1'b1;
        cnt_we  = 1'b1;
        if (cnt_reg == 0) begin
          buf_rd_en   = 1'b1;
          buf_rd_addr = {WA_W{1'b0}};
        end else if (cnt_reg == 1) begin
          buf_rd_en   = 1'b1;
          buf_rd_addr = 'd2;
          buf_word_we    = 1'b1;
          buf_word_waddr = {WA_W{1'b0}};
          buf_word_wdata = {buf_rd_word[31:16], out_len_reg};
        end else begin
          buf_word_we    = 1'b1;
          buf_word_waddr = 'd2;
          buf_word_wdata = {buf_rd_word[31:24], nh_reg, new_csum};
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
        if (ob_issue_reg < out_beats && cred_reg < 3'd4) begin
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
        out_we         = 1'b1;
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

  // Pad bytes in the word read last cycle: byte at buffer address a must be a - pad_abs + 1.
  reg        pad_byte_bad;
  reg [15:0] pa;
  reg [WA_W:0] pad_prev_cnt;
  integer    pj;
  always @* begin : pad_check_logic
    pad_byte_bad = 1'b0;
    pad_prev_cnt = cnt_reg - 1'b1;
    for (pj = 0; pj < 4; pj = pj + 1) begin
      pa = {pad_abs[15:2] + {{(14-WA_W-1){1'b0}}, pad_prev_cnt}, 2'b00} + pj[15:0];
      if (pa >= pad_abs && pa < pad_end &&
          buf_rd_word[31-8*pj -: 8] != pa[7:0] - pad_abs[7:0] + 8'd1)
        pad_byte_bad = 1'b1;
    end
  end

  // The digest word the ICV word read last cycle must equal.
  reg [31:0] icv_expect;
  always @* begin : icv_expect_logic
    case (cnt_reg[1:0])
      2'd1:    icv_expect = hmac_digest[255:224];
      2'd2:    icv_expect = hmac_digest[223:192];
      2'd3:    icv_expect = hmac_digest[191:160];
      default: icv_expect = hmac_digest[159:128];
    endcase
  end

  // Entry words and header bits this engine does not look at.
  wire unused_ok = &{1'b0, hmac_ready, hmac_digest, s_hdr_entry, frag_reg, w0_reg, icv_off, up_diff};

endmodule

`default_nettype wire
