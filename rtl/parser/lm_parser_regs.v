//======================================================================
// lm_parser_regs.v
// ----------------
// AXI-Lite register block of the NAT-T parser: the `parser` block of
// rtl/regmap/lm_regmap.yaml. TYPE, VERSION and NEXT describe the block;
// CLASS_COUNT[i] counts frames of pkt_class i and DROP_COUNT[r] frames
// dropped with drop_reason r (NAT keepalives under NAT_KEEPALIVE;
// DROP_COUNT[NONE] stays 0: those frames were not dropped).
//
// Counters are 32 bits and wrap (software takes differences modulo
// 2^32). They live in distributed RAM with one read-modify-write per
// clock, so a verdict per clock is counted. After reset the block walks
// the RAMs to zero them (one entry per clock, DROP_COUNT_COUNT clocks);
// stat_ready is low meanwhile and the parser takes no input.
//
// All registers are read only; writes are accepted and ignored
// (response OKAY). Reads outside the registers return 0.
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_parser_regs #(
  // AXI-Lite address width: the line module's register address space.
  parameter ADDR_WIDTH = `LM_ADDR_WIDTH
) (
  input  wire                         clk,
  input  wire                         rst,

  // One pulse per verdict from lm_natt_parser.
  input  wire                         stat_valid,
  input  wire [`LM_PKT_CLASS_W-1:0]   stat_pkt_class,
  input  wire [`LM_DROP_REASON_W-1:0] stat_drop_reason,
  output wire                         stat_ready,

  // AXI-Lite slave, 32-bit.
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

  //----------------------------------------------------------------
  // Map constants.
  //----------------------------------------------------------------
  localparam CLASS_N     = `LM_PARSER_CLASS_COUNT_COUNT;
  localparam DROP_N      = `LM_PARSER_DROP_COUNT_COUNT;
  localparam CLASS_IDX_W = $clog2(CLASS_N);
  localparam DROP_IDX_W  = $clog2(DROP_N);
  localparam CLR_N       = (DROP_N > CLASS_N) ? DROP_N : CLASS_N;
  localparam CLR_W       = $clog2(CLR_N);

  localparam [ADDR_WIDTH-1:0] ADDR_TYPE    = `LM_ADDR_PARSER_TYPE;
  localparam [ADDR_WIDTH-1:0] ADDR_VERSION = `LM_ADDR_PARSER_VERSION;
  localparam [ADDR_WIDTH-1:0] ADDR_NEXT    = `LM_ADDR_PARSER_NEXT;
  localparam [ADDR_WIDTH-1:0] ADDR_CLASS   = `LM_ADDR_PARSER_CLASS_COUNT;
  localparam [ADDR_WIDTH-1:0] ADDR_DROP    = `LM_ADDR_PARSER_DROP_COUNT;
  localparam [ADDR_WIDTH-1:0] CLASS_BYTES  = CLASS_N * 4;
  localparam [ADDR_WIDTH-1:0] DROP_BYTES   = DROP_N * 4;
  // The clear walk visits every index of the wider RAM's address.
  localparam [CLR_W-1:0]      CLR_LAST     = {CLR_W{1'b1}};
  localparam [CLR_W:0]        CLASS_N_W    = CLASS_N[CLR_W:0];
  localparam [CLR_W:0]        DROP_N_W     = DROP_N[CLR_W:0];

  //----------------------------------------------------------------
  // Counter RAMs (no reset: cleared by the walk after reset).
  //----------------------------------------------------------------
  reg [31:0] class_mem [0:CLASS_N-1];
  reg [31:0] drop_mem  [0:DROP_N-1];

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg             clr_busy_reg;
  reg             clr_busy_new;
  reg [CLR_W-1:0] clr_idx_reg;
  reg [CLR_W-1:0] clr_idx_new;

  reg [31:0]      rdata_new;

  //----------------------------------------------------------------
  // Wires.
  //----------------------------------------------------------------
  reg                   class_we;
  reg [CLASS_IDX_W-1:0] class_waddr;
  reg [31:0]            class_wdata;
  reg                   drop_we;
  reg [DROP_IDX_W-1:0]  drop_waddr;
  reg [31:0]            drop_wdata;

  // AXI-Lite register port (lm_axil_slave does the handshakes).
  wire                  wr_req;
  wire [ADDR_WIDTH-1:0] wr_addr;
  wire [31:0]           wr_data;
  wire [3:0]            wr_strb;
  wire                  rd_req;
  wire [ADDR_WIDTH-1:0] rd_addr;

  wire [ADDR_WIDTH-1:0] class_off = rd_addr - ADDR_CLASS;
  wire [ADDR_WIDTH-1:0] drop_off  = rd_addr - ADDR_DROP;
  wire [ADDR_WIDTH-1:0] word_addr = {rd_addr[ADDR_WIDTH-1:2], 2'b00};

  // Asynchronous read ports: one for the increment, one for AXI-Lite.
  wire [31:0] class_cur  = class_mem[stat_pkt_class];
  wire [31:0] drop_cur   = drop_mem[stat_drop_reason];
  wire [31:0] class_read = class_mem[class_off[2 +: CLASS_IDX_W]];
  wire [31:0] drop_read  = drop_mem[drop_off[2 +: DROP_IDX_W]];

  assign stat_ready     = !clr_busy_reg;

  lm_axil_slave #(
    .ADDR_W(ADDR_WIDTH)
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
    .rd_data(rdata_new)
  );

  // Read only: writes are taken and ignored; reads have no side effects.
  wire _unused_ok = &{1'b0, wr_req, wr_addr, wr_data, wr_strb, rd_req, s_axil_awprot,
                      s_axil_arprot, rd_addr[1:0], class_off[1:0], drop_off[1:0]};

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      clr_busy_reg <= 1'b1;
      clr_idx_reg  <= {CLR_W{1'b0}};
    end else begin
      clr_busy_reg <= clr_busy_new;
      clr_idx_reg  <= clr_idx_new;
    end
  end

  always @(posedge clk) begin : mem_update
    if (class_we)
      class_mem[class_waddr] <= class_wdata;
    if (drop_we)
      drop_mem[drop_waddr] <= drop_wdata;
  end

  //----------------------------------------------------------------
  // count_logic
  // Clears the RAMs after reset, then adds one per verdict.
  //----------------------------------------------------------------
  always @* begin : count_logic
    clr_busy_new = clr_busy_reg;
    clr_idx_new  = clr_idx_reg;
    if (clr_busy_reg) begin
      clr_idx_new  = clr_idx_reg + 1'b1;
      clr_busy_new = clr_idx_reg != CLR_LAST;
    end

    if (clr_busy_reg) begin
      class_we    = {1'b0, clr_idx_reg} < CLASS_N_W;
      class_waddr = clr_idx_reg[CLASS_IDX_W-1:0];
      class_wdata = 32'd0;
      drop_we     = {1'b0, clr_idx_reg} < DROP_N_W;
      drop_waddr  = clr_idx_reg[DROP_IDX_W-1:0];
      drop_wdata  = 32'd0;
    end else begin
      class_we    = stat_valid;
      class_waddr = stat_pkt_class;
      class_wdata = class_cur + 32'd1;
      drop_we     = stat_valid && stat_drop_reason != `LM_DROP_REASON_NONE;
      drop_waddr  = stat_drop_reason;
      drop_wdata  = drop_cur + 32'd1;
    end
  end

  //----------------------------------------------------------------
  // read_decode
  //----------------------------------------------------------------
  always @* begin : read_decode
    rdata_new = 32'd0;
    if (word_addr == ADDR_TYPE)
      rdata_new = `LM_PARSER_TYPE_ID;
    else if (word_addr == ADDR_VERSION)
      rdata_new = `LM_PARSER_VERSION_ID;
    else if (word_addr == ADDR_NEXT)
      rdata_new = `LM_PARSER_NEXT_PTR;
    else if (class_off < CLASS_BYTES)
      rdata_new = class_read;
    else if (drop_off < DROP_BYTES)
      rdata_new = drop_read;
  end

endmodule // lm_parser_regs

`default_nettype wire
