//======================================================================
// lm_esp_dispatch.v
// -----------------
// Dispatcher in front of LANES store-and-forward ESP lanes. A packet
// goes to the lane its SA index names (index mod LANES): every SA stays
// on one lane, so each lane's per-SA state (replay window, sequence
// number) sees all of that SA's packets in order, as RSS does for
// flows. The header beat is taken first and held; the packet's beats
// and then the header go to the chosen lane, and the lane number goes
// into the order FIFO the collector follows.
//======================================================================
`default_nettype none

module lm_esp_dispatch #(
    // Number of lanes (a power of two)
    parameter integer LANES = 4,
    // Header bits per packet; bits LANE_LSB+log2(LANES)-1 : LANE_LSB select the lane
    parameter integer HDR_W = 64,
    // First header bit of the SA index (the lane is its low bits)
    parameter integer LANE_LSB = 0,
    // log2 of the lane count
    parameter integer LANE_W = (LANES > 1) ? $clog2(LANES) : 1
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [63:0]             s_axis_tdata,
    input  wire [7:0]              s_axis_tkeep,
    input  wire                    s_axis_tvalid,
    output wire                    s_axis_tready,
    input  wire                    s_axis_tlast,
    input  wire                    s_hdr_valid,
    output wire                    s_hdr_ready,
    input  wire [HDR_W-1:0]        s_hdr,

    // To the lanes: data and header buses shared, valids per lane
    output wire [63:0]             l_axis_tdata,
    output wire [7:0]              l_axis_tkeep,
    output wire [LANES-1:0]        l_axis_tvalid,
    input  wire [LANES-1:0]        l_axis_tready,
    output wire                    l_axis_tlast,
    output wire [LANES-1:0]        l_hdr_valid,
    input  wire [LANES-1:0]        l_hdr_ready,
    output wire [HDR_W-1:0]        l_hdr,

    // Lane order for the collector
    output wire                    order_valid,
    input  wire                    order_ready,
    output wire [LANE_W-1:0]       order_lane
);

  localparam [1:0] ST_IDLE  = 2'd0;
  localparam [1:0] ST_ROUTE = 2'd1;

  reg [1:0]        state_reg;
  reg [1:0]        state_new;
  reg              state_we;
  reg [HDR_W-1:0]  hdr_reg;
  reg              hdr_we;
  reg [LANE_W-1:0] lane_reg;
  reg              data_done_reg;
  reg              data_done_new;
  reg              data_done_we;
  reg              hdr_done_reg;
  reg              hdr_done_new;
  reg              hdr_done_we;

  wire [LANE_W-1:0] hdr_lane = (LANES > 1) ? s_hdr[LANE_LSB +: LANE_W] : {LANE_W{1'b0}};
  wire [LANES-1:0]  lane_onehot = {{(LANES-1){1'b0}}, 1'b1} << lane_reg;
  wire              routing = (state_reg == ST_ROUTE);
  wire              data_fire = routing && !data_done_reg && s_axis_tvalid &&
                                l_axis_tready[lane_reg];
  wire              hdr_fire = routing && !hdr_done_reg && l_hdr_ready[lane_reg];

  assign s_hdr_ready   = (state_reg == ST_IDLE) && order_ready;
  assign order_valid   = (state_reg == ST_IDLE) && s_hdr_valid;
  assign order_lane    = hdr_lane;
  assign s_axis_tready = routing && !data_done_reg && l_axis_tready[lane_reg];
  assign l_axis_tdata  = s_axis_tdata;
  assign l_axis_tkeep  = s_axis_tkeep;
  assign l_axis_tlast  = s_axis_tlast;
  assign l_axis_tvalid = (routing && !data_done_reg && s_axis_tvalid) ? lane_onehot : {LANES{1'b0}};
  assign l_hdr_valid   = (routing && !hdr_done_reg) ? lane_onehot : {LANES{1'b0}};
  assign l_hdr         = hdr_reg;

  always @(posedge clk) begin : reg_update
    if (rst) begin
      state_reg     <= ST_IDLE;
      hdr_reg       <= {HDR_W{1'b0}};
      lane_reg      <= {LANE_W{1'b0}};
      data_done_reg <= 1'b0;
      hdr_done_reg  <= 1'b0;
    end else begin
      if (state_we) state_reg <= state_new;
      if (hdr_we) begin
        hdr_reg  <= s_hdr;
        lane_reg <= hdr_lane;
      end
      if (data_done_we) data_done_reg <= data_done_new;
      if (hdr_done_we) hdr_done_reg <= hdr_done_new;
    end
  end

  always @* begin : ctrl_fsm
    state_new     = state_reg;
    state_we      = 1'b0;
    hdr_we        = 1'b0;
    data_done_new = data_done_reg;
    data_done_we  = 1'b0;
    hdr_done_new  = hdr_done_reg;
    hdr_done_we   = 1'b0;
    case (state_reg)
      ST_IDLE: begin
        if (s_hdr_valid && order_ready) begin
          hdr_we        = 1'b1;
          data_done_new = 1'b0;
          data_done_we  = 1'b1;
          hdr_done_new  = 1'b0;
          hdr_done_we   = 1'b1;
          state_new     = ST_ROUTE;
          state_we      = 1'b1;
        end
      end
      ST_ROUTE: begin
        if (data_fire && s_axis_tlast) begin
          data_done_new = 1'b1;
          data_done_we  = 1'b1;
        end
        if (hdr_fire) begin
          hdr_done_new = 1'b1;
          hdr_done_we  = 1'b1;
        end
        if ((data_done_reg || (data_fire && s_axis_tlast)) && (hdr_done_reg || hdr_fire)) begin
          state_new = ST_IDLE;
          state_we  = 1'b1;
        end
      end
      default: begin
        state_new = ST_IDLE;
        state_we  = 1'b1;
      end
    endcase
  end

endmodule

`default_nettype wire
