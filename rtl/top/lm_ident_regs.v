//======================================================================
// lm_ident_regs.v
// ---------------
// The `ident` register block (offset 0, the head of the block chain):
// module name, RTL version, build identity, capabilities and a scratch
// word. All read only except SCRATCH.
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_ident_regs #(
    // AXI-Lite address width
    parameter integer ADDR_W = `LM_ADDR_WIDTH,
    // NAME[0..3]: ASCII, NUL padded, first character in bits 31:24 of NAME[0]
    parameter [127:0] NAME = {"l2sec-lm", 64'h0},
    // RTL release, major.minor.patch in bytes 2, 1, 0
    parameter [31:0] RTL_VERSION = 32'h00000100,
    // First 32 bits of the source commit (0: not recorded)
    parameter [31:0] BUILD_ID = 32'h0,
    // Build date, BCD yyyymmdd (0: not recorded)
    parameter [31:0] BUILD_DATE = 32'h0,
    // CAPS word (see lm_top: PORTS and the crypto bits)
    parameter [31:0] CAPS = 32'h0
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [ADDR_W-1:0] s_axil_awaddr,
    input  wire              s_axil_awvalid,
    output wire              s_axil_awready,
    input  wire [31:0]       s_axil_wdata,
    input  wire [3:0]        s_axil_wstrb,
    input  wire              s_axil_wvalid,
    output wire              s_axil_wready,
    output wire [1:0]        s_axil_bresp,
    output wire              s_axil_bvalid,
    input  wire              s_axil_bready,
    input  wire [ADDR_W-1:0] s_axil_araddr,
    input  wire              s_axil_arvalid,
    output wire              s_axil_arready,
    output wire [31:0]       s_axil_rdata,
    output wire [1:0]        s_axil_rresp,
    output wire              s_axil_rvalid,
    input  wire              s_axil_rready
);

  localparam [ADDR_W-1:0] NAME_END = `LM_ADDR_IDENT_NAME + 4 * `LM_IDENT_NAME_COUNT;

  reg [31:0] scratch_reg;

  wire              wr_req;
  wire [ADDR_W-1:0] wr_addr;
  wire [31:0]       wr_data;
  wire [3:0]        wr_strb;
  wire              rd_req;
  wire [ADDR_W-1:0] rd_addr;
  reg  [31:0]       rd_data;

  wire [ADDR_W-1:0] name_off = rd_addr - `LM_ADDR_IDENT_NAME;
  wire _unused_ok = &{1'b0, wr_strb, rd_req, name_off[ADDR_W-1:4], name_off[1:0]};

  lm_axil_slave #(
      .ADDR_W(ADDR_W)
  ) axil (
      .clk(clk),
      .rst(rst),
      .s_axil_awaddr(s_axil_awaddr),
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
      .s_axil_arvalid(s_axil_arvalid),
      .s_axil_arready(s_axil_arready),
      .s_axil_rdata(s_axil_rdata),
      .s_axil_rresp(s_axil_rresp),
      .s_axil_rvalid(s_axil_rvalid),
      .s_axil_rready(s_axil_rready),
      .wr_req(wr_req),
      .wr_addr(wr_addr),
      .wr_data(wr_data),
      .wr_strb(wr_strb),
      .wr_ready(1'b1),
      .rd_req(rd_req),
      .rd_addr(rd_addr),
      .rd_data(rd_data));

  always @(posedge clk) begin : reg_update
    if (rst)
      scratch_reg <= 32'h0;
    else if (wr_req && wr_addr == `LM_ADDR_IDENT_SCRATCH)
      scratch_reg <= wr_data;
  end

  always @* begin : read_decode
    rd_data = 32'h0;
    if (rd_addr == `LM_ADDR_IDENT_TYPE) rd_data = `LM_IDENT_TYPE_ID;
    else if (rd_addr == `LM_ADDR_IDENT_VERSION) rd_data = `LM_IDENT_VERSION_ID;
    else if (rd_addr == `LM_ADDR_IDENT_NEXT) rd_data = `LM_IDENT_NEXT_PTR;
    else if (rd_addr >= `LM_ADDR_IDENT_NAME && rd_addr < NAME_END)
      rd_data = NAME[127 - 32 * name_off[3:2] -: 32];
    else if (rd_addr == `LM_ADDR_IDENT_RTL_VERSION) rd_data = RTL_VERSION;
    else if (rd_addr == `LM_ADDR_IDENT_BUILD_ID) rd_data = BUILD_ID;
    else if (rd_addr == `LM_ADDR_IDENT_BUILD_DATE) rd_data = BUILD_DATE;
    else if (rd_addr == `LM_ADDR_IDENT_CAPS) rd_data = CAPS;
    else if (rd_addr == `LM_ADDR_IDENT_SCRATCH) rd_data = scratch_reg;
  end

endmodule // lm_ident_regs

`default_nettype wire
