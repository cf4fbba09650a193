//======================================================================
// lm_esp_buf.v
// ------------
// A lane's packet buffer: 2^BEAT_W beats of 8 bytes in block RAM, kept
// big-endian (byte 0 of a beat in bits 63:56). Port A writes whole
// beats (AXI-Stream ingest) or single 32-bit words; port B reads a
// whole beat and, alongside, the 32-bit word at a word address. Reads
// are registered: data one cycle after the address.
//======================================================================
`default_nettype none

module lm_esp_buf #(
    // log2 of the number of 8-byte beats
    parameter integer BEAT_W = 8
) (
    input  wire              clk,

    // Port A: write a beat (beat_we) or one 32-bit word (word_we)
    input  wire              beat_we,
    input  wire [BEAT_W-1:0] beat_addr,
    input  wire [63:0]       beat_wdata,
    input  wire              word_we,
    input  wire [BEAT_W:0]   word_waddr,
    input  wire [31:0]       word_wdata,

    // Port B: read
    input  wire              rd_en,
    input  wire [BEAT_W:0]   rd_word_addr,
    output wire [63:0]       rd_beat,
    output wire [31:0]       rd_word
);

  reg          half_reg;
  wire [63:0]  b_rdata;
  wire         a_en   = beat_we || word_we;
  wire [1:0]   a_we   = beat_we ? 2'b11 : (word_waddr[0] ? 2'b01 : 2'b10);
  wire [BEAT_W-1:0] a_addr = beat_we ? beat_addr : word_waddr[BEAT_W:1];
  wire [63:0]  a_wdata = beat_we ? beat_wdata : {word_wdata, word_wdata};
  wire [63:0]  unused_a_rdata;

  assign rd_beat = b_rdata;
  assign rd_word = half_reg ? b_rdata[31:0] : b_rdata[63:32];

  always @(posedge clk) begin : reg_update
    if (rd_en) half_reg <= rd_word_addr[0];
  end

  lm_sa_ram #(.WIDTH(64), .LANES(2), .ADDR_W(BEAT_W)) ram (
      .clk(clk),
      .a_en(a_en), .a_we(a_we), .a_addr(a_addr), .a_wdata(a_wdata), .a_rdata(unused_a_rdata),
      .b_en(rd_en), .b_addr(rd_word_addr[BEAT_W:1]), .b_rdata(b_rdata));

endmodule

`default_nettype wire
