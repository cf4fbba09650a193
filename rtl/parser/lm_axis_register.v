//======================================================================
// lm_axis_register.v
// ------------------
// AXI-Stream register slice with a skid buffer: every output and
// s_axis_tready come from flip-flops, so the tready path from the sink
// to the source is cut, and a beat can pass every clock (no bubbles).
// Two beats of storage (output register and skid register).
//======================================================================
`default_nettype none

module lm_axis_register #(
  // Width of tdata in bits; a multiple of 8 (one tkeep bit per byte).
  parameter DATA_WIDTH = 64
) (
  input  wire                      clk,
  input  wire                      rst,

  input  wire [DATA_WIDTH-1:0]     s_axis_tdata,
  input  wire [DATA_WIDTH/8-1:0]   s_axis_tkeep,
  input  wire                      s_axis_tvalid,
  output wire                      s_axis_tready,
  input  wire                      s_axis_tlast,

  output wire [DATA_WIDTH-1:0]     m_axis_tdata,
  output wire [DATA_WIDTH/8-1:0]   m_axis_tkeep,
  output wire                      m_axis_tvalid,
  input  wire                      m_axis_tready,
  output wire                      m_axis_tlast
);

  localparam KEEP_WIDTH = DATA_WIDTH / 8;
  // One beat: {tlast, tkeep, tdata}.
  localparam BEAT_WIDTH = DATA_WIDTH + KEEP_WIDTH + 1;

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg [BEAT_WIDTH-1:0] out_beat_reg;
  reg [BEAT_WIDTH-1:0] out_beat_new;
  reg                  out_beat_we;
  reg                  out_valid_reg;
  reg                  out_valid_new;

  reg [BEAT_WIDTH-1:0] skid_beat_reg;
  reg                  skid_beat_we;
  reg                  skid_valid_reg;
  reg                  skid_valid_new;

  reg                  in_ready_reg;
  reg                  in_ready_new;

  wire [BEAT_WIDTH-1:0] in_beat = {s_axis_tlast, s_axis_tkeep, s_axis_tdata};

  assign s_axis_tready = in_ready_reg;
  assign m_axis_tdata  = out_beat_reg[DATA_WIDTH-1:0];
  assign m_axis_tkeep  = out_beat_reg[DATA_WIDTH +: KEEP_WIDTH];
  assign m_axis_tlast  = out_beat_reg[BEAT_WIDTH-1];
  assign m_axis_tvalid = out_valid_reg;

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      out_beat_reg   <= {BEAT_WIDTH{1'b0}};
      out_valid_reg  <= 1'b0;
      skid_beat_reg  <= {BEAT_WIDTH{1'b0}};
      skid_valid_reg <= 1'b0;
      in_ready_reg   <= 1'b0;
    end else begin
      if (out_beat_we)
        out_beat_reg <= out_beat_new;
      if (skid_beat_we)
        skid_beat_reg <= in_beat;
      out_valid_reg  <= out_valid_new;
      skid_valid_reg <= skid_valid_new;
      in_ready_reg   <= in_ready_new;
    end
  end

  //----------------------------------------------------------------
  // slice_logic
  // A beat taken while the output register is free (or draining)
  // goes to the output; otherwise it waits in the skid register.
  // tready is registered: the source sees it one cycle late, which
  // the skid register absorbs.
  //----------------------------------------------------------------
  always @* begin : slice_logic
    out_beat_new   = in_beat;
    out_beat_we    = 1'b0;
    out_valid_new  = out_valid_reg;
    skid_beat_we   = 1'b0;
    skid_valid_new = skid_valid_reg;

    if (in_ready_reg) begin
      if (m_axis_tready || !out_valid_reg) begin
        out_valid_new = s_axis_tvalid;
        out_beat_we   = s_axis_tvalid;
      end else begin
        skid_valid_new = s_axis_tvalid;
        skid_beat_we   = s_axis_tvalid;
      end
    end else if (m_axis_tready) begin
      out_valid_new  = skid_valid_reg;
      out_beat_new   = skid_beat_reg;
      out_beat_we    = skid_valid_reg;
      skid_valid_new = 1'b0;
    end

    // Ready next cycle when the skid register stays empty.
    in_ready_new = !skid_valid_new;
  end

endmodule // lm_axis_register

`default_nettype wire
