//======================================================================
// lm_top_egress.v
// ---------------
// The line module's transmit side: the host transmit channel (header
// beat, then data), SA entry read by sa_index, the encap lanes, the
// Ethernet header in front of every protected packet, and the line
// transmit mux that merges those with raw frames packet by packet.
//
//   s_axis_host_tx ─▶ host FSM ─┬─▶ (encap=1) entry words, s_hdr ─▶ encap lanes ─▶ prepend ─┐
//                               ├─▶ (encap=0) raw frame ──────────────────────────────────────┼─▶ line mux ─▶ m_axis_line_tx
//                               └─▶ (ENABLE=0) discard                                         (round robin)
//
// Encap drops (UNKNOWN_SPI, SA_MISMATCH, SEQ_OVERFLOW, NO_BUFFER,
// UNSUPPORTED_SUITE) come out of the lanes as a status without data;
// they are counted (cnt_*) and per SA (stat_*), SEQ_OVERFLOW also as an
// event.
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_top_egress #(
    // Encap lanes (a power of two)
    parameter integer LANES = 4,
    // SA-table entries
    parameter integer CAPACITY = `LM_SA_CAPACITY,
    // SA index bits
    parameter integer IDX_W = $clog2(CAPACITY)
) (
    input  wire             clk,
    input  wire             rst,

    input  wire             enable,
    input  wire [47:0]      local_mac,    // byte 0 in bits 47:40
    input  wire [47:0]      gateway_mac,  // byte 0 in bits 47:40

    // Host transmit channel: one header beat, then the data
    input  wire             s_axis_host_tx_hdr_valid,
    output wire             s_axis_host_tx_hdr_ready,
    input  wire             s_axis_host_tx_hdr_encap,
    input  wire [IDX_W-1:0] s_axis_host_tx_hdr_sa_index,
    input  wire [7:0]       s_axis_host_tx_hdr_next_header,
    input  wire [7:0]       s_axis_host_tx_hdr_tos,
    input  wire [15:0]      s_axis_host_tx_hdr_id,
    input  wire [15:0]      s_axis_host_tx_hdr_frag,
    input  wire [7:0]       s_axis_host_tx_hdr_ttl,
    input  wire [63:0]      s_axis_host_tx_tdata,
    input  wire [7:0]       s_axis_host_tx_tkeep,
    input  wire             s_axis_host_tx_tvalid,
    output wire             s_axis_host_tx_tready,
    input  wire             s_axis_host_tx_tlast,

    // SA table entry word reads (shared port: fetch_req until fetch_gnt, held while reading;
    // word_rd_data_valid only for this client's reads)
    output wire             fetch_req,
    input  wire             fetch_gnt,
    output wire             word_rd_valid,
    output wire [IDX_W-1:0] word_rd_index,
    output wire [5:0]       word_rd_word,
    input  wire             word_rd_data_valid,
    input  wire [31:0]      word_rd_data,

    // To the line
    output wire [63:0]      m_axis_line_tx_tdata,
    output wire [7:0]       m_axis_line_tx_tkeep,
    output wire             m_axis_line_tx_tvalid,
    input  wire             m_axis_line_tx_tready,
    output wire             m_axis_line_tx_tlast,

    output wire             stat_valid,
    output wire [IDX_W-1:0] stat_index,
    output wire [`LM_DROP_REASON_W-1:0] stat_reason,
    output wire [15:0]      stat_bytes,
    output wire             event_valid,
    output wire [IDX_W-1:0] event_index,
    output wire [7:0]       event_kind,
    output wire             cnt_valid,
    output wire [`LM_DROP_REASON_W-1:0] cnt_reason,
    output wire             tx_discard
);

  localparam integer ENTRY_W = 32 * `LM_SA_WORDS;
  localparam [5:0]  LAST_WORD = `LM_SA_WORDS - 1;
  localparam [15:0] ETHERTYPE_IPV4 = 16'h0800;

  // Host FSM
  localparam [2:0] ST_IDLE    = 3'd0;
  localparam [2:0] ST_FETCH   = 3'd1;  // reading the 40 entry words
  localparam [2:0] ST_EHDR    = 3'd2;  // header to the encap lanes
  localparam [2:0] ST_EDATA   = 3'd3;  // payload to the encap lanes
  localparam [2:0] ST_RAW     = 3'd4;  // raw frame to the line mux
  localparam [2:0] ST_DISCARD = 3'd5;  // ENABLE=0: frame dropped

  // Line mux
  localparam [1:0] LX_IDLE = 2'd0;
  localparam [1:0] LX_RAW  = 2'd1;
  localparam [1:0] LX_ENC  = 2'd2;

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg [2:0]         state_reg;
  reg [2:0]         state_new;
  reg               state_we;
  reg [IDX_W-1:0]   index_reg;
  reg [7:0]         nh_reg;
  reg [7:0]         tos_reg;
  reg [15:0]        id_reg;
  reg [15:0]        frag_reg;
  reg [7:0]         ttl_reg;
  reg [5:0]         word_reg;
  reg               word_we;
  reg [5:0]         cap_word_reg;
  reg [ENTRY_W-1:0] entry_reg;
  reg               out_data_reg;   // encap lanes: the packet after a NONE status is passing
  reg [1:0]         lx_reg;
  reg [1:0]         lx_new;
  reg               lx_we;
  reg               prefer_raw_reg;

  wire hdr_take = (state_reg == ST_IDLE) && s_axis_host_tx_hdr_valid;
  assign s_axis_host_tx_hdr_ready = (state_reg == ST_IDLE);
  assign fetch_req     = (state_reg == ST_FETCH);
  assign word_rd_valid = (state_reg == ST_FETCH) && fetch_gnt;
  assign word_rd_index = index_reg;
  assign word_rd_word  = word_reg;
  assign tx_discard    = hdr_take && !enable;

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
  // Encap lanes.
  //----------------------------------------------------------------
  wire                         ehdr_ready;
  wire                         e_in_ready;
  wire [63:0]                  e_tdata;
  wire [7:0]                   e_tkeep;
  wire                         e_tvalid;
  wire                         e_tready;
  wire                         e_tlast;
  wire                         e_hdr_valid;
  wire                         e_hdr_ready;
  wire [`LM_DROP_REASON_W-1:0] e_reason;
  wire                         e_sa_valid;
  wire [IDX_W-1:0]             e_index;
  wire [31:0]                  e_seq;
  wire [15:0]                  e_len;

  wire _unused_ok = &{1'b0, e_sa_valid, e_index, e_seq, e_len};

  lm_esp_encap_lanes #(
      .LANES(LANES),
      .CAPACITY(CAPACITY)
  ) encap (
      .clk(clk),
      .rst(rst),
      .s_axis_tdata(s_axis_host_tx_tdata),
      .s_axis_tkeep(s_axis_host_tx_tkeep),
      .s_axis_tvalid(s_axis_host_tx_tvalid && (state_reg == ST_EDATA)),
      .s_axis_tready(e_in_ready),
      .s_axis_tlast(s_axis_host_tx_tlast),
      .s_hdr_valid(state_reg == ST_EHDR),
      .s_hdr_ready(ehdr_ready),
      .s_hdr_index(index_reg),
      .s_hdr_entry(entry_reg),
      .s_hdr_next_header(nh_reg),
      .s_hdr_tos(tos_reg),
      .s_hdr_id(id_reg),
      .s_hdr_frag(frag_reg),
      .s_hdr_ttl(ttl_reg),
      .m_axis_tdata(e_tdata),
      .m_axis_tkeep(e_tkeep),
      .m_axis_tvalid(e_tvalid),
      .m_axis_tready(e_tready),
      .m_axis_tlast(e_tlast),
      .m_hdr_valid(e_hdr_valid),
      .m_hdr_ready(e_hdr_ready),
      .m_hdr_reason(e_reason),
      .m_hdr_sa_valid(e_sa_valid),
      .m_hdr_index(e_index),
      .m_hdr_seq(e_seq),
      .m_hdr_len(e_len),
      .stat_valid(stat_valid),
      .stat_index(stat_index),
      .stat_reason(stat_reason),
      .stat_bytes(stat_bytes),
      .event_valid(event_valid),
      .event_index(event_index),
      .event_kind(event_kind));

  // Status beats: a drop is counted and dropped, NONE opens the packet's data
  assign e_hdr_ready = !out_data_reg;
  assign cnt_valid   = e_hdr_valid && e_hdr_ready;
  assign cnt_reason  = e_reason;

  wire        pp_in_ready;
  wire [63:0] pp_tdata;
  wire [7:0]  pp_tkeep;
  wire        pp_tvalid;
  wire        pp_tready;
  wire        pp_tlast;
  assign e_tready = out_data_reg && pp_in_ready;

  wire [111:0] eth_hdr = {ETHERTYPE_IPV4[7:0], ETHERTYPE_IPV4[15:8],
                          local_mac[7:0], local_mac[15:8], local_mac[23:16],
                          local_mac[31:24], local_mac[39:32], local_mac[47:40],
                          gateway_mac[7:0], gateway_mac[15:8], gateway_mac[23:16],
                          gateway_mac[31:24], gateway_mac[39:32], gateway_mac[47:40]};

  lm_axis_prepend prepend (
      .clk(clk),
      .rst(rst),
      .hdr(eth_hdr),
      .s_axis_tdata(e_tdata),
      .s_axis_tkeep(e_tkeep),
      .s_axis_tvalid(e_tvalid && out_data_reg),
      .s_axis_tready(pp_in_ready),
      .s_axis_tlast(e_tlast),
      .m_axis_tdata(pp_tdata),
      .m_axis_tkeep(pp_tkeep),
      .m_axis_tvalid(pp_tvalid),
      .m_axis_tready(pp_tready),
      .m_axis_tlast(pp_tlast));

  //----------------------------------------------------------------
  // Line mux.
  //----------------------------------------------------------------
  wire raw_valid = (state_reg == ST_RAW) && s_axis_host_tx_tvalid;
  wire pick_raw  = (lx_reg == LX_RAW) ||
                   ((lx_reg == LX_IDLE) && raw_valid && (prefer_raw_reg || !pp_tvalid));
  wire pick_enc  = (lx_reg == LX_ENC) || ((lx_reg == LX_IDLE) && !pick_raw);

  assign m_axis_line_tx_tdata  = pick_raw ? s_axis_host_tx_tdata : pp_tdata;
  assign m_axis_line_tx_tkeep  = pick_raw ? s_axis_host_tx_tkeep : pp_tkeep;
  assign m_axis_line_tx_tlast  = pick_raw ? s_axis_host_tx_tlast : pp_tlast;
  assign m_axis_line_tx_tvalid = pick_raw ? raw_valid : pp_tvalid;
  assign pp_tready = pick_enc && m_axis_line_tx_tready;

  wire line_fire = m_axis_line_tx_tvalid && m_axis_line_tx_tready;

  assign s_axis_host_tx_tready = (state_reg == ST_EDATA) ? e_in_ready :
                                 (state_reg == ST_RAW) ? (pick_raw && m_axis_line_tx_tready) :
                                 (state_reg == ST_DISCARD);
  wire data_fire = s_axis_host_tx_tvalid && s_axis_host_tx_tready;

  always @* begin : line_mux_fsm
    lx_new = lx_reg;
    lx_we  = 1'b0;
    if (line_fire) begin
      lx_we  = 1'b1;
      lx_new = m_axis_line_tx_tlast ? LX_IDLE : (pick_raw ? LX_RAW : LX_ENC);
    end else if (lx_reg == LX_IDLE && m_axis_line_tx_tvalid) begin
      // A presented beat stays presented (AXI-Stream): hold the choice until it is taken
      lx_we  = 1'b1;
      lx_new = pick_raw ? LX_RAW : LX_ENC;
    end
  end

  //----------------------------------------------------------------
  // Host FSM.
  //----------------------------------------------------------------
  always @* begin : host_fsm
    state_new = state_reg;
    state_we  = 1'b0;
    word_we   = 1'b0;
    case (state_reg)
      ST_IDLE: begin
        if (hdr_take) begin
          state_we = 1'b1;
          if (!enable) state_new = ST_DISCARD;
          else if (s_axis_host_tx_hdr_encap) state_new = ST_FETCH;
          else state_new = ST_RAW;
        end
      end
      ST_FETCH: begin
        if (fetch_gnt) begin
          word_we = 1'b1;
          if (word_reg == LAST_WORD) begin
            state_new = ST_EHDR;
            state_we  = 1'b1;
          end
        end
      end
      ST_EHDR: begin
        if (ehdr_ready) begin
          state_new = ST_EDATA;
          state_we  = 1'b1;
        end
      end
      default: begin  // ST_EDATA, ST_RAW, ST_DISCARD
        if (data_fire && s_axis_host_tx_tlast) begin
          state_new = ST_IDLE;
          state_we  = 1'b1;
        end
      end
    endcase
  end

  always @(posedge clk) begin : reg_update
    if (rst) begin
      state_reg      <= ST_IDLE;
      index_reg      <= {IDX_W{1'b0}};
      nh_reg         <= 8'h0;
      tos_reg        <= 8'h0;
      id_reg         <= 16'h0;
      frag_reg       <= 16'h0;
      ttl_reg        <= 8'h0;
      word_reg       <= 6'd0;
      out_data_reg   <= 1'b0;
      lx_reg         <= LX_IDLE;
      prefer_raw_reg <= 1'b0;
    end else begin
      if (state_we) state_reg <= state_new;
      if (hdr_take) begin
        index_reg <= s_axis_host_tx_hdr_sa_index;
        nh_reg    <= s_axis_host_tx_hdr_next_header;
        tos_reg   <= s_axis_host_tx_hdr_tos;
        id_reg    <= s_axis_host_tx_hdr_id;
        frag_reg  <= s_axis_host_tx_hdr_frag;
        ttl_reg   <= s_axis_host_tx_hdr_ttl;
        word_reg  <= 6'd0;
      end
      if (word_we) word_reg <= word_reg + 6'd1;
      if (e_hdr_valid && e_hdr_ready && e_reason == `LM_DROP_REASON_NONE) out_data_reg <= 1'b1;
      else if (e_tvalid && e_tready && e_tlast) out_data_reg <= 1'b0;
      if (lx_we) lx_reg <= lx_new;
      if (line_fire && m_axis_line_tx_tlast) prefer_raw_reg <= !pick_raw;
    end
  end

endmodule // lm_top_egress

`default_nettype wire
