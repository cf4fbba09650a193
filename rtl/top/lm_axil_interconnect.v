//======================================================================
// lm_axil_interconnect.v
// ----------------------
// One AXI-Lite master to SLAVES register blocks, decoded by address:
// slave s owns [BASES[s], BASES[s] + SPANS[s]) (spans powers of two,
// bases aligned to them). One write and one read are in flight at a
// time, each independent of the other. The AW and W beats are taken
// together, then forwarded to the selected slave; its B (R) beat is
// passed back. An address no slave owns is answered here: writes are
// ignored, reads return 0, responses OKAY (the blocks' own rule for
// holes).
//======================================================================
`default_nettype none

module lm_axil_interconnect #(
    // Number of slaves
    parameter integer SLAVES = 6,
    // AXI-Lite address width
    parameter integer ADDR_W = 16,
    // Base byte address of slave s in bits s*ADDR_W +: ADDR_W
    parameter [SLAVES*ADDR_W-1:0] BASES = {SLAVES*ADDR_W{1'b0}},
    // Span in bytes (a power of two) of slave s in bits s*ADDR_W +: ADDR_W
    parameter [SLAVES*ADDR_W-1:0] SPANS = {SLAVES*ADDR_W{1'b0}}
) (
    input  wire                     clk,
    input  wire                     rst,

    // From the master
    input  wire [ADDR_W-1:0]        s_axil_awaddr,
    input  wire                     s_axil_awvalid,
    output wire                     s_axil_awready,
    input  wire [31:0]              s_axil_wdata,
    input  wire [3:0]               s_axil_wstrb,
    input  wire                     s_axil_wvalid,
    output wire                     s_axil_wready,
    output wire [1:0]               s_axil_bresp,
    output wire                     s_axil_bvalid,
    input  wire                     s_axil_bready,
    input  wire [ADDR_W-1:0]        s_axil_araddr,
    input  wire                     s_axil_arvalid,
    output wire                     s_axil_arready,
    output wire [31:0]              s_axil_rdata,
    output wire [1:0]               s_axil_rresp,
    output wire                     s_axil_rvalid,
    input  wire                     s_axil_rready,

    // To the slaves: address and data shared, valid/ready per slave
    output wire [ADDR_W-1:0]        m_axil_awaddr,
    output wire [SLAVES-1:0]        m_axil_awvalid,
    input  wire [SLAVES-1:0]        m_axil_awready,
    output wire [31:0]              m_axil_wdata,
    output wire [3:0]               m_axil_wstrb,
    output wire [SLAVES-1:0]        m_axil_wvalid,
    input  wire [SLAVES-1:0]        m_axil_wready,
    input  wire [2*SLAVES-1:0]      m_axil_bresp,
    input  wire [SLAVES-1:0]        m_axil_bvalid,
    output wire [SLAVES-1:0]        m_axil_bready,
    output wire [ADDR_W-1:0]        m_axil_araddr,
    output wire [SLAVES-1:0]        m_axil_arvalid,
    input  wire [SLAVES-1:0]        m_axil_arready,
    input  wire [32*SLAVES-1:0]     m_axil_rdata,
    input  wire [2*SLAVES-1:0]      m_axil_rresp,
    input  wire [SLAVES-1:0]        m_axil_rvalid,
    output wire [SLAVES-1:0]        m_axil_rready
);

  localparam [1:0] ST_IDLE = 2'd0;  // waiting for a request
  localparam [1:0] ST_REQ  = 2'd1;  // request presented to the slave
  localparam [1:0] ST_RESP = 2'd2;  // waiting for the slave's response
  localparam [1:0] ST_HOLE = 2'd3;  // answering an unmapped address here

  localparam [1:0] RESP_OKAY = 2'b00;

  function automatic [SLAVES-1:0] decode(input [ADDR_W-1:0] addr);
    integer s;
    reg [ADDR_W-1:0] mask;
    begin
      decode = {SLAVES{1'b0}};
      for (s = 0; s < SLAVES; s = s + 1) begin
        mask = ~(SPANS[s*ADDR_W +: ADDR_W] - 1'b1);
        if ((addr & mask) == BASES[s*ADDR_W +: ADDR_W])
          decode[s] = 1'b1;
      end
    end
  endfunction

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg [1:0]        wst_reg;
  reg [1:0]        wst_new;
  reg              wst_we;
  reg [ADDR_W-1:0] waddr_reg;
  reg [31:0]       wdata_reg;
  reg [3:0]        wstrb_reg;
  reg [SLAVES-1:0] wsel_reg;
  reg              aw_pend_reg;
  reg              aw_pend_new;
  reg              w_pend_reg;
  reg              w_pend_new;

  reg [1:0]        rst_reg;
  reg [1:0]        rst_new;
  reg              rst_we;
  reg [ADDR_W-1:0] raddr_reg;
  reg [SLAVES-1:0] rsel_reg;

  wire w_take = (wst_reg == ST_IDLE) && s_axil_awvalid && s_axil_wvalid;
  wire r_take = (rst_reg == ST_IDLE) && s_axil_arvalid;
  wire [SLAVES-1:0] w_dec = decode(s_axil_awaddr);
  wire [SLAVES-1:0] r_dec = decode(s_axil_araddr);

  // Response mux
  reg        bvalid_mux;
  reg [1:0]  bresp_mux;
  reg        rvalid_mux;
  reg [1:0]  rresp_mux;
  reg [31:0] rdata_mux;
  integer    k;
  always @* begin : resp_mux
    bvalid_mux = 1'b0;
    bresp_mux  = RESP_OKAY;
    rvalid_mux = 1'b0;
    rresp_mux  = RESP_OKAY;
    rdata_mux  = 32'h0;
    for (k = 0; k < SLAVES; k = k + 1) begin
      if (wsel_reg[k]) begin
        bvalid_mux = m_axil_bvalid[k];
        bresp_mux  = m_axil_bresp[2*k +: 2];
      end
      if (rsel_reg[k]) begin
        rvalid_mux = m_axil_rvalid[k];
        rresp_mux  = m_axil_rresp[2*k +: 2];
        rdata_mux  = m_axil_rdata[32*k +: 32];
      end
    end
  end

  assign s_axil_awready = w_take;
  assign s_axil_wready  = w_take;
  assign s_axil_bvalid  = (wst_reg == ST_HOLE) || ((wst_reg == ST_RESP) && bvalid_mux);
  assign s_axil_bresp   = (wst_reg == ST_HOLE) ? RESP_OKAY : bresp_mux;
  assign s_axil_arready = r_take;
  assign s_axil_rvalid  = (rst_reg == ST_HOLE) || ((rst_reg == ST_RESP) && rvalid_mux);
  assign s_axil_rresp   = (rst_reg == ST_HOLE) ? RESP_OKAY : rresp_mux;
  assign s_axil_rdata   = (rst_reg == ST_HOLE) ? 32'h0 : rdata_mux;

  assign m_axil_awaddr  = waddr_reg;
  assign m_axil_wdata   = wdata_reg;
  assign m_axil_wstrb   = wstrb_reg;
  assign m_axil_awvalid = (wst_reg == ST_REQ && aw_pend_reg) ? wsel_reg : {SLAVES{1'b0}};
  assign m_axil_wvalid  = (wst_reg == ST_REQ && w_pend_reg) ? wsel_reg : {SLAVES{1'b0}};
  assign m_axil_bready  = (wst_reg == ST_RESP && s_axil_bready) ? wsel_reg : {SLAVES{1'b0}};
  assign m_axil_araddr  = raddr_reg;
  assign m_axil_arvalid = (rst_reg == ST_REQ) ? rsel_reg : {SLAVES{1'b0}};
  assign m_axil_rready  = (rst_reg == ST_RESP && s_axil_rready) ? rsel_reg : {SLAVES{1'b0}};

  wire aw_ok = |(m_axil_awvalid & m_axil_awready);
  wire w_ok  = |(m_axil_wvalid & m_axil_wready);
  wire ar_ok = |(m_axil_arvalid & m_axil_arready);

  always @(posedge clk) begin : reg_update
    if (rst) begin
      wst_reg     <= ST_IDLE;
      waddr_reg   <= {ADDR_W{1'b0}};
      wdata_reg   <= 32'h0;
      wstrb_reg   <= 4'h0;
      wsel_reg    <= {SLAVES{1'b0}};
      aw_pend_reg <= 1'b0;
      w_pend_reg  <= 1'b0;
      rst_reg     <= ST_IDLE;
      raddr_reg   <= {ADDR_W{1'b0}};
      rsel_reg    <= {SLAVES{1'b0}};
    end else begin
      if (wst_we) wst_reg <= wst_new;
      aw_pend_reg <= aw_pend_new;
      w_pend_reg  <= w_pend_new;
      if (w_take) begin
        waddr_reg <= s_axil_awaddr;
        wdata_reg <= s_axil_wdata;
        wstrb_reg <= s_axil_wstrb;
        wsel_reg  <= w_dec;
      end
      if (rst_we) rst_reg <= rst_new;
      if (r_take) begin
        raddr_reg <= s_axil_araddr;
        rsel_reg  <= r_dec;
      end
    end
  end

  always @* begin : write_fsm
    wst_new     = wst_reg;
    wst_we      = 1'b0;
    aw_pend_new = aw_pend_reg && !aw_ok;
    w_pend_new  = w_pend_reg && !w_ok;
    case (wst_reg)
      ST_IDLE: begin
        if (w_take) begin
          wst_new     = (|w_dec) ? ST_REQ : ST_HOLE;
          wst_we      = 1'b1;
          aw_pend_new = 1'b1;
          w_pend_new  = 1'b1;
        end
      end
      ST_REQ: begin
        if (!aw_pend_new && !w_pend_new) begin
          wst_new = ST_RESP;
          wst_we  = 1'b1;
        end
      end
      ST_RESP: begin
        if (bvalid_mux && s_axil_bready) begin
          wst_new = ST_IDLE;
          wst_we  = 1'b1;
        end
      end
      default: begin  // ST_HOLE
        if (s_axil_bready) begin
          wst_new = ST_IDLE;
          wst_we  = 1'b1;
        end
      end
    endcase
  end

  always @* begin : read_fsm
    rst_new = rst_reg;
    rst_we  = 1'b0;
    case (rst_reg)
      ST_IDLE: begin
        if (r_take) begin
          rst_new = (|r_dec) ? ST_REQ : ST_HOLE;
          rst_we  = 1'b1;
        end
      end
      ST_REQ: begin
        if (ar_ok) begin
          rst_new = ST_RESP;
          rst_we  = 1'b1;
        end
      end
      ST_RESP: begin
        if (rvalid_mux && s_axil_rready) begin
          rst_new = ST_IDLE;
          rst_we  = 1'b1;
        end
      end
      default: begin  // ST_HOLE
        if (s_axil_rready) begin
          rst_new = ST_IDLE;
          rst_we  = 1'b1;
        end
      end
    endcase
  end

endmodule // lm_axil_interconnect

`default_nettype wire
