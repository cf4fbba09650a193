//======================================================================
// lm_esp_collect.v
// ----------------
// In-order collector behind LANES ESP lanes: follows the dispatcher's
// order FIFO, passes the status beat of the lane at its head, then,
// when the status says NONE (bits REASON_LSB+4:REASON_LSB zero), that
// lane's packet up to tlast. Packets leave in arrival order.
//======================================================================
`default_nettype none

module lm_esp_collect #(
    // Number of lanes
    parameter integer LANES = 4,
    // Status bits per packet
    parameter integer HDR_W = 64,
    // First bit of the 5-bit drop reason in the status
    parameter integer REASON_LSB = 0,
    // log2 of the lane count
    parameter integer LANE_W = (LANES > 1) ? $clog2(LANES) : 1
) (
    input  wire                     clk,
    input  wire                     rst,

    input  wire                     order_valid,
    output wire                     order_ready,
    input  wire [LANE_W-1:0]        order_lane,

    input  wire [64*LANES-1:0]      l_axis_tdata,
    input  wire [8*LANES-1:0]       l_axis_tkeep,
    input  wire [LANES-1:0]         l_axis_tvalid,
    output wire [LANES-1:0]         l_axis_tready,
    input  wire [LANES-1:0]         l_axis_tlast,
    input  wire [LANES-1:0]         l_hdr_valid,
    output wire [LANES-1:0]         l_hdr_ready,
    input  wire [HDR_W*LANES-1:0]   l_hdr,

    output wire [63:0]              m_axis_tdata,
    output wire [7:0]               m_axis_tkeep,
    output wire                     m_axis_tvalid,
    input  wire                     m_axis_tready,
    output wire                     m_axis_tlast,
    output wire                     m_hdr_valid,
    input  wire                     m_hdr_ready,
    output wire [HDR_W-1:0]         m_hdr
);

  localparam ST_HDR  = 1'b0;
  localparam ST_DATA = 1'b1;

  reg state_reg;
  reg state_new;
  reg state_we;

  wire [LANES-1:0]  sel = {{(LANES-1){1'b0}}, 1'b1} << order_lane;
  wire [HDR_W-1:0]  hdr = l_hdr[HDR_W*order_lane +: HDR_W];
  wire              has_data = (hdr[REASON_LSB +: 5] == 5'd0);
  wire              hdr_fire = (state_reg == ST_HDR) && order_valid && l_hdr_valid[order_lane] &&
                               m_hdr_ready;
  wire              data_fire = (state_reg == ST_DATA) && l_axis_tvalid[order_lane] &&
                                m_axis_tready;

  assign m_hdr_valid   = (state_reg == ST_HDR) && order_valid && l_hdr_valid[order_lane];
  assign m_hdr         = hdr;
  assign l_hdr_ready   = ((state_reg == ST_HDR) && order_valid && m_hdr_ready) ? sel : {LANES{1'b0}};
  assign m_axis_tvalid = (state_reg == ST_DATA) && l_axis_tvalid[order_lane];
  assign m_axis_tdata  = l_axis_tdata[64*order_lane +: 64];
  assign m_axis_tkeep  = l_axis_tkeep[8*order_lane +: 8];
  assign m_axis_tlast  = l_axis_tlast[order_lane];
  assign l_axis_tready = ((state_reg == ST_DATA) && m_axis_tready) ? sel : {LANES{1'b0}};
  assign order_ready   = (hdr_fire && !has_data) || (data_fire && l_axis_tlast[order_lane]);

  always @(posedge clk) begin : reg_update
    if (rst) state_reg <= ST_HDR;
    else if (state_we) state_reg <= state_new;
  end

  always @* begin : ctrl_fsm
    state_new = state_reg;
    state_we  = 1'b0;
    if (hdr_fire && has_data) begin
      state_new = ST_DATA;
      state_we  = 1'b1;
    end
    if (data_fire && l_axis_tlast[order_lane]) begin
      state_new = ST_HDR;
      state_we  = 1'b1;
    end
  end

endmodule

`default_nettype wire
