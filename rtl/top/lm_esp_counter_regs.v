//======================================================================
// lm_esp_counter_regs.v
// ---------------------
// The `decap` or `encap` register block: PACKETS counts packets with
// status NONE, DROP_COUNT[r] packets dropped with drop_reason r
// (DROP_COUNT[NONE] stays 0). One status per clock at most; counters
// are 32 bits and wrap. Read only; the block's addresses and identity
// come in as parameters (lm_top passes the generated LM_*_DECAP_* or
// LM_*_ENCAP_* values).
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_esp_counter_regs #(
    // AXI-Lite address width
    parameter integer ADDR_W = `LM_ADDR_WIDTH,
    // Block identity
    parameter [31:0] TYPE_ID = `LM_DECAP_TYPE_ID,
    parameter [31:0] VERSION_ID = `LM_DECAP_VERSION_ID,
    parameter [31:0] NEXT_PTR = `LM_DECAP_NEXT_PTR,
    // Register addresses
    parameter [ADDR_W-1:0] ADDR_TYPE = `LM_ADDR_DECAP_TYPE,
    parameter [ADDR_W-1:0] ADDR_VERSION = `LM_ADDR_DECAP_VERSION,
    parameter [ADDR_W-1:0] ADDR_NEXT = `LM_ADDR_DECAP_NEXT,
    parameter [ADDR_W-1:0] ADDR_PACKETS = `LM_ADDR_DECAP_PACKETS,
    parameter [ADDR_W-1:0] ADDR_DROP = `LM_ADDR_DECAP_DROP_COUNT
) (
    input  wire              clk,
    input  wire              rst,

    // One status per packet
    input  wire              cnt_valid,
    input  wire [`LM_DROP_REASON_W-1:0] cnt_reason,

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

  localparam DROP_N = `LM_DECAP_DROP_COUNT_COUNT;
  localparam DROP_IDX_W = $clog2(DROP_N);
  localparam [ADDR_W-1:0] DROP_BYTES = DROP_N * 4;

  reg [31:0] packets_reg;
  reg [31:0] drop_reg [0:DROP_N-1];

  wire              wr_req;
  wire [ADDR_W-1:0] wr_addr;
  wire [31:0]       wr_data;
  wire [3:0]        wr_strb;
  wire              rd_req;
  wire [ADDR_W-1:0] rd_addr;
  reg  [31:0]       rd_data;

  wire [ADDR_W-1:0] drop_off = rd_addr - ADDR_DROP;
  wire [31:0]       drop_read = drop_reg[drop_off[2 +: DROP_IDX_W]];
  wire _unused_ok = &{1'b0, wr_req, wr_addr, wr_data, wr_strb, rd_req, drop_off[1:0]};

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

  integer i;
  always @(posedge clk) begin : reg_update
    if (rst) begin
      packets_reg <= 32'h0;
      for (i = 0; i < DROP_N; i = i + 1)
        drop_reg[i] <= 32'h0;
    end else if (cnt_valid) begin
      if (cnt_reason == `LM_DROP_REASON_NONE)
        packets_reg <= packets_reg + 32'd1;
      else
        drop_reg[cnt_reason[DROP_IDX_W-1:0]] <= drop_reg[cnt_reason[DROP_IDX_W-1:0]] + 32'd1;
    end
  end

  always @* begin : read_decode
    rd_data = 32'h0;
    if (rd_addr == ADDR_TYPE) rd_data = TYPE_ID;
    else if (rd_addr == ADDR_VERSION) rd_data = VERSION_ID;
    else if (rd_addr == ADDR_NEXT) rd_data = NEXT_PTR;
    else if (rd_addr == ADDR_PACKETS) rd_data = packets_reg;
    else if (drop_off < DROP_BYTES) rd_data = drop_read;
  end

endmodule // lm_esp_counter_regs

`default_nettype wire
