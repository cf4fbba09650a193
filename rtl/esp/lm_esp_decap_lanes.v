//======================================================================
// lm_esp_decap_lanes.v
// --------------------
// LANES lm_esp_decap lanes behind a dispatcher (by SA index, so each
// SA's replay window lives in one lane) and an in-order collector. The
// ports are those of lm_esp_decap: a drop-in with LANES times the
// throughput when the traffic spreads over SAs of different lanes.
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_esp_decap_lanes #(
    // Number of lanes (a power of two)
    parameter integer LANES = 4,
    // SA-table entries
    parameter integer CAPACITY = `LM_SA_CAPACITY,
    // Largest replay window honoured: 2^MAX_WIN_LOG2 packets (5..7)
    parameter integer MAX_WIN_LOG2 = 6,
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
    input  wire             s_hdr_hit,
    input  wire [IDX_W-1:0] s_hdr_index,
    input  wire [32*`LM_SA_WORDS-1:0] s_hdr_entry,

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
    output wire [31:0]      m_hdr_spi,
    output wire [31:0]      m_hdr_seq,
    output wire [7:0]       m_hdr_next_header,
    output wire [31:0]      m_hdr_src_addr,
    output wire [15:0]      m_hdr_src_port,
    output wire [15:0]      m_hdr_len,

    output wire             stat_valid,
    output wire [IDX_W-1:0] stat_index,
    output wire [`LM_DROP_REASON_W-1:0] stat_reason,
    output wire [15:0]      stat_bytes
);

  localparam integer LANE_W = (LANES > 1) ? $clog2(LANES) : 1;
  localparam integer IN_W   = 1 + IDX_W + 32 * `LM_SA_WORDS;           // hit, index, entry
  localparam integer OUT_W  = 5 + 1 + IDX_W + 32 + 32 + 8 + 32 + 16 + 16;
  localparam integer STAT_W = IDX_W + 5 + 16;

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
  wire                  ord_in_valid;
  wire                  ord_in_ready;
  wire [LANE_W-1:0]     ord_in_lane;
  wire                  ord_out_valid;
  wire                  ord_out_ready;
  wire [LANE_W-1:0]     ord_out_lane;
  wire [OUT_W-1:0]      out_hdr;
  wire [STAT_W-1:0]     stat;

  lm_esp_dispatch #(.LANES(LANES), .HDR_W(IN_W), .LANE_LSB(1)) dispatch (
      .clk(clk), .rst(rst),
      .s_axis_tdata(s_axis_tdata), .s_axis_tkeep(s_axis_tkeep), .s_axis_tvalid(s_axis_tvalid),
      .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast),
      .s_hdr_valid(s_hdr_valid), .s_hdr_ready(s_hdr_ready),
      .s_hdr({s_hdr_entry, s_hdr_index, s_hdr_hit}),
      .l_axis_tdata(l_in_tdata), .l_axis_tkeep(l_in_tkeep), .l_axis_tvalid(l_in_tvalid),
      .l_axis_tready(l_in_tready), .l_axis_tlast(l_in_tlast),
      .l_hdr_valid(l_in_hdr_valid), .l_hdr_ready(l_in_hdr_ready), .l_hdr(l_in_hdr),
      .order_valid(ord_in_valid), .order_ready(ord_in_ready), .order_lane(ord_in_lane));

  lm_sync_fifo #(.WIDTH(LANE_W), .DEPTH_LOG2(LANE_W + 1)) order_fifo (
      .clk(clk), .rst(rst),
      .wr_data(ord_in_lane), .wr_valid(ord_in_valid), .wr_ready(ord_in_ready),
      .rd_data(ord_out_lane), .rd_valid(ord_out_valid), .rd_ready(ord_out_ready));

  genvar g;
  generate
    for (g = 0; g < LANES; g = g + 1) begin : lane
      wire [`LM_DROP_REASON_W-1:0] reason;
      wire             sa_valid;
      wire [IDX_W-1:0] index;
      wire [31:0]      spi;
      wire [31:0]      seq;
      wire [7:0]       nh;
      wire [31:0]      src;
      wire [15:0]      sport;
      wire [15:0]      len;
      wire [IDX_W-1:0] st_index;
      wire [`LM_DROP_REASON_W-1:0] st_reason;
      wire [15:0]      st_bytes;

      lm_esp_decap #(.CAPACITY(CAPACITY), .MAX_WIN_LOG2(MAX_WIN_LOG2), .BEAT_W(BEAT_W)) decap (
          .clk(clk), .rst(rst),
          .s_axis_tdata(l_in_tdata), .s_axis_tkeep(l_in_tkeep), .s_axis_tvalid(l_in_tvalid[g]),
          .s_axis_tready(l_in_tready[g]), .s_axis_tlast(l_in_tlast),
          .s_hdr_valid(l_in_hdr_valid[g]), .s_hdr_ready(l_in_hdr_ready[g]),
          .s_hdr_hit(l_in_hdr[0]), .s_hdr_index(l_in_hdr[IDX_W:1]),
          .s_hdr_entry(l_in_hdr[IN_W-1:IDX_W+1]),
          .m_axis_tdata(l_out_tdata[64*g +: 64]), .m_axis_tkeep(l_out_tkeep[8*g +: 8]),
          .m_axis_tvalid(l_out_tvalid[g]), .m_axis_tready(l_out_tready[g]),
          .m_axis_tlast(l_out_tlast[g]),
          .m_hdr_valid(l_out_hdr_valid[g]), .m_hdr_ready(l_out_hdr_ready[g]),
          .m_hdr_reason(reason), .m_hdr_sa_valid(sa_valid), .m_hdr_index(index),
          .m_hdr_spi(spi), .m_hdr_seq(seq), .m_hdr_next_header(nh), .m_hdr_src_addr(src),
          .m_hdr_src_port(sport), .m_hdr_len(len),
          .stat_valid(l_stat_valid[g]), .stat_index(st_index), .stat_reason(st_reason),
          .stat_bytes(st_bytes));

      assign l_out_hdr[OUT_W*g +: OUT_W] = {len, sport, src, nh, seq, spi, index, sa_valid, reason};
      assign l_stat[STAT_W*g +: STAT_W]  = {st_bytes, st_reason, st_index};
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

  assign {m_hdr_len, m_hdr_src_port, m_hdr_src_addr, m_hdr_next_header, m_hdr_seq, m_hdr_spi,
          m_hdr_index, m_hdr_sa_valid, m_hdr_reason} = out_hdr;

  lm_esp_arb #(.LANES(LANES), .W(STAT_W)) stat_arb (
      .clk(clk), .rst(rst), .in_valid(l_stat_valid), .in_data(l_stat),
      .out_valid(stat_valid), .out_data(stat));

  assign {stat_bytes, stat_reason, stat_index} = stat;

endmodule

`default_nettype wire
