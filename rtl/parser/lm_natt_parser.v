//======================================================================
// lm_natt_parser.v
// ----------------
// NAT-T UDP-encapsulation parser and classifier of the line module's
// ingress path. Takes Ethernet II frames (no FCS) on a 64-bit AXI-Stream,
// passes every byte through unchanged on m_axis_*, and issues one beat
// per frame on the header channel m_axis_meta_* with the frame's class,
// drop reason, payload position, addresses and ports: the verdict of
// the golden classifier (sim/golden/src/classify.cpp), frame for frame.
//
// The IPv4 header checksum and, for IKE, IKE_NATT and L2TP_CLEAR, the
// UDP checksum (pseudo-header and whole datagram, Ethernet padding
// excluded) are summed beat by beat while the frame streams past, so
// the verdict follows the last beat after a fixed three-stage pipeline:
//   stage 1  (beat accepted): field capture, masked per-beat sums
//   stage 2: one's-complement accumulation; header rules
//   stage 3: checksum fold and final verdict into the meta FIFO
//
// Byte order: frame byte 8*k+i of beat k is in s_axis_tdata[8*i+7:8*i]
// (AXI/Corundum lane order). tkeep is contiguous from lane 0 and all
// ones except on the last beat of a frame.
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_natt_parser #(
  // log2 of the meta FIFO depth. At most 2^META_DEPTH_LOG2 frames may
  // have a verdict pending (last beat taken, meta not yet accepted)
  // before s_axis_tready drops. 3 (8 frames) keeps one-beat frames at
  // one per clock with m_axis_meta_tready high.
  parameter META_DEPTH_LOG2 = 3
) (
  input  wire                         clk,
  input  wire                         rst,

  // Do not check UDP checksums (CONTROL.NAT_PASSTHROUGH); sampled with
  // each frame's last beat.
  input  wire                         nat_passthrough,

  // The counters are ready to count (low while they clear after reset);
  // no beat is taken while it is low.
  input  wire                         stat_ready,

  // Ingress frames.
  input  wire [63:0]                  s_axis_tdata,
  input  wire [7:0]                   s_axis_tkeep,
  input  wire                         s_axis_tvalid,
  output wire                         s_axis_tready,
  input  wire                         s_axis_tlast,

  // The same frames, byte for byte.
  output wire [63:0]                  m_axis_tdata,
  output wire [7:0]                   m_axis_tkeep,
  output wire                         m_axis_tvalid,
  input  wire                         m_axis_tready,
  output wire                         m_axis_tlast,

  // Header channel: one beat per frame, in frame order.
  output wire                         m_axis_meta_tvalid,
  input  wire                         m_axis_meta_tready,
  output wire [`LM_PKT_CLASS_W-1:0]   m_axis_meta_pkt_class,
  output wire [`LM_DROP_REASON_W-1:0] m_axis_meta_drop_reason,
  output wire [15:0]                  m_axis_meta_payload_offset,
  output wire [15:0]                  m_axis_meta_payload_length,
  output wire [31:0]                  m_axis_meta_src_addr,
  output wire [31:0]                  m_axis_meta_dst_addr,
  output wire [15:0]                  m_axis_meta_src_port,
  output wire [15:0]                  m_axis_meta_dst_port,
  output wire [15:0]                  m_axis_meta_frame_len,

  // One pulse per verdict, for the counters.
  output wire                         stat_valid,
  output wire [`LM_PKT_CLASS_W-1:0]   stat_pkt_class,
  output wire [`LM_DROP_REASON_W-1:0] stat_drop_reason
);

  //----------------------------------------------------------------
  // Protocol constants (not in the register map).
  //----------------------------------------------------------------
  localparam [15:0] ETHERTYPE_IPV4     = 16'h0800;
  localparam [15:0] ETH_HDR_LEN        = 16'd14;
  localparam [15:0] ETH_IP_MIN_LEN     = 16'd34;   // Ethernet + 20-byte IPv4 header
  localparam [3:0]  IP_VERSION_4       = 4'd4;
  localparam [3:0]  IP_IHL_MIN         = 4'd5;
  localparam [15:0] IP_HDR_MIN_LEN     = 16'd20;
  localparam [7:0]  IP_PROTO_UDP       = 8'd17;
  localparam [7:0]  IP_PROTO_ESP       = 8'd50;
  localparam [13:0] IP_FRAG_NONE       = 14'd0;    // MF clear, offset 0
  localparam [15:0] UDP_HDR_LEN        = 16'd8;
  localparam [15:0] ESP_HDR_MIN_LEN    = 16'd8;    // SPI and sequence number
  localparam [15:0] NON_ESP_MARKER_LEN = 16'd4;
  localparam [15:0] PORT_IKE           = 16'd500;
  localparam [15:0] PORT_NATT          = 16'd4500;
  localparam [15:0] PORT_L2TP          = 16'd1701;
  localparam [7:0]  NATT_KEEPALIVE     = 8'hff;
  localparam [15:0] L4_OFFSET          = 16'd34;   // UDP or ESP header, IHL 5
  localparam [15:0] UDP_BODY_OFFSET    = 16'd42;
  localparam [15:0] CSUM_GOOD          = 16'hffff; // folded sum of a correct datagram

  // Beats that carry header fields (8 bytes per beat).
  localparam [3:0] BEAT_ETH_TYPE = 4'd1;  // bytes 12..13 ethertype, 14 version/IHL
  localparam [3:0] BEAT_IP_LEN   = 4'd2;  // 16..17 total length, 20..21 flags/offset, 23 protocol
  localparam [3:0] BEAT_IP_ADDR  = 4'd3;  // 26..29 source, 30..31 destination (high)
  localparam [3:0] BEAT_UDP_HDR  = 4'd4;  // 32..33 destination (low), 34..39 UDP header
  localparam [3:0] BEAT_UDP_BODY = 4'd5;  // 40..41 UDP checksum, 42..45 first body bytes
  localparam [3:0] BEAT_MAX      = 4'd15; // the beat index saturates here

  localparam [META_DEPTH_LOG2:0] META_DEPTH = {1'b1, {META_DEPTH_LOG2{1'b0}}};

  localparam META_WIDTH = `LM_PKT_CLASS_W + `LM_DROP_REASON_W + 16 * 2 + 32 * 2 + 16 * 3;

  //----------------------------------------------------------------
  // Functions.
  //----------------------------------------------------------------
  // Lanes 0..rem-1 of a beat (all eight for rem >= 8).
  function [7:0] lanes_below(input [15:0] rem);
    integer i;
    begin
      for (i = 0; i < 8; i = i + 1)
        lanes_below[i] = rem > i[15:0];
    end
  endfunction

  // Sum of the four big-endian 16-bit words of a beat, bytes outside
  // mask zeroed. Beats start at even frame offsets, so lane 2i is the
  // high byte of word i.
  function [18:0] beat_sum(input [63:0] d, input [7:0] m);
    integer i;
    begin
      beat_sum = 19'd0;
      for (i = 0; i < 4; i = i + 1)
        beat_sum = beat_sum + {3'd0, d[16 * i +: 8] & {8{m[2 * i]}},
                               d[16 * i + 8 +: 8] & {8{m[2 * i + 1]}}};
    end
  endfunction

  // Number of bytes of a beat (tkeep contiguous from lane 0).
  function [3:0] keep_bytes(input [7:0] keep);
    integer i;
    begin
      keep_bytes = 4'd0;
      for (i = 0; i < 8; i = i + 1)
        keep_bytes = keep_bytes + {3'd0, keep[i]};
    end
  endfunction

  // One's-complement fold of a 32-bit sum to 16 bits.
  function [15:0] fold(input [31:0] sum);
    reg [16:0] once;
    begin
      once = {1'b0, sum[31:16]} + {1'b0, sum[15:0]};
      fold = once[15:0] + {15'd0, once[16]};
    end
  endfunction

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  // Stage 1: position in the frame and captured header fields.
  reg        mid_reg;          // the next beat is not the first of a frame
  reg        mid_new;
  reg [3:0]  beat_idx_reg;     // index of the next beat, saturating
  reg [3:0]  beat_idx_new;
  reg [15:0] len_reg;          // bytes taken so far in this frame, saturating
  reg [15:0] len_new;
  reg [15:0] ip_rem_reg;       // IPv4 header bytes after the current beat
  reg [15:0] ip_rem_new;
  reg [15:0] udp_rem_reg;      // UDP datagram bytes after the current beat
  reg [15:0] udp_rem_new;
  reg        pos_we;

  reg [15:0] ethertype_reg;
  reg [7:0]  ver_ihl_reg;
  reg [15:0] total_len_reg;
  reg [13:0] frag_reg;         // MF and fragment offset
  reg [7:0]  proto_reg;
  reg [31:0] src_addr_reg;
  reg [15:0] dst_addr_hi_reg;
  reg [15:0] dst_addr_lo_reg;
  reg [15:0] src_port_reg;
  reg [15:0] dst_port_reg;
  reg [15:0] udp_len_reg;
  reg [15:0] udp_csum_reg;
  reg [31:0] body_reg;         // first four bytes after the UDP header
  reg        beat1_we;
  reg        beat2_we;
  reg        beat3_we;
  reg        beat4_we;
  reg        beat5_we;

  // Stage 1 -> 2: per-beat sums.
  reg        p2_valid_reg;
  reg        p2_first_reg;
  reg        p2_last_reg;
  reg [18:0] p2_ip_sum_reg;
  reg [18:0] p2_ip_sum_new;
  reg [18:0] p2_udp_sum_reg;
  reg [18:0] p2_udp_sum_new;

  // Stage 1 -> 2: header snapshot of a frame whose last beat was taken.
  reg [15:0] s2_len_reg;
  reg [15:0] s2_ethertype_reg;
  reg [7:0]  s2_ver_ihl_reg;
  reg [15:0] s2_total_len_reg;
  reg [13:0] s2_frag_reg;
  reg [7:0]  s2_proto_reg;
  reg [31:0] s2_src_addr_reg;
  reg [31:0] s2_dst_addr_reg;
  reg [15:0] s2_src_port_reg;
  reg [15:0] s2_dst_port_reg;
  reg [15:0] s2_udp_len_reg;
  reg [15:0] s2_udp_csum_reg;
  reg [31:0] s2_body_reg;
  reg        s2_passthrough_reg;
  reg        s2_we;

  // Stage 2: running sums.
  reg [31:0] ip_acc_reg;
  reg [31:0] ip_acc_new;
  reg [31:0] udp_acc_reg;
  reg [31:0] udp_acc_new;

  // Stage 2 -> 3: verdict before the checksums, and the final sums.
  reg                         s3_valid_reg;
  reg                         s3_valid_new;
  reg                         s3_we;
  reg [31:0]                  s3_ip_acc_reg;
  reg [31:0]                  s3_udp_acc_reg;
  reg                         s3_ip_check_reg;
  reg                         s3_udp_check_reg;
  reg [`LM_PKT_CLASS_W-1:0]   s3_class_reg;
  reg [`LM_DROP_REASON_W-1:0] s3_reason_reg;
  reg [15:0]                  s3_offset_reg;
  reg [15:0]                  s3_length_reg;
  reg [31:0]                  s3_src_addr_reg;
  reg [31:0]                  s3_dst_addr_reg;
  reg [15:0]                  s3_src_port_reg;
  reg [15:0]                  s3_dst_port_reg;
  reg [15:0]                  s3_frame_len_reg;

  // Frames whose last beat was taken and whose meta was not yet taken.
  reg [META_DEPTH_LOG2:0] pending_reg;
  reg [META_DEPTH_LOG2:0] pending_new;
  reg                     pending_we;

  //----------------------------------------------------------------
  // Wires.
  //----------------------------------------------------------------
  // Header rules on the stage-2 snapshot (pv_: pre-verdict).
  reg                         pv_ip_check;
  reg                         pv_udp_check;
  reg [`LM_PKT_CLASS_W-1:0]   pv_class;
  reg [`LM_DROP_REASON_W-1:0] pv_reason;
  reg [15:0]                  pv_offset;
  reg [15:0]                  pv_length;
  reg                         pv_addr_valid;
  reg                         pv_port_valid;

  // Final verdict in stage 3.
  reg [`LM_PKT_CLASS_W-1:0]   v_class;
  reg [`LM_DROP_REASON_W-1:0] v_reason;
  reg [15:0]                  v_offset;
  reg [15:0]                  v_length;
  reg [31:0]                  v_src_addr;
  reg [31:0]                  v_dst_addr;
  reg [15:0]                  v_src_port;
  reg [15:0]                  v_dst_port;

  wire                        accept_ok = stat_ready && (pending_reg < META_DEPTH);
  wire                        pass_s_ready;
  wire                        in_fire   = s_axis_tvalid && s_axis_tready;
  wire                        meta_fire = m_axis_meta_tvalid && m_axis_meta_tready;
  wire [META_WIDTH-1:0]       meta_data;
  wire                        meta_fifo_wr_ready;

  assign s_axis_tready = pass_s_ready && accept_ok;

  assign stat_valid       = s3_valid_reg;
  assign stat_pkt_class   = v_class;
  assign stat_drop_reason = v_reason;

  //----------------------------------------------------------------
  // Stage 1: the beat being taken.
  //----------------------------------------------------------------
  wire        in_first = !mid_reg;
  wire [3:0]  in_idx   = in_first ? 4'd0 : beat_idx_reg;
  wire [15:0] in_off   = in_first ? 16'd0 : len_reg;   // frame bytes before this beat

  wire [7:0] b0 = s_axis_tdata[7:0];
  wire [7:0] b1 = s_axis_tdata[15:8];
  wire [7:0] b2 = s_axis_tdata[23:16];
  wire [7:0] b3 = s_axis_tdata[31:24];
  wire [7:0] b4 = s_axis_tdata[39:32];
  wire [7:0] b5 = s_axis_tdata[47:40];
  wire [7:0] b6 = s_axis_tdata[55:48];
  wire [7:0] b7 = s_axis_tdata[63:56];

  // Header fields including this beat's bytes (the snapshot of a
  // frame's last beat must see them).
  wire at1 = in_idx == BEAT_ETH_TYPE;
  wire at2 = in_idx == BEAT_IP_LEN;
  wire at3 = in_idx == BEAT_IP_ADDR;
  wire at4 = in_idx == BEAT_UDP_HDR;
  wire at5 = in_idx == BEAT_UDP_BODY;

  wire [15:0] ethertype_cur   = at1 ? {b4, b5}         : ethertype_reg;
  wire [7:0]  ver_ihl_cur     = at1 ? b6               : ver_ihl_reg;
  wire [15:0] total_len_cur   = at2 ? {b0, b1}         : total_len_reg;
  wire [13:0] frag_cur        = at2 ? {b4[5:0], b5}    : frag_reg;
  wire [7:0]  proto_cur       = at2 ? b7               : proto_reg;
  wire [31:0] src_addr_cur    = at3 ? {b2, b3, b4, b5} : src_addr_reg;
  wire [15:0] dst_addr_hi_cur = at3 ? {b6, b7}         : dst_addr_hi_reg;
  wire [15:0] dst_addr_lo_cur = at4 ? {b0, b1}         : dst_addr_lo_reg;
  wire [15:0] src_port_cur    = at4 ? {b2, b3}         : src_port_reg;
  wire [15:0] dst_port_cur    = at4 ? {b4, b5}         : dst_port_reg;
  wire [15:0] udp_len_cur     = at4 ? {b6, b7}         : udp_len_reg;
  wire [15:0] udp_csum_cur    = at5 ? {b0, b1}         : udp_csum_reg;
  wire [31:0] body_cur        = at5 ? {b2, b3, b4, b5} : body_reg;

  //----------------------------------------------------------------
  // Pass-through data path.
  //----------------------------------------------------------------
  lm_axis_register #(
    .DATA_WIDTH(64)
  ) pass (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(s_axis_tdata),
    .s_axis_tkeep(s_axis_tkeep),
    .s_axis_tvalid(s_axis_tvalid && accept_ok),
    .s_axis_tready(pass_s_ready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tkeep(m_axis_tkeep),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
  );

  //----------------------------------------------------------------
  // Meta FIFO. Never full when written: pending_reg bounds its fill.
  //----------------------------------------------------------------
  lm_sync_fifo #(
    .WIDTH(META_WIDTH),
    .DEPTH_LOG2(META_DEPTH_LOG2)
  ) meta_fifo (
    .clk(clk),
    .rst(rst),
    .wr_data({v_class, v_reason, v_offset, v_length, v_src_addr, v_dst_addr,
              v_src_port, v_dst_port, s3_frame_len_reg}),
    .wr_valid(s3_valid_reg),
    .wr_ready(meta_fifo_wr_ready),
    .rd_data(meta_data),
    .rd_valid(m_axis_meta_tvalid),
    .rd_ready(m_axis_meta_tready)
  );

  assign {m_axis_meta_pkt_class, m_axis_meta_drop_reason, m_axis_meta_payload_offset,
          m_axis_meta_payload_length, m_axis_meta_src_addr, m_axis_meta_dst_addr,
          m_axis_meta_src_port, m_axis_meta_dst_port, m_axis_meta_frame_len} = meta_data;

  // wr_ready is high by construction; kept for the lint.
  wire _unused_ok = &{1'b0, meta_fifo_wr_ready};

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      mid_reg            <= 1'b0;
      beat_idx_reg       <= 4'd0;
      len_reg            <= 16'd0;
      ip_rem_reg         <= 16'd0;
      udp_rem_reg        <= 16'd0;
      ethertype_reg      <= 16'd0;
      ver_ihl_reg        <= 8'd0;
      total_len_reg      <= 16'd0;
      frag_reg           <= 14'd0;
      proto_reg          <= 8'd0;
      src_addr_reg       <= 32'd0;
      dst_addr_hi_reg    <= 16'd0;
      dst_addr_lo_reg    <= 16'd0;
      src_port_reg       <= 16'd0;
      dst_port_reg       <= 16'd0;
      udp_len_reg        <= 16'd0;
      udp_csum_reg       <= 16'd0;
      body_reg           <= 32'd0;
      p2_valid_reg       <= 1'b0;
      p2_first_reg       <= 1'b0;
      p2_last_reg        <= 1'b0;
      p2_ip_sum_reg      <= 19'd0;
      p2_udp_sum_reg     <= 19'd0;
      s2_len_reg         <= 16'd0;
      s2_ethertype_reg   <= 16'd0;
      s2_ver_ihl_reg     <= 8'd0;
      s2_total_len_reg   <= 16'd0;
      s2_frag_reg        <= 14'd0;
      s2_proto_reg       <= 8'd0;
      s2_src_addr_reg    <= 32'd0;
      s2_dst_addr_reg    <= 32'd0;
      s2_src_port_reg    <= 16'd0;
      s2_dst_port_reg    <= 16'd0;
      s2_udp_len_reg     <= 16'd0;
      s2_udp_csum_reg    <= 16'd0;
      s2_body_reg        <= 32'd0;
      s2_passthrough_reg <= 1'b0;
      ip_acc_reg         <= 32'd0;
      udp_acc_reg        <= 32'd0;
      s3_valid_reg       <= 1'b0;
      s3_ip_acc_reg      <= 32'd0;
      s3_udp_acc_reg     <= 32'd0;
      s3_ip_check_reg    <= 1'b0;
      s3_udp_check_reg   <= 1'b0;
      s3_class_reg       <= `LM_PKT_CLASS_OTHER;
      s3_reason_reg      <= `LM_DROP_REASON_NONE;
      s3_offset_reg      <= 16'd0;
      s3_length_reg      <= 16'd0;
      s3_src_addr_reg    <= 32'd0;
      s3_dst_addr_reg    <= 32'd0;
      s3_src_port_reg    <= 16'd0;
      s3_dst_port_reg    <= 16'd0;
      s3_frame_len_reg   <= 16'd0;
      pending_reg        <= {(META_DEPTH_LOG2 + 1){1'b0}};
    end else begin
      if (pos_we) begin
        mid_reg      <= mid_new;
        beat_idx_reg <= beat_idx_new;
        len_reg      <= len_new;
        ip_rem_reg   <= ip_rem_new;
        udp_rem_reg  <= udp_rem_new;
      end
      if (beat1_we) begin
        ethertype_reg <= ethertype_cur;
        ver_ihl_reg   <= ver_ihl_cur;
      end
      if (beat2_we) begin
        total_len_reg <= total_len_cur;
        frag_reg      <= frag_cur;
        proto_reg     <= proto_cur;
      end
      if (beat3_we) begin
        src_addr_reg    <= src_addr_cur;
        dst_addr_hi_reg <= dst_addr_hi_cur;
      end
      if (beat4_we) begin
        dst_addr_lo_reg <= dst_addr_lo_cur;
        src_port_reg    <= src_port_cur;
        dst_port_reg    <= dst_port_cur;
        udp_len_reg     <= udp_len_cur;
      end
      if (beat5_we) begin
        udp_csum_reg <= udp_csum_cur;
        body_reg     <= body_cur;
      end

      p2_valid_reg <= in_fire;
      if (in_fire) begin
        p2_first_reg   <= !mid_reg;
        p2_last_reg    <= s_axis_tlast;
        p2_ip_sum_reg  <= p2_ip_sum_new;
        p2_udp_sum_reg <= p2_udp_sum_new;
      end

      if (s2_we) begin
        s2_len_reg         <= len_new;
        s2_ethertype_reg   <= ethertype_cur;
        s2_ver_ihl_reg     <= ver_ihl_cur;
        s2_total_len_reg   <= total_len_cur;
        s2_frag_reg        <= frag_cur;
        s2_proto_reg       <= proto_cur;
        s2_src_addr_reg    <= src_addr_cur;
        s2_dst_addr_reg    <= {dst_addr_hi_cur, dst_addr_lo_cur};
        s2_src_port_reg    <= src_port_cur;
        s2_dst_port_reg    <= dst_port_cur;
        s2_udp_len_reg     <= udp_len_cur;
        s2_udp_csum_reg    <= udp_csum_cur;
        s2_body_reg        <= body_cur;
        s2_passthrough_reg <= nat_passthrough;
      end

      if (p2_valid_reg) begin
        ip_acc_reg  <= ip_acc_new;
        udp_acc_reg <= udp_acc_new;
      end

      s3_valid_reg <= s3_valid_new;
      if (s3_we) begin
        s3_ip_acc_reg    <= ip_acc_new;
        s3_udp_acc_reg   <= udp_acc_new;
        s3_ip_check_reg  <= pv_ip_check;
        s3_udp_check_reg <= pv_udp_check;
        s3_class_reg     <= pv_class;
        s3_reason_reg    <= pv_reason;
        s3_offset_reg    <= pv_offset;
        s3_length_reg    <= pv_length;
        s3_src_addr_reg  <= pv_addr_valid ? s2_src_addr_reg : 32'd0;
        s3_dst_addr_reg  <= pv_addr_valid ? s2_dst_addr_reg : 32'd0;
        s3_src_port_reg  <= pv_port_valid ? s2_src_port_reg : 16'd0;
        s3_dst_port_reg  <= pv_port_valid ? s2_dst_port_reg : 16'd0;
        s3_frame_len_reg <= s2_len_reg;
      end

      if (pending_we)
        pending_reg <= pending_new;
    end
  end


  //----------------------------------------------------------------
  // stage1_logic
  // Beat position, field write enables and the masked per-beat sums.
  // IPv4 header sum: bytes 14 .. 14+4*IHL-1. UDP sum: source and
  // destination address (26..33), the UDP datagram (34 .. 34+len-1),
  // plus protocol and UDP length for the rest of the pseudo-header.
  // Masks only look at offsets; bytes past the frame's end fall inside
  // a mask only when the frame is truncated, and then the sum is moot.
  //----------------------------------------------------------------
  reg [7:0]  ip_mask;
  reg [7:0]  udp_mask;
  reg [15:0] ihl_bytes_in;
  reg [16:0] len_sum;

  always @* begin : stage1_logic
    pos_we   = in_fire;
    mid_new  = !s_axis_tlast;
    beat_idx_new = (in_idx == BEAT_MAX) ? BEAT_MAX : in_idx + 4'd1;
    len_sum  = {1'b0, in_off} + {13'd0, keep_bytes(s_axis_tkeep)};
    len_new  = len_sum[16] ? 16'hffff : len_sum[15:0];

    beat1_we = in_fire && at1;
    beat2_we = in_fire && at2;
    beat3_we = in_fire && at3;
    beat4_we = in_fire && at4;
    beat5_we = in_fire && at5;
    s2_we    = in_fire && s_axis_tlast;

    // IPv4 header bytes left after each beat.
    ihl_bytes_in = {10'd0, b6[3:0], 2'b00};
    ip_mask      = 8'h00;
    if (at1) begin
      ip_mask    = 8'hc0;                                   // bytes 14, 15
      ip_rem_new = (ihl_bytes_in > 16'd2) ? ihl_bytes_in - 16'd2 : 16'd0;
    end else begin
      if (in_idx > BEAT_ETH_TYPE)
        ip_mask  = lanes_below(ip_rem_reg);
      ip_rem_new = (ip_rem_reg > 16'd8) ? ip_rem_reg - 16'd8 : 16'd0;
    end

    // UDP datagram bytes left after each beat.
    udp_mask       = 8'h00;
    p2_udp_sum_new = 19'd0;
    if (at3) begin
      udp_mask    = 8'hfc;                                  // bytes 26..31
      udp_rem_new = udp_rem_reg;
    end else if (at4) begin
      udp_mask    = 8'hff;                                  // bytes 32..39
      udp_rem_new = ({b6, b7} > 16'd6) ? {b6, b7} - 16'd6 : 16'd0;
      // Pseudo-header: zero byte and protocol, and the UDP length.
      p2_udp_sum_new = {11'd0, IP_PROTO_UDP} + {3'd0, b6, b7};
    end else begin
      if (in_idx > BEAT_UDP_HDR)
        udp_mask  = lanes_below(udp_rem_reg);
      udp_rem_new = (udp_rem_reg > 16'd8) ? udp_rem_reg - 16'd8 : 16'd0;
    end

    p2_ip_sum_new  = beat_sum(s_axis_tdata, ip_mask);
    p2_udp_sum_new = p2_udp_sum_new + beat_sum(s_axis_tdata, udp_mask);
  end

  //----------------------------------------------------------------
  // stage2_logic
  // Accumulates the per-beat sums and applies the classifier's header
  // rules, in its order, to the snapshot of a finished frame.
  //----------------------------------------------------------------
  reg [3:0]  s2_ihl;
  reg [15:0] s2_ihl_bytes;
  reg [15:0] s2_ip_avail;   // frame bytes from the IPv4 header on
  reg [15:0] s2_l4_len;     // IP payload bytes (IHL 5)
  reg [15:0] s2_body_len;   // UDP payload bytes
  reg        s2_check_csum;

  always @* begin : stage2_logic
    ip_acc_new   = (p2_first_reg ? 32'd0 : ip_acc_reg)  + {13'd0, p2_ip_sum_reg};
    udp_acc_new  = (p2_first_reg ? 32'd0 : udp_acc_reg) + {13'd0, p2_udp_sum_reg};
    s3_we        = p2_valid_reg && p2_last_reg;
    s3_valid_new = s3_we;

    s2_ihl        = s2_ver_ihl_reg[3:0];
    s2_ihl_bytes  = {10'd0, s2_ihl, 2'b00};
    s2_ip_avail   = s2_len_reg - ETH_HDR_LEN;
    s2_l4_len     = s2_total_len_reg - IP_HDR_MIN_LEN;
    s2_body_len   = s2_udp_len_reg - UDP_HDR_LEN;
    s2_check_csum = 1'b0;

    pv_ip_check   = 1'b0;
    pv_udp_check  = 1'b0;
    pv_class      = `LM_PKT_CLASS_OTHER;
    pv_reason     = `LM_DROP_REASON_NONE;
    pv_offset     = 16'd0;
    pv_length     = 16'd0;
    pv_addr_valid = 1'b0;
    pv_port_valid = 1'b0;

    if (s2_len_reg < ETH_HDR_LEN) begin
      pv_class  = `LM_PKT_CLASS_MALFORMED;
      pv_reason = `LM_DROP_REASON_TRUNCATED;
    end else if (s2_ethertype_reg != ETHERTYPE_IPV4) begin
      pv_class  = `LM_PKT_CLASS_OTHER;
    end else if (s2_len_reg < ETH_IP_MIN_LEN) begin
      pv_class  = `LM_PKT_CLASS_MALFORMED;
      pv_reason = `LM_DROP_REASON_TRUNCATED;
    end else if (s2_ver_ihl_reg[7:4] != IP_VERSION_4 || s2_ihl < IP_IHL_MIN) begin
      pv_class  = `LM_PKT_CLASS_MALFORMED;
      pv_reason = `LM_DROP_REASON_BAD_IP_HEADER;
    end else if (s2_ip_avail < s2_ihl_bytes) begin
      pv_class  = `LM_PKT_CLASS_MALFORMED;
      pv_reason = `LM_DROP_REASON_TRUNCATED;
    end else begin
      // The header checksum rule comes here; stage 3 applies it.
      pv_ip_check = 1'b1;
      if (s2_total_len_reg < s2_ihl_bytes) begin
        pv_class  = `LM_PKT_CLASS_MALFORMED;
        pv_reason = `LM_DROP_REASON_BAD_LENGTH;
      end else if (s2_total_len_reg > s2_ip_avail) begin
        pv_class  = `LM_PKT_CLASS_MALFORMED;
        pv_reason = `LM_DROP_REASON_TRUNCATED;
      end else begin
        pv_addr_valid = 1'b1;
        if (s2_ihl != IP_IHL_MIN) begin
          pv_class = `LM_PKT_CLASS_OTHER;                   // options: host slow path
        end else if (s2_frag_reg != IP_FRAG_NONE) begin
          pv_class = `LM_PKT_CLASS_FRAGMENT;
        end else if (s2_proto_reg == IP_PROTO_ESP) begin
          if (s2_l4_len < ESP_HDR_MIN_LEN) begin
            pv_class  = `LM_PKT_CLASS_MALFORMED;
            pv_reason = `LM_DROP_REASON_TRUNCATED;
          end else begin
            pv_class  = `LM_PKT_CLASS_ESP;
            pv_offset = L4_OFFSET;
            pv_length = s2_l4_len;
          end
        end else if (s2_proto_reg != IP_PROTO_UDP) begin
          pv_class = `LM_PKT_CLASS_OTHER;
        end else if (s2_l4_len < UDP_HDR_LEN) begin
          pv_class  = `LM_PKT_CLASS_MALFORMED;
          pv_reason = `LM_DROP_REASON_TRUNCATED;
        end else if (s2_udp_len_reg < UDP_HDR_LEN || s2_udp_len_reg > s2_l4_len) begin
          pv_class  = `LM_PKT_CLASS_MALFORMED;
          pv_reason = `LM_DROP_REASON_BAD_LENGTH;
        end else begin
          pv_port_valid = 1'b1;
          pv_offset     = UDP_BODY_OFFSET;
          pv_length     = s2_body_len;
          if (s2_dst_port_reg == PORT_IKE) begin
            pv_class      = `LM_PKT_CLASS_IKE;
            s2_check_csum = 1'b1;
          end else if (s2_dst_port_reg == PORT_NATT) begin
            if (s2_body_len == 16'd1 && s2_body_reg[31:24] == NATT_KEEPALIVE) begin
              pv_class  = `LM_PKT_CLASS_NAT_KEEPALIVE;
              pv_reason = `LM_DROP_REASON_NAT_KEEPALIVE;
            end else if (s2_body_len >= NON_ESP_MARKER_LEN && s2_body_reg == 32'd0) begin
              pv_class      = `LM_PKT_CLASS_IKE_NATT;
              pv_offset     = UDP_BODY_OFFSET + NON_ESP_MARKER_LEN;
              pv_length     = s2_body_len - NON_ESP_MARKER_LEN;
              s2_check_csum = 1'b1;
            end else if (s2_body_len < ESP_HDR_MIN_LEN) begin
              pv_class  = `LM_PKT_CLASS_MALFORMED;
              pv_reason = `LM_DROP_REASON_TRUNCATED;
              pv_offset = 16'd0;
              pv_length = 16'd0;
            end else begin
              pv_class = `LM_PKT_CLASS_ESP_UDP;
            end
          end else if (s2_dst_port_reg == PORT_L2TP) begin
            pv_class      = `LM_PKT_CLASS_L2TP_CLEAR;
            s2_check_csum = 1'b1;
          end else begin
            pv_class  = `LM_PKT_CLASS_OTHER;
            pv_offset = 16'd0;
            pv_length = 16'd0;
          end
          // A zero UDP checksum field means "no checksum" (RFC 768).
          pv_udp_check = s2_check_csum && !s2_passthrough_reg && (s2_udp_csum_reg != 16'd0);
        end
      end
    end
  end

  //----------------------------------------------------------------
  // stage3_logic
  // Folds the sums and applies the checksum rules: a bad IPv4 header
  // checksum outranks every rule after it; a bad UDP checksum turns the
  // frame MALFORMED but keeps its addresses and ports.
  //----------------------------------------------------------------
  always @* begin : stage3_logic
    v_class    = s3_class_reg;
    v_reason   = s3_reason_reg;
    v_offset   = s3_offset_reg;
    v_length   = s3_length_reg;
    v_src_addr = s3_src_addr_reg;
    v_dst_addr = s3_dst_addr_reg;
    v_src_port = s3_src_port_reg;
    v_dst_port = s3_dst_port_reg;

    if (s3_ip_check_reg && fold(s3_ip_acc_reg) != CSUM_GOOD) begin
      v_class    = `LM_PKT_CLASS_MALFORMED;
      v_reason   = `LM_DROP_REASON_BAD_IP_CSUM;
      v_offset   = 16'd0;
      v_length   = 16'd0;
      v_src_addr = 32'd0;
      v_dst_addr = 32'd0;
      v_src_port = 16'd0;
      v_dst_port = 16'd0;
    end else if (s3_udp_check_reg && fold(s3_udp_acc_reg) != CSUM_GOOD) begin
      v_class    = `LM_PKT_CLASS_MALFORMED;
      v_reason   = `LM_DROP_REASON_BAD_UDP_CSUM;
      v_offset   = 16'd0;
      v_length   = 16'd0;
    end
  end

  //----------------------------------------------------------------
  // pending_logic
  //----------------------------------------------------------------
  always @* begin : pending_logic
    pending_new = pending_reg;
    pending_we  = 1'b0;
    if ((in_fire && s_axis_tlast) != meta_fire) begin
      pending_we  = 1'b1;
      pending_new = meta_fire ? pending_reg - 1'b1 : pending_reg + 1'b1;
    end
  end

endmodule // lm_natt_parser

`default_nettype wire
