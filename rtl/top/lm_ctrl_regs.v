//======================================================================
// lm_ctrl_regs.v
// --------------
// The `ctrl` register block: CONTROL (ENABLE, NAT_PASSTHROUGH,
// SOFT_RESET), interrupts (IRQ_STATUS / IRQ_ENABLE and the irq
// output), the EVENT FIFO (pushed by the encap lanes, popped by
// reading EVENT), the MAC addresses the encap path's Ethernet header
// uses, and the ENABLE=0 discard counters.
//
// IRQ_STATUS: EVENT is "the event FIFO is not empty" and RX "a packet
// header waits on the host receive channel" (levels: writing one does
// nothing, they clear when their cause goes); ERROR is set when an
// event is lost to a full FIFO and cleared by writing one.
// SOFT_RESET: writing CONTROL with bit 31 set gives a one-cycle
// soft_reset pulse (the datapath resets, the SA table and the register
// blocks keep their state); the bit reads 0.
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_ctrl_regs #(
    // AXI-Lite address width
    parameter integer ADDR_W = `LM_ADDR_WIDTH,
    // SA index bits of the events
    parameter integer IDX_W = 12,
    // log2 of the EVENT FIFO depth
    parameter integer EVENT_DEPTH_LOG2 = 4
) (
    input  wire              clk,
    input  wire              rst,

    output wire              enable,
    output wire              nat_passthrough,
    output wire              soft_reset,
    output wire [47:0]       local_mac,    // byte 0 in bits 47:40
    output wire [47:0]       gateway_mac,  // byte 0 in bits 47:40
    output wire              irq,

    input  wire              event_valid,
    input  wire [IDX_W-1:0]  event_index,
    input  wire [`LM_EVENT_KIND_W-1:0] event_kind,
    input  wire              rx_pending,
    input  wire              rx_discard,
    input  wire              tx_discard,

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

  localparam integer EV_W = IDX_W + `LM_EVENT_KIND_W;
  localparam integer IRQ_W = `LM_CTRL_IRQ_STATUS_ERROR_LSB + 1;

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg              enable_reg;
  reg              natpt_reg;
  reg              soft_reset_reg;
  reg [IRQ_W-1:0]  irq_enable_reg;
  reg              error_reg;
  reg [47:0]       local_mac_reg;
  reg [47:0]       gateway_mac_reg;
  reg [31:0]       rx_discards_reg;
  reg [31:0]       tx_discards_reg;
  reg [31:0]       event_lost_reg;

  wire              wr_req;
  wire [ADDR_W-1:0] wr_addr;
  wire [31:0]       wr_data;
  wire [3:0]        wr_strb;
  wire              rd_req;
  wire [ADDR_W-1:0] rd_addr;
  reg  [31:0]       rd_data;

  wire [EV_W-1:0]   ev_head;
  wire              ev_valid;
  wire              ev_wr_ready;
  wire              ev_pop = rd_req && (rd_addr == `LM_ADDR_CTRL_EVENT) && ev_valid;
  wire              ev_lost = event_valid && !ev_wr_ready;

  wire _unused_ok = &{1'b0, wr_strb};

  reg [IRQ_W-1:0] irq_status;
  always @* begin : irq_logic
    irq_status = {IRQ_W{1'b0}};
    irq_status[`LM_CTRL_IRQ_STATUS_EVENT_LSB] = ev_valid;
    irq_status[`LM_CTRL_IRQ_STATUS_RX_LSB]    = rx_pending;
    irq_status[`LM_CTRL_IRQ_STATUS_ERROR_LSB] = error_reg;
  end

  assign enable          = enable_reg;
  assign nat_passthrough = natpt_reg;
  assign soft_reset      = soft_reset_reg;
  assign local_mac       = local_mac_reg;
  assign gateway_mac     = gateway_mac_reg;
  assign irq             = |(irq_status & irq_enable_reg);

  lm_sync_fifo #(
      .WIDTH(EV_W),
      .DEPTH_LOG2(EVENT_DEPTH_LOG2)
  ) events (
      .clk(clk),
      .rst(rst),
      .wr_data({event_kind, event_index}),
      .wr_valid(event_valid),
      .wr_ready(ev_wr_ready),
      .rd_data(ev_head),
      .rd_valid(ev_valid),
      .rd_ready(ev_pop));

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

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      enable_reg      <= 1'b0;
      natpt_reg       <= 1'b0;
      soft_reset_reg  <= 1'b0;
      irq_enable_reg  <= {IRQ_W{1'b0}};
      error_reg       <= 1'b0;
      local_mac_reg   <= 48'h0;
      gateway_mac_reg <= 48'h0;
      rx_discards_reg <= 32'h0;
      tx_discards_reg <= 32'h0;
      event_lost_reg  <= 32'h0;
    end else begin
      soft_reset_reg <= 1'b0;
      if (rx_discard) rx_discards_reg <= rx_discards_reg + 32'd1;
      if (tx_discard) tx_discards_reg <= tx_discards_reg + 32'd1;
      if (ev_lost) begin
        event_lost_reg <= event_lost_reg + 32'd1;
        error_reg      <= 1'b1;
      end
      if (wr_req) begin
        case (wr_addr)
          `LM_ADDR_CTRL_CONTROL: begin
            enable_reg     <= wr_data[`LM_CTRL_CONTROL_ENABLE_LSB];
            natpt_reg      <= wr_data[`LM_CTRL_CONTROL_NAT_PASSTHROUGH_LSB];
            soft_reset_reg <= wr_data[`LM_CTRL_CONTROL_SOFT_RESET_LSB];
          end
          `LM_ADDR_CTRL_IRQ_STATUS:
            if (wr_data[`LM_CTRL_IRQ_STATUS_ERROR_LSB] && !ev_lost) error_reg <= 1'b0;
          `LM_ADDR_CTRL_IRQ_ENABLE: irq_enable_reg <= wr_data[IRQ_W-1:0];
          `LM_ADDR_CTRL_LOCAL_MAC_HI:
            local_mac_reg[47:32] <= wr_data[`LM_CTRL_LOCAL_MAC_HI_ADDR_LSB +: `LM_CTRL_LOCAL_MAC_HI_ADDR_W];
          `LM_ADDR_CTRL_LOCAL_MAC_LO: local_mac_reg[31:0] <= wr_data;
          `LM_ADDR_CTRL_GATEWAY_MAC_HI:
            gateway_mac_reg[47:32] <= wr_data[`LM_CTRL_GATEWAY_MAC_HI_ADDR_LSB +: `LM_CTRL_GATEWAY_MAC_HI_ADDR_W];
          `LM_ADDR_CTRL_GATEWAY_MAC_LO: gateway_mac_reg[31:0] <= wr_data;
          default: ;
        endcase
      end
    end
  end

  //----------------------------------------------------------------
  // read_decode
  //----------------------------------------------------------------
  always @* begin : read_decode
    rd_data = 32'h0;
    case (rd_addr)
      `LM_ADDR_CTRL_TYPE:    rd_data = `LM_CTRL_TYPE_ID;
      `LM_ADDR_CTRL_VERSION: rd_data = `LM_CTRL_VERSION_ID;
      `LM_ADDR_CTRL_NEXT:    rd_data = `LM_CTRL_NEXT_PTR;
      `LM_ADDR_CTRL_CONTROL: begin
        rd_data[`LM_CTRL_CONTROL_ENABLE_LSB]          = enable_reg;
        rd_data[`LM_CTRL_CONTROL_NAT_PASSTHROUGH_LSB] = natpt_reg;
      end
      `LM_ADDR_CTRL_IRQ_STATUS: rd_data[IRQ_W-1:0] = irq_status;
      `LM_ADDR_CTRL_IRQ_ENABLE: rd_data[IRQ_W-1:0] = irq_enable_reg;
      `LM_ADDR_CTRL_EVENT: begin
        if (ev_valid) begin
          rd_data[`LM_CTRL_EVENT_SA_INDEX_LSB +: IDX_W]                 = ev_head[IDX_W-1:0];
          rd_data[`LM_CTRL_EVENT_KIND_LSB +: `LM_CTRL_EVENT_KIND_W]     = ev_head[EV_W-1:IDX_W];
          rd_data[`LM_CTRL_EVENT_VALID_LSB]                             = 1'b1;
        end
      end
      `LM_ADDR_CTRL_LOCAL_MAC_HI:   rd_data[15:0] = local_mac_reg[47:32];
      `LM_ADDR_CTRL_LOCAL_MAC_LO:   rd_data = local_mac_reg[31:0];
      `LM_ADDR_CTRL_GATEWAY_MAC_HI: rd_data[15:0] = gateway_mac_reg[47:32];
      `LM_ADDR_CTRL_GATEWAY_MAC_LO: rd_data = gateway_mac_reg[31:0];
      `LM_ADDR_CTRL_RX_DISCARDS:    rd_data = rx_discards_reg;
      `LM_ADDR_CTRL_TX_DISCARDS:    rd_data = tx_discards_reg;
      `LM_ADDR_CTRL_EVENT_LOST:     rd_data = event_lost_reg;
      default: ;
    endcase
  end

endmodule // lm_ctrl_regs

`default_nettype wire
