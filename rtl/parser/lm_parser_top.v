//======================================================================
// lm_parser_top.v
// ---------------
// The line module's NAT-T parser with its counter block: lm_natt_parser
// on the ingress stream, lm_parser_regs on AXI-Lite.
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_parser_top #(
  // log2 of the meta FIFO depth (see lm_natt_parser).
  parameter META_DEPTH_LOG2 = 3,
  // AXI-Lite address width: the line module's register address space.
  parameter ADDR_WIDTH = `LM_ADDR_WIDTH
) (
  input  wire                         clk,
  input  wire                         rst,

  input  wire                         nat_passthrough,

  input  wire [63:0]                  s_axis_tdata,
  input  wire [7:0]                   s_axis_tkeep,
  input  wire                         s_axis_tvalid,
  output wire                         s_axis_tready,
  input  wire                         s_axis_tlast,

  output wire [63:0]                  m_axis_tdata,
  output wire [7:0]                   m_axis_tkeep,
  output wire                         m_axis_tvalid,
  input  wire                         m_axis_tready,
  output wire                         m_axis_tlast,

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

  input  wire [ADDR_WIDTH-1:0]        s_axil_awaddr,
  input  wire [2:0]                   s_axil_awprot,
  input  wire                         s_axil_awvalid,
  output wire                         s_axil_awready,
  input  wire [31:0]                  s_axil_wdata,
  input  wire [3:0]                   s_axil_wstrb,
  input  wire                         s_axil_wvalid,
  output wire                         s_axil_wready,
  output wire [1:0]                   s_axil_bresp,
  output wire                         s_axil_bvalid,
  input  wire                         s_axil_bready,
  input  wire [ADDR_WIDTH-1:0]        s_axil_araddr,
  input  wire [2:0]                   s_axil_arprot,
  input  wire                         s_axil_arvalid,
  output wire                         s_axil_arready,
  output wire [31:0]                  s_axil_rdata,
  output wire [1:0]                   s_axil_rresp,
  output wire                         s_axil_rvalid,
  input  wire                         s_axil_rready
);

  wire                         stat_valid;
  wire [`LM_PKT_CLASS_W-1:0]   stat_pkt_class;
  wire [`LM_DROP_REASON_W-1:0] stat_drop_reason;
  wire                         stat_ready;

  lm_natt_parser #(
    .META_DEPTH_LOG2(META_DEPTH_LOG2)
  ) parser (
    .clk(clk),
    .rst(rst),
    .nat_passthrough(nat_passthrough),
    .stat_ready(stat_ready),
    .s_axis_tdata(s_axis_tdata),
    .s_axis_tkeep(s_axis_tkeep),
    .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tkeep(m_axis_tkeep),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast),
    .m_axis_meta_tvalid(m_axis_meta_tvalid),
    .m_axis_meta_tready(m_axis_meta_tready),
    .m_axis_meta_pkt_class(m_axis_meta_pkt_class),
    .m_axis_meta_drop_reason(m_axis_meta_drop_reason),
    .m_axis_meta_payload_offset(m_axis_meta_payload_offset),
    .m_axis_meta_payload_length(m_axis_meta_payload_length),
    .m_axis_meta_src_addr(m_axis_meta_src_addr),
    .m_axis_meta_dst_addr(m_axis_meta_dst_addr),
    .m_axis_meta_src_port(m_axis_meta_src_port),
    .m_axis_meta_dst_port(m_axis_meta_dst_port),
    .m_axis_meta_frame_len(m_axis_meta_frame_len),
    .stat_valid(stat_valid),
    .stat_pkt_class(stat_pkt_class),
    .stat_drop_reason(stat_drop_reason)
  );

  lm_parser_regs #(
    .ADDR_WIDTH(ADDR_WIDTH)
  ) regs (
    .clk(clk),
    .rst(rst),
    .stat_valid(stat_valid),
    .stat_pkt_class(stat_pkt_class),
    .stat_drop_reason(stat_drop_reason),
    .stat_ready(stat_ready),
    .s_axil_awaddr(s_axil_awaddr),
    .s_axil_awprot(s_axil_awprot),
    .s_axil_awvalid(s_axil_awvalid),
    .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata),
    .s_axil_wstrb(s_axil_wstrb),
    .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready),
    .s_axil_bresp(s_axil_bresp),
    .s_axil_bvalid(s_axil_bvalid),
    .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr),
    .s_axil_arprot(s_axil_arprot),
    .s_axil_arvalid(s_axil_arvalid),
    .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata),
    .s_axil_rresp(s_axil_rresp),
    .s_axil_rvalid(s_axil_rvalid),
    .s_axil_rready(s_axil_rready)
  );

endmodule // lm_parser_top

`default_nettype wire
