//======================================================================
// lm_esp_encap_lanes.v
// --------------------
// LANES lm_esp_encap lanes behind a dispatcher (by SA index, so each
// SA's sequence number lives in one lane) and an in-order collector.
// The ports are those of lm_esp_encap.
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_esp_encap_lanes #(
    // Number of lanes (a power of two)
    parameter integer LANES = 4,
    // SA-table entries
    parameter integer CAPACITY = `LM_SA_CAPACITY,
    // Packet buffer per lane: 2^BEAT_W beats of 8 bytes
    parameter integer BEAT_W = 8,
    // SA index bits
    parameter integer IDX_W = $clog2(CAPACITY)
) (
    input  wire             clk,
    input  wire             rst,

    input  wire [63:0]      s_axis_tdata,
    input  wire [7:0]       s_axis_tkeep,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    input  wire             s_axis_tlast,

    input  wire             s_hdr_valid,
    output wire             s_hdr_ready,
    input  wire [IDX_W-1:0] s_hdr_index,
    input  wire [32*`LM_SA_WORDS-1:0] s_hdr_entry,
    input  wire [7:0]       s_hdr_next_header,
    input  wire [7:0]       s_hdr_tos,
    input  wire [15:0]      s_hdr_id,
    input  wire [15:0]      s_hdr_frag,
    input  wire [7:0]       s_hdr_ttl,

    output wire [63:0]      m_axis_tdata,
    output wire [7:0]       m_axis_tkeep,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready,
    output wire             m_axis_tlast,

    output wire             m_hdr_valid,
    input  wire             m_hdr_ready,
    output wire [`LM_DROP_REASON_W-1:0] m_hdr_reason,
    output wire             m_hdr_sa_valid,
    output wire [IDX_W-1:0] m_hdr_index,
    output wire [31:0]      m_hdr_seq,
    output wire [15:0]      m_hdr_len,

    output wire             stat_valid,
    output wire [IDX_W-1:0] stat_index,
    output wire [`LM_DROP_REASON_W-1:0] stat_reason,
    output wire [15:0]      stat_bytes,

    output wire             event_valid,
    output wire [IDX_W-1:0] event_index,
    output wire [7:0]       event_kind
);

  localparam integer LANE_W = (LANES > 1) ? $clog2(LANES) : 1;
  localparam integer IN_W   = IDX_W + 32 * `LM_SA_WORDS + 8 + 8 + 16 + 16 + 8;
  localparam integer OUT_W  = 5 + 1 + IDX_W + 32 + 16;
  localparam integer STAT_W = IDX_W + 5 + 16;
  localparam integer EV_W   = IDX_W + 8;

  wire [63:0]           l_in_tdata;
  wire [7:0]            l_in_tkeep;
  wire [LANES-1:0]      l_in_tvalid;
  wire [LANES-1:0]      l_in_tready;
  wire                  l_in_tlast;
  wire [LANES-1:0]      l_in_hdr_valid;
  wire [LANES-1:0]      l_in_hdr_ready;
  wire [IN_W-1:0]       l_in_hdr;
  wire [64*LANES-1:0]   l_out_tdata;
  wire [8*LANES-1:0]    l_out_tkeep;
  wire [LANES-1:0]      l_out_tvalid;
  wire [LANES-1:0]      l_out_tready;
  wire [LANES-1:0]      l_out_tlast;
  wire [LANES-1:0]      l_out_hdr_valid;
  wire [LANES-1:0]      l_out_hdr_ready;
  wire [OUT_W*LANES-1:0] l_out_hdr;
  wire [LANES-1:0]      l_stat_valid;
  wire [STAT_W*LANES-1:0] l_stat;
  wire [LANES-1:0]      l_ev_valid;
  wire [EV_W*LANES-1:0] l_ev;
  wire                  ord_in_valid;
  wire                  ord_in_ready;
  wire [LANE_W-1:0]     ord_in_lane;
  wire                  ord_out_valid;
  wire                  ord_out_ready;
  wire [LANE_W-1:0]     ord_out_lane;
  wire [OUT_W-1:0]      out_hdr;
  wire [STAT_W-1:0]     stat;
  wire [EV_W-1:0]       ev;

  lm_esp_dispatch #(.LANES(LANES), .HDR_W(IN_W), .LANE_LSB(0)) dispatch (
      .clk(clk), .rst(rst),
      .s_axis_tdata(s_axis_tdata), .s_axis_tkeep(s_axis_tkeep), .s_axis_tvalid(s_axis_tvalid),
      .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast),
      .s_hdr_valid(s_hdr_valid), .s_hdr_ready(s_hdr_ready),
      .s_hdr({s_hdr_ttl, s_hdr_frag, s_hdr_id, s_hdr_tos, s_hdr_next_header, s_hdr_entry,
              s_hdr_index}),
      .l_axis_tdata(l_in_tdata), .l_axis_tkeep(l_in_tkeep), .l_axis_tvalid(l_in_tvalid),
      .l_axis_tready(l_in_tready), .l_axis_tlast(l_in_tlast),
      .l_hdr_valid(l_in_hdr_valid), .l_hdr_ready(l_in_hdr_ready), .l_hdr(l_in_hdr),
      .order_valid(ord_in_valid), .order_ready(ord_in_ready), .order_lane(ord_in_lane));

  lm_sync_fifo #(.WIDTH(LANE_W), .DEPTH_LOG2(LANE_W + 1)) order_fifo (
      .clk(clk), .rst(rst),
      .wr_data(ord_in_lane), .wr_valid(ord_in_valid), .wr_ready(ord_in_ready),
      .rd_data(ord_out_lane), .rd_valid(ord_out_valid), .rd_ready(ord_out_ready));

  // Unpacked header fields (same for every lane)
  wire [IDX_W-1:0]           in_index = l_in_hdr[IDX_W-1:0];
  wire [32*`LM_SA_WORDS-1:0] in_entry = l_in_hdr[IDX_W +: 32*`LM_SA_WORDS];
  wire [47:0]                in_rest  = l_in_hdr[IN_W-9 -: 48];   // frag id tos nh, below ttl

  genvar g;
  generate
    for (g = 0; g < LANES; g = g + 1) begin : lane
      wire [`LM_DROP_REASON_W-1:0] reason;
      wire             sa_valid;
      wire [IDX_W-1:0] index;
      wire [31:0]      seq;
      wire [15:0]      len;
      wire [IDX_W-1:0] st_index;
      wire [`LM_DROP_REASON_W-1:0] st_reason;
      wire [15:0]      st_bytes;
      wire [IDX_W-1:0] ev_index;
      wire [7:0]       ev_kind;

      lm_esp_encap #(.CAPACITY(CAPACITY), .BEAT_W(BEAT_W)) encap (
          .clk(clk), .rst(rst),
          .s_axis_tdata(l_in_tdata), .s_axis_tkeep(l_in_tkeep), .s_axis_tvalid(l_in_tvalid[g]),
          .s_axis_tready(l_in_tready[g]), .s_axis_tlast(l_in_tlast),
          .s_hdr_valid(l_in_hdr_valid[g]), .s_hdr_ready(l_in_hdr_ready[g]),
          .s_hdr_index(in_index), .s_hdr_entry(in_entry),
          .s_hdr_next_header(in_rest[7:0]), .s_hdr_tos(in_rest[15:8]), .s_hdr_id(in_rest[31:16]),
          .s_hdr_frag(in_rest[47:32]), .s_hdr_ttl(l_in_hdr[IN_W-1 -: 8]),
          .m_axis_tdata(l_out_tdata[64*g +: 64]), .m_axis_tkeep(l_out_tkeep[8*g +: 8]),
          .m_axis_tvalid(l_out_tvalid[g]), .m_axis_tready(l_out_tready[g]),
          .m_axis_tlast(l_out_tlast[g]),
          .m_hdr_valid(l_out_hdr_valid[g]), .m_hdr_ready(l_out_hdr_ready[g]),
          .m_hdr_reason(reason), .m_hdr_sa_valid(sa_valid), .m_hdr_index(index),
          .m_hdr_seq(seq), .m_hdr_len(len),
          .stat_valid(l_stat_valid[g]), .stat_index(st_index), .stat_reason(st_reason),
          .stat_bytes(st_bytes),
          .event_valid(l_ev_valid[g]), .event_index(ev_index), .event_kind(ev_kind));

      assign l_out_hdr[OUT_W*g +: OUT_W] = {len, seq, index, sa_valid, reason};
      assign l_stat[STAT_W*g +: STAT_W]  = {st_bytes, st_reason, st_index};
      assign l_ev[EV_W*g +: EV_W]        = {ev_kind, ev_index};
    end
  endgenerate

  lm_esp_collect #(.LANES(LANES), .HDR_W(OUT_W), .REASON_LSB(0)) collect (
      .clk(clk), .rst(rst),
      .order_valid(ord_out_valid), .order_ready(ord_out_ready), .order_lane(ord_out_lane),
      .l_axis_tdata(l_out_tdata), .l_axis_tkeep(l_out_tkeep), .l_axis_tvalid(l_out_tvalid),
      .l_axis_tready(l_out_tready), .l_axis_tlast(l_out_tlast),
      .l_hdr_valid(l_out_hdr_valid), .l_hdr_ready(l_out_hdr_ready), .l_hdr(l_out_hdr),
      .m_axis_tdata(m_axis_tdata), .m_axis_tkeep(m_axis_tkeep), .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast),
      .m_hdr_valid(m_hdr_valid), .m_hdr_ready(m_hdr_ready), .m_hdr(out_hdr));

  assign {m_hdr_len, m_hdr_seq, m_hdr_index, m_hdr_sa_valid, m_hdr_reason} = out_hdr;

  lm_esp_arb #(.LANES(LANES), .W(STAT_W)) stat_arb (
      .clk(clk), .rst(rst), .in_valid(l_stat_valid), .in_data(l_stat),
      .out_valid(stat_valid), .out_data(stat));
  assign {stat_bytes, stat_reason, stat_index} = stat;

  lm_esp_arb #(.LANES(LANES), .W(EV_W)) event_arb (
      .clk(clk), .rst(rst), .in_valid(l_ev_valid), .in_data(l_ev),
      .out_valid(event_valid), .out_data(ev));
  assign {event_kind, event_index} = ev;

endmodule

`default_nettype wire
