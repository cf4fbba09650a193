//======================================================================
// lm_top_ingress.v
// ----------------
// The line module's receive side behind the parser: frame buffer, the
// per-frame route decision, SA lookup and entry read, Ethernet strip,
// the decap lanes, and the host receive channel (header beat, then
// data) that merges decapsulated packets and exception frames.
//
//   parser m_axis ─▶ frame FIFO ─┬─▶ strip ─▶ decap lanes ─┐
//   (SPI captured on the way in) ├─▶ (exception frame) ────┼─▶ host rx mux ─▶ m_axis_host_rx
//   parser meta ─▶ route FSM ────┴─▶ (discard)             │   (packet by packet, round robin)
//                  lookup, entry words ─▶ s_hdr ───────────┘
//
// The parser hands a frame's meta beat over at or after the frame's
// last beat, so whole frames wait in the frame FIFO (2^FIFO_LOG2 beats;
// a frame must fit in it). Route per meta: ESP / ESP_UDP go to the
// decap lanes with the lookup result (a miss goes in with hit 0 and is
// counted UNKNOWN_SPI by the lanes); NAT_KEEPALIVE and MALFORMED are
// discarded (the parser counted them); everything else goes up whole.
// A hit on a host-path entry (CIPHER = DES3_CBC: an SA the software back
// end serves) goes up whole as an exception frame, untouched, with
// sa_valid = 1, its slot and SPI: the host decapsulates it.
// While `enable` is low every frame is discarded (rx_discard pulse).
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_top_ingress #(
    // Decap lanes (a power of two)
    parameter integer LANES = 4,
    // SA-table entries
    parameter integer CAPACITY = `LM_SA_CAPACITY,
    // log2 of the frame FIFO depth in 8-byte beats (9: 4 KiB)
    parameter integer FIFO_LOG2 = 9,
    // SA index bits
    parameter integer IDX_W = $clog2(CAPACITY)
) (
    input  wire             clk,
    input  wire             rst,

    input  wire             enable,

    // Frames and their verdicts from the parser
    input  wire [63:0]      s_axis_tdata,
    input  wire [7:0]       s_axis_tkeep,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    input  wire             s_axis_tlast,
    input  wire             s_meta_valid,
    output wire             s_meta_ready,
    input  wire [`LM_PKT_CLASS_W-1:0] s_meta_pkt_class,
    input  wire [15:0]      s_meta_payload_offset,
    input  wire [31:0]      s_meta_src_addr,
    input  wire [31:0]      s_meta_dst_addr,
    input  wire [15:0]      s_meta_src_port,
    input  wire [15:0]      s_meta_dst_port,
    input  wire [15:0]      s_meta_frame_len,

    // SA table lookup
    output wire             lookup_req_valid,
    output wire [31:0]      lookup_req_spi,
    output wire [31:0]      lookup_req_dst_addr,
    input  wire             lookup_resp_valid,
    input  wire             lookup_resp_hit,
    input  wire [IDX_W-1:0] lookup_resp_index,

    // SA table entry word reads (shared port: fetch_req until fetch_gnt, held while reading;
    // word_rd_data_valid only for this client's reads)
    output wire             fetch_req,
    input  wire             fetch_gnt,
    output wire             word_rd_valid,
    output wire [IDX_W-1:0] word_rd_index,
    output wire [5:0]       word_rd_word,
    input  wire             word_rd_data_valid,
    input  wire [31:0]      word_rd_data,

    // Host receive channel: one header beat, then the data
    output wire             m_axis_host_rx_hdr_valid,
    input  wire             m_axis_host_rx_hdr_ready,
    output wire [`LM_PKT_CLASS_W-1:0] m_axis_host_rx_hdr_pkt_class,
    output wire             m_axis_host_rx_hdr_sa_valid,
    output wire [IDX_W-1:0] m_axis_host_rx_hdr_sa_index,
    output wire [31:0]      m_axis_host_rx_hdr_spi,
    output wire [31:0]      m_axis_host_rx_hdr_seq,
    output wire [31:0]      m_axis_host_rx_hdr_src_addr,
    output wire [31:0]      m_axis_host_rx_hdr_dst_addr,
    output wire [15:0]      m_axis_host_rx_hdr_src_port,
    output wire [15:0]      m_axis_host_rx_hdr_dst_port,
    output wire [15:0]      m_axis_host_rx_hdr_payload_offset,
    output wire [15:0]      m_axis_host_rx_hdr_len,
    output wire [63:0]      m_axis_host_rx_tdata,
    output wire [7:0]       m_axis_host_rx_tkeep,
    output wire             m_axis_host_rx_tvalid,
    input  wire             m_axis_host_rx_tready,
    output wire             m_axis_host_rx_tlast,

    // Per-SA stats of the decap lanes, one status per packet for the decap block
    output wire             stat_valid,
    output wire [IDX_W-1:0] stat_index,
    output wire [`LM_DROP_REASON_W-1:0] stat_reason,
    output wire [15:0]      stat_bytes,
    output wire             cnt_valid,
    output wire [`LM_DROP_REASON_W-1:0] cnt_reason,
    output wire             rx_discard
);

  //----------------------------------------------------------------
  // Constants.
  //----------------------------------------------------------------
  localparam integer ENTRY_W = 32 * `LM_SA_WORDS;
  localparam [5:0]  LAST_WORD = `LM_SA_WORDS - 1;
  localparam [15:0] ETH_BYTES = 16'd14;
  localparam [15:0] UDP_BYTES = 16'd8;
  localparam [7:0]  PROTO_UDP = 8'd17;
  localparam integer SIDE_W = `LM_PKT_CLASS_W + 32 + 16 + 16;

  // Route FSM
  localparam [3:0] ST_IDLE     = 4'd0;
  localparam [3:0] ST_LOOKUP   = 4'd1;  // lookup issued, response 2 cycles later
  localparam [3:0] ST_FETCH    = 4'd2;  // reading the 40 entry words
  localparam [3:0] ST_DHDR     = 4'd3;  // lookup result to the decap lanes
  localparam [3:0] ST_DDATA    = 4'd4;  // frame through the strip into the lanes
  localparam [3:0] ST_EXC_HDR  = 4'd5;  // exception frame header to the host mux
  localparam [3:0] ST_EXC_DATA = 4'd6;  // exception frame to the host mux
  localparam [3:0] ST_DISCARD  = 4'd7;  // frame dropped

  // Host receive mux
  localparam [1:0] MX_IDLE = 2'd0;
  localparam [1:0] MX_EXC  = 2'd1;
  localparam [1:0] MX_DEC  = 2'd2;

  //----------------------------------------------------------------
  // Frame FIFO with SPI capture on the way in.
  //----------------------------------------------------------------
  reg  [3:0]  in_beat_reg;     // beat index in the frame (saturates at 15)
  reg  [3:0]  in_ihl_reg;      // IPv4 IHL (byte 14, beat 1 lane 6)
  reg  [7:0]  in_proto_reg;    // IPv4 protocol (byte 23, beat 2 lane 7)
  reg  [31:0] in_spi_reg;      // the four bytes at the ESP header offset
  reg  [31:0] spi_now;

  wire        spi_wr_ready;
  wire        fifo_wr_ready;
  wire        in_ok = fifo_wr_ready && (!s_axis_tlast || spi_wr_ready);
  wire        in_fire = s_axis_tvalid && in_ok;
  assign s_axis_tready = in_ok;

  // ESP header offset in the frame: Ethernet + IPv4 header (+ UDP for ESP in UDP)
  wire [7:0] spi_off = 8'd14 + {2'b00, in_ihl_reg, 2'b00} + ((in_proto_reg == PROTO_UDP) ? 8'd8 : 8'd0);

  integer b;
  always @* begin : spi_capture
    reg [7:0] pos;
    spi_now = in_spi_reg;
    for (b = 0; b < 4; b = b + 1) begin
      pos = spi_off + b[7:0];
      if (in_beat_reg >= 4'd4 && pos[6:3] == in_beat_reg && pos[7] == 1'b0)
        spi_now[31 - 8 * b -: 8] = s_axis_tdata[8 * pos[2:0] +: 8];
    end
  end

  always @(posedge clk) begin : in_update
    if (rst) begin
      in_beat_reg  <= 4'd0;
      in_ihl_reg   <= 4'd0;
      in_proto_reg <= 8'd0;
      in_spi_reg   <= 32'h0;
    end else if (in_fire) begin
      if (s_axis_tlast) begin
        in_beat_reg <= 4'd0;
        in_spi_reg  <= 32'h0;
      end else begin
        if (in_beat_reg != 4'd15) in_beat_reg <= in_beat_reg + 4'd1;
        in_spi_reg <= spi_now;
      end
      if (in_beat_reg == 4'd1) in_ihl_reg <= s_axis_tdata[51:48];
      if (in_beat_reg == 4'd2) in_proto_reg <= s_axis_tdata[63:56];
    end
  end

  wire [72:0] fifo_rd_data;
  wire        fifo_rd_valid;
  reg         fifo_rd_ready;
  wire [63:0] f_tdata = fifo_rd_data[63:0];
  wire [7:0]  f_tkeep = fifo_rd_data[71:64];
  wire        f_tlast = fifo_rd_data[72];
  wire        f_fire  = fifo_rd_valid && fifo_rd_ready;

  lm_sync_fifo #(
      .WIDTH(73),
      .DEPTH_LOG2(FIFO_LOG2)
  ) frame_fifo (
      .clk(clk),
      .rst(rst),
      .wr_data({s_axis_tlast, s_axis_tkeep, s_axis_tdata}),
      .wr_valid(s_axis_tvalid && (!s_axis_tlast || spi_wr_ready)),
      .wr_ready(fifo_wr_ready),
      .rd_data(fifo_rd_data),
      .rd_valid(fifo_rd_valid),
      .rd_ready(fifo_rd_ready));

  wire [31:0] spi_head;
  wire        spi_valid;
  reg         spi_pop;

  lm_sync_fifo #(
      .WIDTH(32),
      .DEPTH_LOG2(4)
  ) spi_fifo (
      .clk(clk),
      .rst(rst),
      .wr_data(spi_now),
      .wr_valid(s_axis_tvalid && s_axis_tlast && fifo_wr_ready),
      .wr_ready(spi_wr_ready),
      .rd_data(spi_head),
      .rd_valid(spi_valid),
      .rd_ready(spi_pop));

  //----------------------------------------------------------------
  // Route FSM registers.
  //----------------------------------------------------------------
  reg [3:0]                 state_reg;
  reg [3:0]                 state_new;
  reg                       state_we;
  reg                       meta_we;
  reg [`LM_PKT_CLASS_W-1:0] class_reg;
  reg [15:0]                poff_reg;
  reg [31:0]                src_addr_reg;
  reg [31:0]                dst_addr_reg;
  reg [15:0]                src_port_reg;
  reg [15:0]                dst_port_reg;
  reg [15:0]                flen_reg;
  reg [IDX_W-1:0]           spi_idx_reg;  // SPI mod CAPACITY: the lane of a miss
  reg                       hit_reg;
  reg [IDX_W-1:0]           index_reg;
  reg                       hit_we;
  reg [5:0]                 word_reg;
  reg                       word_we;
  reg [5:0]                 cap_word_reg;
  reg [ENTRY_W-1:0]         entry_reg;
  reg                       discard_pulse;
  reg                       host_reg;     // this frame hit a host-path (DES3_CBC) entry
  reg                       host_we;

  wire meta_is_esp = (s_meta_pkt_class == `LM_PKT_CLASS_ESP) ||
                     (s_meta_pkt_class == `LM_PKT_CLASS_ESP_UDP);
  wire meta_is_drop = (s_meta_pkt_class == `LM_PKT_CLASS_NAT_KEEPALIVE) ||
                      (s_meta_pkt_class == `LM_PKT_CLASS_MALFORMED);
  wire meta_take = (state_reg == ST_IDLE) && s_meta_valid && spi_valid;

  assign s_meta_ready        = meta_take;
  assign lookup_req_valid    = meta_take && enable && meta_is_esp;
  assign lookup_req_spi      = spi_head;
  assign lookup_req_dst_addr = s_meta_dst_addr;
  assign fetch_req           = (state_reg == ST_FETCH);
  assign word_rd_valid       = (state_reg == ST_FETCH) && fetch_gnt;
  assign word_rd_index       = index_reg;
  assign word_rd_word        = word_reg;
  assign rx_discard          = discard_pulse;

  // Entry words: the word read in the previous cycle arrives now
  always @(posedge clk) begin : entry_update
    if (rst) begin
      cap_word_reg <= 6'd0;
      entry_reg    <= {ENTRY_W{1'b0}};
    end else begin
      cap_word_reg <= word_reg;
      if (word_rd_data_valid)
        entry_reg[32 * cap_word_reg +: 32] <= word_rd_data;
    end
  end

  //----------------------------------------------------------------
  // Decap lanes and the Ethernet strip.
  //----------------------------------------------------------------
  wire [63:0] st_tdata;
  wire [7:0]  st_tkeep;
  wire        st_tvalid;
  wire        st_tready;
  wire        st_tlast;
  wire        strip_in_ready;

  lm_axis_strip strip (
      .clk(clk),
      .rst(rst),
      .s_axis_tdata(f_tdata),
      .s_axis_tkeep(f_tkeep),
      .s_axis_tvalid(fifo_rd_valid && (state_reg == ST_DDATA)),
      .s_axis_tready(strip_in_ready),
      .s_axis_tlast(f_tlast),
      .m_axis_tdata(st_tdata),
      .m_axis_tkeep(st_tkeep),
      .m_axis_tvalid(st_tvalid),
      .m_axis_tready(st_tready),
      .m_axis_tlast(st_tlast));

  wire                          side_wr_ready;
  wire                          dhdr_valid = (state_reg == ST_DHDR) && side_wr_ready;
  wire                          dhdr_ready;
  wire                          dhdr_fire = dhdr_valid && dhdr_ready;

  wire [63:0]                   d_tdata;
  wire [7:0]                    d_tkeep;
  wire                          d_tvalid;
  wire                          d_tready;
  wire                          d_tlast;
  wire                          d_hdr_valid;
  wire                          d_hdr_ready;
  wire [`LM_DROP_REASON_W-1:0]  d_reason;
  wire                          d_sa_valid;
  wire [IDX_W-1:0]              d_index;
  wire [31:0]                   d_spi;
  wire [31:0]                   d_seq;
  wire [7:0]                    d_next_header;
  wire [31:0]                   d_src_addr;
  wire [15:0]                   d_src_port;
  wire [15:0]                   d_len;

  lm_esp_decap_lanes #(
      .LANES(LANES),
      .CAPACITY(CAPACITY)
  ) decap (
      .clk(clk),
      .rst(rst),
      .s_axis_tdata(st_tdata),
      .s_axis_tkeep(st_tkeep),
      .s_axis_tvalid(st_tvalid),
      .s_axis_tready(st_tready),
      .s_axis_tlast(st_tlast),
      .s_hdr_valid(dhdr_valid),
      .s_hdr_ready(dhdr_ready),
      .s_hdr_hit(hit_reg),
      .s_hdr_index(index_reg),
      .s_hdr_entry(entry_reg),
      .m_axis_tdata(d_tdata),
      .m_axis_tkeep(d_tkeep),
      .m_axis_tvalid(d_tvalid),
      .m_axis_tready(d_tready),
      .m_axis_tlast(d_tlast),
      .m_hdr_valid(d_hdr_valid),
      .m_hdr_ready(d_hdr_ready),
      .m_hdr_reason(d_reason),
      .m_hdr_sa_valid(d_sa_valid),
      .m_hdr_index(d_index),
      .m_hdr_spi(d_spi),
      .m_hdr_seq(d_seq),
      .m_hdr_next_header(d_next_header),
      .m_hdr_src_addr(d_src_addr),
      .m_hdr_src_port(d_src_port),
      .m_hdr_len(d_len),
      .stat_valid(stat_valid),
      .stat_index(stat_index),
      .stat_reason(stat_reason),
      .stat_bytes(stat_bytes));

  // What the host header needs and the lanes do not carry: class, destination address and port,
  // and the outer IPv4 header length (the restored packet keeps the header and its options).
  wire [15:0] ip_hdr_bytes = poff_reg - ETH_BYTES -
                             ((class_reg == `LM_PKT_CLASS_ESP_UDP) ? UDP_BYTES : 16'd0);
  wire [SIDE_W-1:0] side_head;
  wire              side_valid;
  wire              side_pop;

  lm_sync_fifo #(
      .WIDTH(SIDE_W),
      .DEPTH_LOG2(5)
  ) side_fifo (
      .clk(clk),
      .rst(rst),
      .wr_data({class_reg, dst_addr_reg, dst_port_reg, ip_hdr_bytes}),
      .wr_valid(dhdr_fire),
      .wr_ready(side_wr_ready),
      .rd_data(side_head),
      .rd_valid(side_valid),
      .rd_ready(side_pop));

  wire [`LM_PKT_CLASS_W-1:0] side_class    = side_head[SIDE_W-1 -: `LM_PKT_CLASS_W];
  wire [31:0]                side_dst_addr = side_head[63:32];
  wire [15:0]                side_dst_port = side_head[31:16];
  wire [15:0]                side_ip_bytes = side_head[15:0];

  // Host-path entries: word 0 arrived long before the last word is read, so the cipher is known
  // when the fetch ends.
  wire [`LM_SA_CIPHER_W-1:0] entry_cipher =
      entry_reg[`LM_SA_CIPHER_LSB +: `LM_SA_CIPHER_W];
  wire                       entry_host = (entry_cipher == `LM_CIPHER_DES3_CBC);
  wire [31:0]                entry_spi = entry_reg[32 * `LM_SA_SPI_WORD +: 32];

  //----------------------------------------------------------------
  // Host receive mux.
  //----------------------------------------------------------------
  reg [1:0] mx_reg;
  reg [1:0] mx_new;
  reg       mx_we;
  reg       prefer_exc_reg;

  wire dec_drop  = d_hdr_valid && side_valid && (d_reason != `LM_DROP_REASON_NONE);
  wire dec_valid = d_hdr_valid && side_valid && (d_reason == `LM_DROP_REASON_NONE);
  wire exc_valid = (state_reg == ST_EXC_HDR);
  reg  hold_reg;      // a presented header stays presented (AXI-Stream): its source is held
  reg  hold_exc_reg;
  wire pick_exc  = hold_reg ? hold_exc_reg : (exc_valid && (prefer_exc_reg || !dec_valid));
  wire hdr_valid = (mx_reg == MX_IDLE) && (exc_valid || dec_valid);
  wire hdr_fire  = hdr_valid && m_axis_host_rx_hdr_ready;
  wire dec_take  = hdr_fire && !pick_exc;
  wire exc_take  = hdr_fire && pick_exc;

  assign d_hdr_ready = dec_drop || dec_take;
  assign side_pop    = dec_drop || dec_take;
  assign cnt_valid   = d_hdr_ready && d_hdr_valid;
  assign cnt_reason  = d_reason;

  assign m_axis_host_rx_hdr_valid          = hdr_valid;
  assign m_axis_host_rx_hdr_pkt_class      = pick_exc ? class_reg : side_class;
  assign m_axis_host_rx_hdr_sa_valid       = pick_exc ? host_reg : d_sa_valid;
  assign m_axis_host_rx_hdr_sa_index       = pick_exc ? (host_reg ? index_reg : {IDX_W{1'b0}}) :
                                                        d_index;
  assign m_axis_host_rx_hdr_spi            = pick_exc ? (host_reg ? entry_spi : 32'h0) : d_spi;
  assign m_axis_host_rx_hdr_seq            = pick_exc ? 32'h0 : d_seq;
  assign m_axis_host_rx_hdr_src_addr       = pick_exc ? src_addr_reg : d_src_addr;
  assign m_axis_host_rx_hdr_dst_addr       = pick_exc ? dst_addr_reg : side_dst_addr;
  assign m_axis_host_rx_hdr_src_port       = pick_exc ? src_port_reg : d_src_port;
  assign m_axis_host_rx_hdr_dst_port       = pick_exc ? dst_port_reg : side_dst_port;
  assign m_axis_host_rx_hdr_payload_offset = pick_exc ? poff_reg :
      side_ip_bytes + ((d_next_header == PROTO_UDP) ? UDP_BYTES : 16'd0);
  assign m_axis_host_rx_hdr_len            = pick_exc ? flen_reg : d_len;

  assign m_axis_host_rx_tdata  = (mx_reg == MX_DEC) ? d_tdata : f_tdata;
  assign m_axis_host_rx_tkeep  = (mx_reg == MX_DEC) ? d_tkeep : f_tkeep;
  assign m_axis_host_rx_tlast  = (mx_reg == MX_DEC) ? d_tlast : f_tlast;
  assign m_axis_host_rx_tvalid = (mx_reg == MX_DEC) ? d_tvalid :
                                 (mx_reg == MX_EXC) ? fifo_rd_valid : 1'b0;
  assign d_tready = (mx_reg == MX_DEC) && m_axis_host_rx_tready;

  wire host_fire = m_axis_host_rx_tvalid && m_axis_host_rx_tready;

  always @* begin : mux_fsm
    mx_new = mx_reg;
    mx_we  = 1'b0;
    case (mx_reg)
      MX_IDLE: begin
        if (hdr_fire) begin
          mx_new = pick_exc ? MX_EXC : MX_DEC;
          mx_we  = 1'b1;
        end
      end
      default: begin
        if (host_fire && m_axis_host_rx_tlast) begin
          mx_new = MX_IDLE;
          mx_we  = 1'b1;
        end
      end
    endcase
  end

  //----------------------------------------------------------------
  // Route FSM.
  //----------------------------------------------------------------
  always @* begin : route_fsm
    state_new     = state_reg;
    state_we      = 1'b0;
    meta_we       = 1'b0;
    spi_pop       = 1'b0;
    hit_we        = 1'b0;
    word_we       = 1'b0;
    host_we       = 1'b0;
    discard_pulse = 1'b0;
    fifo_rd_ready = 1'b0;
    case (state_reg)
      ST_IDLE: begin
        if (meta_take) begin
          meta_we  = 1'b1;
          spi_pop  = 1'b1;
          state_we = 1'b1;
          if (!enable) begin
            discard_pulse = 1'b1;
            state_new     = ST_DISCARD;
          end else if (meta_is_esp)
            state_new = ST_LOOKUP;
          else if (meta_is_drop)
            state_new = ST_DISCARD;
          else
            state_new = ST_EXC_HDR;
        end
      end
      ST_LOOKUP: begin
        if (lookup_resp_valid) begin
          hit_we    = 1'b1;
          state_new = lookup_resp_hit ? ST_FETCH : ST_DHDR;
          state_we  = 1'b1;
        end
      end
      ST_FETCH: begin
        if (fetch_gnt) begin
          word_we = 1'b1;
          if (word_reg == LAST_WORD) begin
            // A host-path entry: the frame goes up whole, as an exception with its SA
            host_we   = entry_host;
            state_new = entry_host ? ST_EXC_HDR : ST_DHDR;
            state_we  = 1'b1;
          end
        end
      end
      ST_DHDR: begin
        if (dhdr_fire) begin
          state_new = ST_DDATA;
          state_we  = 1'b1;
        end
      end
      ST_DDATA: begin
        fifo_rd_ready = strip_in_ready;
        if (f_fire && f_tlast) begin
          state_new = ST_IDLE;
          state_we  = 1'b1;
        end
      end
      ST_EXC_HDR: begin
        if (exc_take) begin
          state_new = ST_EXC_DATA;
          state_we  = 1'b1;
        end
      end
      ST_EXC_DATA: begin
        fifo_rd_ready = (mx_reg == MX_EXC) && m_axis_host_rx_tready;
        if (f_fire && f_tlast) begin
          state_new = ST_IDLE;
          state_we  = 1'b1;
        end
      end
      default: begin  // ST_DISCARD
        fifo_rd_ready = 1'b1;
        if (f_fire && f_tlast) begin
          state_new = ST_IDLE;
          state_we  = 1'b1;
        end
      end
    endcase
  end

  always @(posedge clk) begin : reg_update
    if (rst) begin
      state_reg      <= ST_IDLE;
      class_reg      <= {`LM_PKT_CLASS_W{1'b0}};
      poff_reg       <= 16'h0;
      src_addr_reg   <= 32'h0;
      dst_addr_reg   <= 32'h0;
      src_port_reg   <= 16'h0;
      dst_port_reg   <= 16'h0;
      flen_reg       <= 16'h0;
      spi_idx_reg    <= {IDX_W{1'b0}};
      hit_reg        <= 1'b0;
      host_reg       <= 1'b0;
      index_reg      <= {IDX_W{1'b0}};
      word_reg       <= 6'd0;
      mx_reg         <= MX_IDLE;
      prefer_exc_reg <= 1'b0;
      hold_reg       <= 1'b0;
      hold_exc_reg   <= 1'b0;
    end else begin
      if (state_we) state_reg <= state_new;
      if (meta_we) begin
        class_reg    <= s_meta_pkt_class;
        poff_reg     <= s_meta_payload_offset;
        src_addr_reg <= s_meta_src_addr;
        dst_addr_reg <= s_meta_dst_addr;
        src_port_reg <= s_meta_src_port;
        dst_port_reg <= s_meta_dst_port;
        flen_reg     <= s_meta_frame_len;
        spi_idx_reg  <= spi_head[IDX_W-1:0];
        word_reg     <= 6'd0;
        host_reg     <= 1'b0;
      end
      if (host_we) host_reg <= 1'b1;
      if (hit_we) begin
        hit_reg   <= lookup_resp_hit;
        index_reg <= lookup_resp_hit ? lookup_resp_index : spi_idx_reg;
      end
      if (word_we) word_reg <= word_reg + 6'd1;
      if (mx_we) mx_reg <= mx_new;
      if (hdr_fire) prefer_exc_reg <= !pick_exc;
      hold_reg     <= hdr_valid && !m_axis_host_rx_hdr_ready;
      hold_exc_reg <= pick_exc;
    end
  end

endmodule // lm_top_ingress

`default_nettype wire
