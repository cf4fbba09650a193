//======================================================================
// lm_axis_prepend.v
// -----------------
// Puts a 14-byte header (an Ethernet header) in front of every packet:
// output byte i is hdr byte i for i < 14, then input byte i - 14.
// 64-bit AXI-Stream, tkeep contiguous from bit 0. `hdr` (byte 0 in bits
// 7:0) is read while the first output beat is presented and must stay
// stable from then until the packet's first input beat is taken.
//
// Output beat 0 is hdr bytes 0..7 (presented once an input beat is
// valid); beat 1 is hdr bytes 8..13 and input bytes 0..1; every later
// beat is the input's previous bytes 2..7 and the current bytes 0..1. A
// last input beat with more than two bytes needs one more beat (FLUSH).
//======================================================================
`default_nettype none

module lm_axis_prepend (
    input  wire         clk,
    input  wire         rst,

    input  wire [111:0] hdr,

    input  wire [63:0]  s_axis_tdata,
    input  wire [7:0]   s_axis_tkeep,
    input  wire         s_axis_tvalid,
    output wire         s_axis_tready,
    input  wire         s_axis_tlast,

    output wire [63:0]  m_axis_tdata,
    output wire [7:0]   m_axis_tkeep,
    output wire         m_axis_tvalid,
    input  wire         m_axis_tready,
    output wire         m_axis_tlast
);

  localparam [1:0] ST_HDR   = 2'd0;  // header bytes 0..7
  localparam [1:0] ST_BODY  = 2'd1;  // carry (6 bytes) + input bytes 0..1
  localparam [1:0] ST_FLUSH = 2'd2;  // the carry of a long last beat

  reg [1:0]  state_reg;
  reg [1:0]  state_new;
  reg        state_we;
  reg [47:0] carry_reg;
  reg [5:0]  carry_keep_reg;
  reg        carry_we;
  reg        carry_hdr;

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
      state_reg      <= ST_HDR;
      carry_reg      <= 48'h0;
      carry_keep_reg <= 6'h0;
    end else begin
      if (state_we) state_reg <= state_new;
      if (carry_we) begin
        if (carry_hdr) begin
          carry_reg      <= hdr[111:64];
          carry_keep_reg <= 6'h3f;
        end else begin
          carry_reg      <= s_axis_tdata[63:16];
          carry_keep_reg <= s_axis_tkeep[7:2];
        end
      end
    end
  end

  always @* begin : prepend_logic
    state_new = state_reg;
    state_we  = 1'b0;
    carry_we  = 1'b0;
    carry_hdr = 1'b0;
    out_valid = 1'b0;
    out_data  = {s_axis_tdata[15:0], carry_reg};
    out_keep  = {s_axis_tkeep[1:0], carry_keep_reg};
    out_last  = 1'b0;
    in_ready  = 1'b0;
    case (state_reg)
      ST_HDR: begin
        out_valid = s_axis_tvalid;
        out_data  = hdr[63:0];
        out_keep  = 8'hff;
        if (s_axis_tvalid && m_axis_tready) begin
          carry_we  = 1'b1;
          carry_hdr = 1'b1;
          state_new = ST_BODY;
          state_we  = 1'b1;
        end
      end
      ST_BODY: begin
        out_valid = s_axis_tvalid;
        out_last  = s_axis_tlast && !s_axis_tkeep[2];
        in_ready  = m_axis_tready;
        if (in_fire) begin
          carry_we = 1'b1;
          if (s_axis_tlast) begin
            state_new = s_axis_tkeep[2] ? ST_FLUSH : ST_HDR;
            state_we  = 1'b1;
          end
        end
      end
      default: begin  // ST_FLUSH
        out_valid = 1'b1;
        out_data  = {16'h0, carry_reg};
        out_keep  = {2'b00, carry_keep_reg};
        out_last  = 1'b1;
        if (m_axis_tready) begin
          state_new = ST_HDR;
          state_we  = 1'b1;
        end
      end
    endcase
  end

endmodule // lm_axis_prepend

`default_nettype wire
