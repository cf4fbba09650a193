//======================================================================
// lm_axis_strip.v
// ---------------
// Drops the first 14 bytes of every packet (the Ethernet header) and
// realigns the rest so that byte 14 of the input is byte 0 of the
// output. 64-bit AXI-Stream, tkeep contiguous from bit 0. A packet of
// 14 bytes or less comes out as one beat with tkeep 0 (the consumer
// still sees one packet per input packet).
//
// Input beat 0 is dropped; beat 1 leaves its bytes 6..7 in a carry
// register; every later beat k gives output {in[5:0], carry[1:0]} and
// keeps its bytes 6..7 as the next carry. A last beat with more than
// six bytes needs one more output beat for its carry (FLUSH).
//======================================================================
`default_nettype none

module lm_axis_strip (
    input  wire        clk,
    input  wire        rst,

    input  wire [63:0] s_axis_tdata,
    input  wire [7:0]  s_axis_tkeep,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    input  wire        s_axis_tlast,

    output wire [63:0] m_axis_tdata,
    output wire [7:0]  m_axis_tkeep,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready,
    output wire        m_axis_tlast
);

  localparam [1:0] ST_BEAT0 = 2'd0;  // first beat: bytes 0..7, all dropped
  localparam [1:0] ST_BEAT1 = 2'd1;  // second beat: bytes 8..13 dropped, 14..15 carried
  localparam [1:0] ST_BODY  = 2'd2;  // later beats
  localparam [1:0] ST_FLUSH = 2'd3;  // the carry of a long last beat

  reg [1:0]  state_reg;
  reg [1:0]  state_new;
  reg        state_we;
  reg [15:0] carry_reg;
  reg [1:0]  carry_keep_reg;
  reg        carry_we;

  reg        out_valid;
  reg [63:0] out_data;
  reg [7:0]  out_keep;
  reg        out_last;
  reg        in_ready;

  assign s_axis_tready = in_ready;
  assign m_axis_tdata  = out_data;
  assign m_axis_tkeep  = out_keep;
  assign m_axis_tvalid = out_valid;
  assign m_axis_tlast  = out_last;

  wire in_fire = s_axis_tvalid && in_ready;

  always @(posedge clk) begin : reg_update
    if (rst) begin
      state_reg      <= ST_BEAT0;
      carry_reg      <= 16'h0;
      carry_keep_reg <= 2'b00;
    end else begin
      if (state_we) state_reg <= state_new;
      if (carry_we) begin
        carry_reg      <= s_axis_tdata[63:48];
        carry_keep_reg <= s_axis_tkeep[7:6];
      end
    end
  end

  always @* begin : strip_logic
    state_new = state_reg;
    state_we  = 1'b0;
    carry_we  = 1'b0;
    out_valid = 1'b0;
    out_data  = {s_axis_tdata[47:0], carry_reg};
    out_keep  = {s_axis_tkeep[5:0], carry_keep_reg};
    out_last  = 1'b0;
    in_ready  = 1'b0;
    case (state_reg)
      ST_BEAT0: begin
        // Dropped; a packet that ends here leaves an empty beat.
        out_valid = s_axis_tvalid && s_axis_tlast;
        out_data  = 64'h0;
        out_keep  = 8'h00;
        out_last  = 1'b1;
        in_ready  = s_axis_tlast ? m_axis_tready : 1'b1;
        if (in_fire && !s_axis_tlast) begin
          state_new = ST_BEAT1;
          state_we  = 1'b1;
        end
      end
      ST_BEAT1: begin
        // Bytes 14, 15 (lanes 6, 7) carried; a last beat gives them out at once.
        out_valid = s_axis_tvalid && s_axis_tlast;
        out_data  = {48'h0, s_axis_tdata[63:48]};
        out_keep  = {6'b0, s_axis_tkeep[7:6]};
        out_last  = 1'b1;
        in_ready  = s_axis_tlast ? m_axis_tready : 1'b1;
        if (in_fire) begin
          carry_we  = 1'b1;
          state_new = s_axis_tlast ? ST_BEAT0 : ST_BODY;
          state_we  = 1'b1;
        end
      end
      ST_BODY: begin
        out_valid = s_axis_tvalid;
        out_last  = s_axis_tlast && !s_axis_tkeep[6];
        in_ready  = m_axis_tready;
        if (in_fire) begin
          carry_we = 1'b1;
          if (s_axis_tlast) begin
            state_new = s_axis_tkeep[6] ? ST_FLUSH : ST_BEAT0;
            state_we  = 1'b1;
          end
        end
      end
      default: begin  // ST_FLUSH
        out_valid = 1'b1;
        out_data  = {48'h0, carry_reg};
        out_keep  = {6'b0, carry_keep_reg};
        out_last  = 1'b1;
        if (m_axis_tready) begin
          state_new = ST_BEAT0;
          state_we  = 1'b1;
        end
      end
    endcase
  end

endmodule // lm_axis_strip

`default_nettype wire
