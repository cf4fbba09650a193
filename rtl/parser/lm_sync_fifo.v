//======================================================================
// lm_sync_fifo.v
// --------------
// Small synchronous first-word-fall-through FIFO (distributed RAM with
// an asynchronous read port). rd_data is valid while rd_valid is high.
//======================================================================
`default_nettype none

module lm_sync_fifo #(
  // Width of one entry in bits.
  parameter WIDTH = 32,
  // log2 of the number of entries.
  parameter DEPTH_LOG2 = 3
) (
  input  wire             clk,
  input  wire             rst,

  input  wire [WIDTH-1:0] wr_data,
  input  wire             wr_valid,
  output wire             wr_ready,

  output wire [WIDTH-1:0] rd_data,
  output wire             rd_valid,
  input  wire             rd_ready
);

  localparam DEPTH = 1 << DEPTH_LOG2;

  reg [WIDTH-1:0] mem [0:DEPTH-1];

  // Pointers carry one extra bit to tell full from empty.
  reg [DEPTH_LOG2:0] wr_ptr_reg;
  reg [DEPTH_LOG2:0] wr_ptr_new;
  reg                wr_ptr_we;
  reg [DEPTH_LOG2:0] rd_ptr_reg;
  reg [DEPTH_LOG2:0] rd_ptr_new;
  reg                rd_ptr_we;

  wire empty = wr_ptr_reg == rd_ptr_reg;
  wire full  = (wr_ptr_reg[DEPTH_LOG2] != rd_ptr_reg[DEPTH_LOG2]) &&
               (wr_ptr_reg[DEPTH_LOG2-1:0] == rd_ptr_reg[DEPTH_LOG2-1:0]);

  assign wr_ready = !full;
  assign rd_valid = !empty;
  assign rd_data  = mem[rd_ptr_reg[DEPTH_LOG2-1:0]];

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      wr_ptr_reg <= {(DEPTH_LOG2 + 1){1'b0}};
      rd_ptr_reg <= {(DEPTH_LOG2 + 1){1'b0}};
    end else begin
      if (wr_ptr_we)
        wr_ptr_reg <= wr_ptr_new;
      if (rd_ptr_we)
        rd_ptr_reg <= rd_ptr_new;
    end
  end

  // Storage: no reset (entries are only read once written).
  always @(posedge clk) begin : mem_update
    if (wr_ptr_we)
      mem[wr_ptr_reg[DEPTH_LOG2-1:0]] <= wr_data;
  end

  //----------------------------------------------------------------
  // ptr_logic
  //----------------------------------------------------------------
  always @* begin : ptr_logic
    wr_ptr_new = wr_ptr_reg + 1'b1;
    wr_ptr_we  = wr_valid && !full;
    rd_ptr_new = rd_ptr_reg + 1'b1;
    rd_ptr_we  = rd_ready && !empty;
  end

endmodule // lm_sync_fifo

`default_nettype wire
