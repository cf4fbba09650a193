//======================================================================
// lm_axil_slave.v
// ---------------
// The AXI-Lite slave handshake every register block of the line module
// uses. It turns the five AXI-Lite channels into a simple register
// port:
//
//   write: wr_req with wr_addr / wr_data / wr_strb while an address and
//          a data beat are both held; the block takes the write in the
//          cycle it raises wr_ready (it may hold wr_ready low, e.g.
//          while busy: B is then held back); BRESP is always OKAY.
//   read:  rd_req for one cycle with rd_addr (the AR address as
//          presented); the block answers with rd_data combinationally
//          in the same cycle, the slave registers it and raises RVALID
//          the next cycle; RRESP is always OKAY.
//
// AWREADY and WREADY are high while the address (data) holding
// register is empty, so the master may present AW and W in any order.
// ARREADY is high while no read response is pending.
//======================================================================
`default_nettype none

module lm_axil_slave #(
    // AXI-Lite address width: the line module's register address space
    parameter integer ADDR_W = 16
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
    input  wire              s_axil_rready,

    // Register write port
    output wire              wr_req,
    output wire [ADDR_W-1:0] wr_addr,
    output wire [31:0]       wr_data,
    output wire [3:0]        wr_strb,
    input  wire              wr_ready,

    // Register read port
    output wire              rd_req,
    output wire [ADDR_W-1:0] rd_addr,
    input  wire [31:0]       rd_data
);

  localparam [1:0] RESP_OKAY = 2'b00;

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg              aw_full_reg;
  reg              aw_full_new;
  reg              aw_full_we;
  reg [ADDR_W-1:0] aw_addr_reg;
  reg              w_full_reg;
  reg              w_full_new;
  reg              w_full_we;
  reg [31:0]       w_data_reg;
  reg [3:0]        w_strb_reg;
  reg              bvalid_reg;
  reg              bvalid_new;
  reg              bvalid_we;
  reg              rvalid_reg;
  reg              rvalid_new;
  reg              rvalid_we;
  reg [31:0]       rdata_reg;

  wire aw_take = s_axil_awvalid && !aw_full_reg;
  wire w_take  = s_axil_wvalid && !w_full_reg;
  wire wr_do   = aw_full_reg && w_full_reg && !bvalid_reg && wr_ready;
  wire ar_fire = s_axil_arvalid && !rvalid_reg;

  assign s_axil_awready = !aw_full_reg;
  assign s_axil_wready  = !w_full_reg;
  assign s_axil_bresp   = RESP_OKAY;
  assign s_axil_bvalid  = bvalid_reg;
  assign s_axil_arready = !rvalid_reg;
  assign s_axil_rdata   = rdata_reg;
  assign s_axil_rresp   = RESP_OKAY;
  assign s_axil_rvalid  = rvalid_reg;

  assign wr_req  = aw_full_reg && w_full_reg && !bvalid_reg;
  assign wr_addr = aw_addr_reg;
  assign wr_data = w_data_reg;
  assign wr_strb = w_strb_reg;
  assign rd_req  = ar_fire;
  assign rd_addr = s_axil_araddr;

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      aw_full_reg <= 1'b0;
      aw_addr_reg <= {ADDR_W{1'b0}};
      w_full_reg  <= 1'b0;
      w_data_reg  <= 32'h0;
      w_strb_reg  <= 4'h0;
      bvalid_reg  <= 1'b0;
      rvalid_reg  <= 1'b0;
      rdata_reg   <= 32'h0;
    end else begin
      if (aw_take) aw_addr_reg <= s_axil_awaddr;
      if (aw_full_we) aw_full_reg <= aw_full_new;
      if (w_take) begin
        w_data_reg <= s_axil_wdata;
        w_strb_reg <= s_axil_wstrb;
      end
      if (w_full_we) w_full_reg <= w_full_new;
      if (bvalid_we) bvalid_reg <= bvalid_new;
      if (rvalid_we) rvalid_reg <= rvalid_new;
      if (ar_fire) rdata_reg <= rd_data;
    end
  end

  //----------------------------------------------------------------
  // handshake_logic
  //----------------------------------------------------------------
  always @* begin : handshake_logic
    aw_full_new = 1'b0;
    aw_full_we  = 1'b0;
    w_full_new  = 1'b0;
    w_full_we   = 1'b0;
    bvalid_new  = 1'b0;
    bvalid_we   = 1'b0;
    rvalid_new  = 1'b0;
    rvalid_we   = 1'b0;

    if (aw_take) begin
      aw_full_new = 1'b1;
      aw_full_we  = 1'b1;
    end
    if (w_take) begin
      w_full_new = 1'b1;
      w_full_we  = 1'b1;
    end
    if (wr_do) begin
      aw_full_new = 1'b0;
      aw_full_we  = 1'b1;
      w_full_new  = 1'b0;
      w_full_we   = 1'b1;
      bvalid_new  = 1'b1;
      bvalid_we   = 1'b1;
    end
    if (bvalid_reg && s_axil_bready) begin
      bvalid_new = 1'b0;
      bvalid_we  = 1'b1;
    end

    if (ar_fire) begin
      rvalid_new = 1'b1;
      rvalid_we  = 1'b1;
    end else if (rvalid_reg && s_axil_rready) begin
      rvalid_new = 1'b0;
      rvalid_we  = 1'b1;
    end
  end

endmodule // lm_axil_slave

`default_nettype wire
