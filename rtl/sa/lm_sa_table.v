// lm_sa_table: the line module's SA table (register block sa_table of rtl/regmap/lm_regmap.yaml).
//
// - Entry RAM: CAPACITY entries of `LM_SA_WORDS 32-bit words in block RAM, written and read by
//   the host through the sa_table block (STAGE words + CMD), read by the ESP engines through a
//   word-read port. A key RAM keeps a copy of words VALID/SPI/LOCAL_ADDR of every entry so a
//   decap lookup takes one RAM read.
// - Lookup for ESP decap: index = SPI mod CAPACITY (the low SPI bits); a hit needs VALID,
//   DIRECTION=INBOUND, SPI equal to the entry's SPI and dst_addr equal to LOCAL_ADDR. Fixed
//   latency: the response is valid 2 cycles after the request; one lookup per cycle.
// - Per-SA stats (sa_stats layout) in their own RAM, updated from the engines' stats port (never
//   stalled, one update per cycle), read and cleared with READ_STATS / CLEAR_STATS.
//
// See README.md for the register-write sequence and the concurrency rules.

`default_nettype none

`include "lm_regs.vh"

module lm_sa_table #(
    // Number of SA entries; a power of two (the lookup index is SPI mod CAPACITY)
    parameter integer CAPACITY = `LM_SA_CAPACITY,
    // Largest anti-replay window (log2 packets) the decap engine honours, reported in CAPS
    parameter integer MAX_WIN_LOG2 = 6,
    // Width of the byte count on the stats-update port
    parameter integer STAT_BYTES_W = 16,
    // AXI-Lite address width
    parameter integer AXIL_ADDR_W = `LM_ADDR_WIDTH,
    // Index width (do not override)
    parameter integer IDX_W = $clog2(CAPACITY)
) (
    input  wire                          clk,
    input  wire                          rst,

    // AXI-Lite slave: the sa_table register block (full line-module byte addresses)
    input  wire [AXIL_ADDR_W-1:0]        s_axil_awaddr,
    input  wire                          s_axil_awvalid,
    output wire                          s_axil_awready,
    input  wire [31:0]                   s_axil_wdata,
    // Byte strobes are ignored: every register is written whole
    input  wire [3:0]                    s_axil_wstrb,
    input  wire                          s_axil_wvalid,
    output wire                          s_axil_wready,
    output wire [1:0]                    s_axil_bresp,
    output wire                          s_axil_bvalid,
    input  wire                          s_axil_bready,
    input  wire [AXIL_ADDR_W-1:0]        s_axil_araddr,
    input  wire                          s_axil_arvalid,
    output wire                          s_axil_arready,
    output wire [31:0]                   s_axil_rdata,
    output wire [1:0]                    s_axil_rresp,
    output wire                          s_axil_rvalid,
    input  wire                          s_axil_rready,

    // Decap lookup request (always accepted)
    input  wire                          lookup_req_valid,
    input  wire [31:0]                   lookup_req_spi,
    input  wire [31:0]                   lookup_req_dst_addr,
    // Lookup response, exactly 2 cycles after the request
    output wire                          lookup_resp_valid,
    output wire                          lookup_resp_hit,
    output wire [IDX_W-1:0]              lookup_resp_index,
    // Entry word 0 (VALID, DIRECTION, ENCAP, CIPHER, ...) on a hit, 0 on a miss
    output wire [31:0]                   lookup_resp_word0,

    // Entry word read for the engines: word word_rd_word of entry word_rd_index, data one cycle later
    input  wire                          word_rd_valid,
    input  wire [IDX_W-1:0]              word_rd_index,
    input  wire [5:0]                    word_rd_word,
    output wire                          word_rd_data_valid,
    output wire [31:0]                   word_rd_data,

    // Stats update from the engines (always accepted): reason NONE counts a packet and its bytes,
    // BAD_ICV / REPLAY / BAD_PAD their counters, any other drop reason OTHER_DROP
    input  wire                          stat_update_valid,
    input  wire [IDX_W-1:0]              stat_update_index,
    input  wire [STAT_BYTES_W-1:0]       stat_update_bytes,
    input  wire [`LM_DROP_REASON_W-1:0]  stat_update_reason
);

  //----------------------------------------------------------------
  // Constants.
  //----------------------------------------------------------------
  // CMD.OP encodings (the map documents them in the OP field's doc string only)

  // Control FSM states
  localparam [3:0] ST_IDLE        = 4'd0;
  localparam [3:0] ST_WRITE_CLR   = 4'd1;
  localparam [3:0] ST_WRITE_COPY  = 4'd2;
  localparam [3:0] ST_WRITE_LAST  = 4'd3;
  localparam [3:0] ST_READ        = 4'd4;
  localparam [3:0] ST_READ_DRAIN  = 4'd5;
  localparam [3:0] ST_INVAL_RD    = 4'd6;
  localparam [3:0] ST_INVAL_WR    = 4'd7;
  localparam [3:0] ST_STATS_REQ   = 4'd8;
  localparam [3:0] ST_STATS_WAIT  = 4'd9;
  localparam [3:0] ST_STATS_COPY  = 4'd10;

  // Stats pipeline operations
  localparam [1:0] SOP_UPDATE = 2'd0;
  localparam [1:0] SOP_READ   = 2'd1;
  localparam [1:0] SOP_CLEAR  = 2'd2;

  // Word index width (entry stride and STAGE count are 64 words)
  localparam integer WORD_W = $clog2(`LM_SA_STRIDE_WORDS);
  // STAGE word index width
  localparam integer STAGE_W = $clog2(`LM_SA_TABLE_STAGE_COUNT);
  // The entry RAM is two RAMs: words 0..31 (stride 32) and words 32..39 (stride 8), so a
  // 40-word entry costs 40 words of block RAM instead of 64
  localparam integer LO_WORDS_W = 5;
  localparam integer HI_WORDS_W = 3;
  // Bits of one stats record
  localparam integer STATS_W = 32 * `LM_SA_STATS_WORDS;

  localparam [WORD_W-1:0] LAST_WORD       = `LM_SA_WORDS - 1;
  localparam [WORD_W-1:0] LAST_STATS_WORD = `LM_SA_STATS_WORDS - 1;
  localparam [WORD_W-1:0] VALID_WORD      = `LM_SA_VALID_WORD;
  localparam [WORD_W-1:0] SPI_WORD        = `LM_SA_SPI_WORD;
  localparam [WORD_W-1:0] LADDR_WORD      = `LM_SA_LOCAL_ADDR_WORD;
  localparam [31:0] VALID_MASK = 32'd1 << `LM_SA_VALID_LSB;

  localparam [AXIL_ADDR_W-1:0] STAGE_BYTES = 4 * `LM_SA_TABLE_STAGE_COUNT;
  localparam [31:0] CAPACITY_U = CAPACITY;
  localparam [31:0] MAX_WIN_U = MAX_WIN_LOG2;
  localparam [31:0] ENTRY_WORDS_U = `LM_SA_WORDS;
  localparam [31:0] CAPS_WORD =
      ((CAPACITY_U & ((32'd1 << `LM_SA_TABLE_CAPS_CAPACITY_W) - 1)) << `LM_SA_TABLE_CAPS_CAPACITY_LSB) |
      (ENTRY_WORDS_U << `LM_SA_TABLE_CAPS_ENTRY_WORDS_LSB) |
      (MAX_WIN_U << `LM_SA_TABLE_CAPS_MAX_WIN_LOG2_LSB);

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  // AXI-Lite register port (lm_axil_slave)
  wire                         axil_wr_req;
  wire [AXIL_ADDR_W-1:0]       aw_addr_reg;
  wire [31:0]                  w_data_reg;
  wire                         axil_rd_req;
  wire [AXIL_ADDR_W-1:0]       axil_rd_addr;
  reg [31:0]                   rdata_new;

  reg [`LM_SA_TABLE_CMD_INDEX_W-1:0] cmd_index_reg;
  reg [`LM_SA_TABLE_CMD_OP_W-1:0]    cmd_op_reg;
  reg                          cmd_we;
  reg                          busy_reg;
  reg                          busy_new;
  reg                          busy_we;
  reg                          error_reg;
  reg                          error_new;
  reg                          error_we;

  reg [3:0]                    state_reg;
  reg [3:0]                    state_new;
  reg                          state_we;
  reg [WORD_W-1:0]             cnt_reg;
  reg [WORD_W-1:0]             cnt_new;
  reg                          cnt_we;
  reg                          rd_pend_reg;
  reg                          rd_pend_new;
  reg [WORD_W-1:0]             rd_word_reg;

  reg [31:0]                   stage_mem [0:`LM_SA_TABLE_STAGE_COUNT-1];
  reg                          stage_we;
  reg [STAGE_W-1:0]            stage_waddr;
  reg [31:0]                   stage_wdata;

  reg                          lk1_valid_reg;
  reg [31:0]                   lk1_spi_reg;
  reg [31:0]                   lk1_dst_reg;
  reg                          lk1_coll_reg;
  reg                          resp_valid_reg;
  reg                          resp_hit_reg;
  reg [IDX_W-1:0]              resp_index_reg;
  reg [31:0]                   resp_word0_reg;
  reg                          word_rd_valid_reg;
  reg                          word_rd_hi_reg;

  reg                          st1_valid_reg;
  reg [1:0]                    st1_op_reg;
  reg [IDX_W-1:0]              st1_index_reg;
  reg [STAT_BYTES_W-1:0]       st1_bytes_reg;
  reg [`LM_DROP_REASON_W-1:0]  st1_reason_reg;
  reg                          fwd_valid_reg;
  reg [IDX_W-1:0]              fwd_index_reg;
  reg [STATS_W-1:0]            fwd_data_reg;
  reg [STATS_W-1:0]            stats_hold_reg;

  //----------------------------------------------------------------
  // Wires.
  //----------------------------------------------------------------
  wire [IDX_W-1:0]   idx = cmd_index_reg[IDX_W-1:0];
  wire               do_write = axil_wr_req && !busy_reg;

  // Entry RAM port A (control FSM)
  reg                body_a_en;
  reg                body_a_we;
  reg [WORD_W-1:0]   body_a_word;
  reg [31:0]         body_a_wdata;
  reg [2:0]          key_we;
  reg                body_a_hi_reg;
  wire [31:0]        body_lo_a_rdata;
  wire [31:0]        body_hi_a_rdata;
  wire [31:0]        body_a_rdata = body_a_hi_reg ? body_hi_a_rdata : body_lo_a_rdata;
  wire [31:0]        body_lo_b_rdata;
  wire [31:0]        body_hi_b_rdata;
  wire [95:0]        key_b_rdata;

  // Stats pipeline stage 0
  reg                stats_cmd_req;
  wire               stats_cmd_ack = stats_cmd_req && !stat_update_valid;
  wire               s0_valid = stat_update_valid || stats_cmd_req;
  wire [IDX_W-1:0]   s0_index = stat_update_valid ? stat_update_index : idx;
  wire [1:0]         s0_op = stat_update_valid ? SOP_UPDATE :
                             (cmd_op_reg == `LM_SA_CMD_OP_READ_STATS) ? SOP_READ : SOP_CLEAR;
  wire [STATS_W-1:0] stats_b_rdata;
  reg  [STATS_W-1:0] stats_base;
  reg  [STATS_W-1:0] stats_next;
  wire               stats_wr = st1_valid_reg && (st1_op_reg != SOP_READ);

  wire [WORD_W-1:0]  fsm_stage_raddr = ((state_reg == ST_WRITE_CLR) || (state_reg == ST_WRITE_LAST)) ?
                                       VALID_WORD : cnt_reg;
  wire [31:0]        fsm_stage_rdata = stage_mem[fsm_stage_raddr[STAGE_W-1:0]];

  wire [AXIL_ADDR_W-1:0] aw_stage_off = aw_addr_reg - `LM_ADDR_SA_TABLE_STAGE;
  wire [AXIL_ADDR_W-1:0] ar_stage_off = axil_rd_addr - `LM_ADDR_SA_TABLE_STAGE;
  wire [31:0]            ar_stage_rdata = stage_mem[ar_stage_off[2 +: STAGE_W]];

  // Key RAM lookup hazard: the FSM writes the key of the entry the lookup reads this cycle
  wire               lk_coll = (|key_we) && (idx == lookup_req_spi[IDX_W-1:0]);

  //----------------------------------------------------------------
  // lookup_logic: compare the key read at stage 1.
  //----------------------------------------------------------------
  wire lk_hit = lk1_valid_reg && !lk1_coll_reg &&
                key_b_rdata[`LM_SA_VALID_LSB] &&
                (key_b_rdata[`LM_SA_DIRECTION_LSB +: `LM_SA_DIRECTION_W] == `LM_DIRECTION_INBOUND) &&
                (key_b_rdata[63:32] == lk1_spi_reg) &&
                (key_b_rdata[95:64] == lk1_dst_reg);

  //----------------------------------------------------------------
  // Outputs.
  //----------------------------------------------------------------
  // Byte strobes and the read request pulse are not needed: registers are written whole and
  // reads have no side effects
  wire [3:0] axil_wr_strb;
  wire _unused_axil = &{1'b0, axil_wr_strb, axil_rd_req};

  lm_axil_slave #(
      .ADDR_W(AXIL_ADDR_W)
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
      .wr_req(axil_wr_req),
      .wr_addr(aw_addr_reg),
      .wr_data(w_data_reg),
      .wr_strb(axil_wr_strb),
      .wr_ready(!busy_reg),
      .rd_req(axil_rd_req),
      .rd_addr(axil_rd_addr),
      .rd_data(rdata_new));
  assign lookup_resp_valid  = resp_valid_reg;
  assign lookup_resp_hit    = resp_hit_reg;
  assign lookup_resp_index  = resp_index_reg;
  assign lookup_resp_word0  = resp_word0_reg;
  assign word_rd_data_valid = word_rd_valid_reg;
  assign word_rd_data       = word_rd_hi_reg ? body_hi_b_rdata : body_lo_b_rdata;

  //----------------------------------------------------------------
  // RAMs.
  //----------------------------------------------------------------
  // Entry words 0..31
  lm_sa_ram #(.WIDTH(32), .LANES(1), .ADDR_W(IDX_W + LO_WORDS_W)) body_lo_ram (
      .clk(clk),
      .a_en(body_a_en && !body_a_word[LO_WORDS_W]),
      .a_we(body_a_we),
      .a_addr({idx, body_a_word[LO_WORDS_W-1:0]}),
      .a_wdata(body_a_wdata),
      .a_rdata(body_lo_a_rdata),
      .b_en(word_rd_valid && !word_rd_word[LO_WORDS_W]),
      .b_addr({word_rd_index, word_rd_word[LO_WORDS_W-1:0]}),
      .b_rdata(body_lo_b_rdata));

  // Entry words 32..39
  lm_sa_ram #(.WIDTH(32), .LANES(1), .ADDR_W(IDX_W + HI_WORDS_W)) body_hi_ram (
      .clk(clk),
      .a_en(body_a_en && body_a_word[LO_WORDS_W]),
      .a_we(body_a_we),
      .a_addr({idx, body_a_word[HI_WORDS_W-1:0]}),
      .a_wdata(body_a_wdata),
      .a_rdata(body_hi_a_rdata),
      .b_en(word_rd_valid && word_rd_word[LO_WORDS_W]),
      .b_addr({word_rd_index, word_rd_word[HI_WORDS_W-1:0]}),
      .b_rdata(body_hi_b_rdata));

  // Lookup keys: lane 0 word VALID (flags), lane 1 SPI, lane 2 LOCAL_ADDR
  /* verilator lint_off UNUSEDSIGNAL */
  wire [95:0] key_a_rdata;
  wire [STATS_W-1:0] stats_a_rdata;
  /* verilator lint_on UNUSEDSIGNAL */
  lm_sa_ram #(.WIDTH(96), .LANES(3), .ADDR_W(IDX_W)) key_ram (
      .clk(clk),
      .a_en(|key_we),
      .a_we(key_we),
      .a_addr(idx),
      .a_wdata({3{body_a_wdata}}),
      .a_rdata(key_a_rdata),
      .b_en(lookup_req_valid),
      .b_addr(lookup_req_spi[IDX_W-1:0]),
      .b_rdata(key_b_rdata));

  // Per-SA stats, one record per RAM word: stats word k in bits 32k+31:32k
  lm_sa_ram #(.WIDTH(STATS_W), .LANES(1), .ADDR_W(IDX_W)) stats_ram (
      .clk(clk),
      .a_en(stats_wr),
      .a_we(stats_wr),
      .a_addr(st1_index_reg),
      .a_wdata(stats_next),
      .a_rdata(stats_a_rdata),
      .b_en(s0_valid),
      .b_addr(s0_index),
      .b_rdata(stats_b_rdata));

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (rst) begin
      cmd_index_reg     <= {`LM_SA_TABLE_CMD_INDEX_W{1'b0}};
      cmd_op_reg        <= {`LM_SA_TABLE_CMD_OP_W{1'b0}};
      busy_reg          <= 1'b0;
      error_reg         <= 1'b0;
      state_reg         <= ST_IDLE;
      cnt_reg           <= {WORD_W{1'b0}};
      rd_pend_reg       <= 1'b0;
      rd_word_reg       <= {WORD_W{1'b0}};
      body_a_hi_reg     <= 1'b0;
      lk1_valid_reg     <= 1'b0;
      lk1_spi_reg       <= 32'h0;
      lk1_dst_reg       <= 32'h0;
      lk1_coll_reg      <= 1'b0;
      resp_valid_reg    <= 1'b0;
      resp_hit_reg      <= 1'b0;
      resp_index_reg    <= {IDX_W{1'b0}};
      resp_word0_reg    <= 32'h0;
      word_rd_valid_reg <= 1'b0;
      word_rd_hi_reg    <= 1'b0;
      st1_valid_reg     <= 1'b0;
      st1_op_reg        <= SOP_UPDATE;
      st1_index_reg     <= {IDX_W{1'b0}};
      st1_bytes_reg     <= {STAT_BYTES_W{1'b0}};
      st1_reason_reg    <= {`LM_DROP_REASON_W{1'b0}};
      fwd_valid_reg     <= 1'b0;
      fwd_index_reg     <= {IDX_W{1'b0}};
      fwd_data_reg      <= {STATS_W{1'b0}};
      stats_hold_reg    <= {STATS_W{1'b0}};
    end else begin
      if (cmd_we) begin
        cmd_index_reg <= w_data_reg[`LM_SA_TABLE_CMD_INDEX_LSB +: `LM_SA_TABLE_CMD_INDEX_W];
        cmd_op_reg    <= w_data_reg[`LM_SA_TABLE_CMD_OP_LSB +: `LM_SA_TABLE_CMD_OP_W];
      end
      if (busy_we) busy_reg <= busy_new;
      if (error_we) error_reg <= error_new;
      if (state_we) state_reg <= state_new;
      if (cnt_we) cnt_reg <= cnt_new;
      rd_pend_reg <= rd_pend_new;
      if (rd_pend_new) rd_word_reg <= body_a_word;
      if (body_a_en) body_a_hi_reg <= body_a_word[LO_WORDS_W];

      // Lookup pipeline
      lk1_valid_reg  <= lookup_req_valid;
      lk1_spi_reg    <= lookup_req_spi;
      lk1_dst_reg    <= lookup_req_dst_addr;
      lk1_coll_reg   <= lk_coll;
      resp_valid_reg <= lk1_valid_reg;
      if (lk1_valid_reg) begin
        resp_hit_reg   <= lk_hit;
        resp_index_reg <= lk1_spi_reg[IDX_W-1:0];
        resp_word0_reg <= lk_hit ? key_b_rdata[31:0] : 32'h0;
      end
      word_rd_valid_reg <= word_rd_valid;
      if (word_rd_valid) word_rd_hi_reg <= word_rd_word[LO_WORDS_W];

      // Stats pipeline
      st1_valid_reg <= s0_valid;
      if (s0_valid) begin
        st1_op_reg     <= s0_op;
        st1_index_reg  <= s0_index;
        st1_bytes_reg  <= stat_update_bytes;
        st1_reason_reg <= stat_update_reason;
      end
      fwd_valid_reg <= stats_wr;
      if (stats_wr) begin
        fwd_index_reg <= st1_index_reg;
        fwd_data_reg  <= stats_next;
      end
      if (st1_valid_reg && (st1_op_reg == SOP_READ)) stats_hold_reg <= stats_base;
    end
  end

  // Staging words: one write port (AXI-Lite when idle, the FSM when busy), no reset
  always @(posedge clk) begin : stage_update
    if (stage_we) stage_mem[stage_waddr] <= stage_wdata;
  end

  //----------------------------------------------------------------
  // stats_logic: stage 1 of the stats pipeline (read-modify-write with forwarding).
  //----------------------------------------------------------------
  always @* begin : stats_logic
    reg [63:0] packets;
    reg [63:0] bytes;
    stats_base = (fwd_valid_reg && (fwd_index_reg == st1_index_reg)) ? fwd_data_reg : stats_b_rdata;
    stats_next = stats_base;
    packets = {stats_base[32*`LM_SA_STATS_PACKETS_WORD +: 32],
               stats_base[32*(`LM_SA_STATS_PACKETS_WORD+1) +: 32]};
    bytes   = {stats_base[32*`LM_SA_STATS_BYTES_WORD +: 32],
               stats_base[32*(`LM_SA_STATS_BYTES_WORD+1) +: 32]};
    packets = packets + 64'd1;
    bytes   = bytes + {{(64-STAT_BYTES_W){1'b0}}, st1_bytes_reg};
    if (st1_op_reg == SOP_CLEAR) begin
      stats_next = {STATS_W{1'b0}};
    end else if (st1_reason_reg == `LM_DROP_REASON_NONE) begin
      stats_next[32*`LM_SA_STATS_PACKETS_WORD +: 32]     = packets[63:32];
      stats_next[32*(`LM_SA_STATS_PACKETS_WORD+1) +: 32] = packets[31:0];
      stats_next[32*`LM_SA_STATS_BYTES_WORD +: 32]       = bytes[63:32];
      stats_next[32*(`LM_SA_STATS_BYTES_WORD+1) +: 32]   = bytes[31:0];
    end else if (st1_reason_reg == `LM_DROP_REASON_BAD_ICV) begin
      stats_next[32*`LM_SA_STATS_ICV_FAIL_WORD +: 32] =
          stats_base[32*`LM_SA_STATS_ICV_FAIL_WORD +: 32] + 32'd1;
    end else if (st1_reason_reg == `LM_DROP_REASON_REPLAY) begin
      stats_next[32*`LM_SA_STATS_REPLAY_DROP_WORD +: 32] =
          stats_base[32*`LM_SA_STATS_REPLAY_DROP_WORD +: 32] + 32'd1;
    end else if (st1_reason_reg == `LM_DROP_REASON_BAD_PAD) begin
      stats_next[32*`LM_SA_STATS_PAD_FAIL_WORD +: 32] =
          stats_base[32*`LM_SA_STATS_PAD_FAIL_WORD +: 32] + 32'd1;
    end else begin
      stats_next[32*`LM_SA_STATS_OTHER_DROP_WORD +: 32] =
          stats_base[32*`LM_SA_STATS_OTHER_DROP_WORD +: 32] + 32'd1;
    end
  end

  //----------------------------------------------------------------
  // read_decode: register read data for the AXI-Lite slave (lm_axil_slave does the handshakes).
  //----------------------------------------------------------------
  reg [31:0] cmd_word;
  always @* begin : read_decode
    cmd_word = 32'h0;
    cmd_word[`LM_SA_TABLE_CMD_INDEX_LSB +: `LM_SA_TABLE_CMD_INDEX_W] = cmd_index_reg;
    cmd_word[`LM_SA_TABLE_CMD_OP_LSB +: `LM_SA_TABLE_CMD_OP_W]       = cmd_op_reg;
    cmd_word[`LM_SA_TABLE_CMD_BUSY_LSB]                              = busy_reg;
    cmd_word[`LM_SA_TABLE_CMD_ERROR_LSB]                             = error_reg;

    rdata_new = 32'h0;
    if (axil_rd_addr == `LM_ADDR_SA_TABLE_TYPE) rdata_new = `LM_SA_TABLE_TYPE_ID;
    else if (axil_rd_addr == `LM_ADDR_SA_TABLE_VERSION) rdata_new = `LM_SA_TABLE_VERSION_ID;
    else if (axil_rd_addr == `LM_ADDR_SA_TABLE_NEXT) rdata_new = `LM_SA_TABLE_NEXT_PTR;
    else if (axil_rd_addr == `LM_ADDR_SA_TABLE_CAPS) rdata_new = CAPS_WORD;
    else if (axil_rd_addr == `LM_ADDR_SA_TABLE_CMD) rdata_new = cmd_word;
    else if (ar_stage_off < STAGE_BYTES) rdata_new = ar_stage_rdata;
  end

  //----------------------------------------------------------------
  // ctrl_fsm: command decode and the entry/stats operations.
  //----------------------------------------------------------------
  always @* begin : ctrl_fsm
    reg op_ok;
    reg index_ok;
    cmd_we        = 1'b0;
    busy_new      = 1'b0;
    busy_we       = 1'b0;
    error_new     = 1'b0;
    error_we      = 1'b0;
    state_new     = ST_IDLE;
    state_we      = 1'b0;
    cnt_new       = {WORD_W{1'b0}};
    cnt_we        = 1'b0;
    rd_pend_new   = 1'b0;
    body_a_en     = 1'b0;
    body_a_we     = 1'b0;
    body_a_word   = cnt_reg;
    body_a_wdata  = fsm_stage_rdata;
    key_we        = 3'b000;
    stats_cmd_req = 1'b0;
    stage_we      = 1'b0;
    stage_waddr   = aw_stage_off[2 +: STAGE_W];
    stage_wdata   = w_data_reg;

    op_ok = (w_data_reg[`LM_SA_TABLE_CMD_OP_LSB +: `LM_SA_TABLE_CMD_OP_W] >= `LM_SA_CMD_OP_WRITE) &&
            (w_data_reg[`LM_SA_TABLE_CMD_OP_LSB +: `LM_SA_TABLE_CMD_OP_W] <= `LM_SA_CMD_OP_CLEAR_STATS);
    index_ok = {{(32-`LM_SA_TABLE_CMD_INDEX_W){1'b0}},
                w_data_reg[`LM_SA_TABLE_CMD_INDEX_LSB +: `LM_SA_TABLE_CMD_INDEX_W]} < CAPACITY_U;

    // Register writes (only while idle: writes wait while BUSY)
    if (do_write) begin
      if (aw_addr_reg == `LM_ADDR_SA_TABLE_CMD) begin
        cmd_we    = 1'b1;
        error_new = !(op_ok && index_ok);
        error_we  = 1'b1;
        if (op_ok && index_ok) begin
          busy_new = 1'b1;
          busy_we  = 1'b1;
          state_we = 1'b1;
          cnt_new  = {WORD_W{1'b0}};
          cnt_we   = 1'b1;
          case (w_data_reg[`LM_SA_TABLE_CMD_OP_LSB +: `LM_SA_TABLE_CMD_OP_W])
            `LM_SA_CMD_OP_WRITE:      state_new = ST_WRITE_CLR;
            `LM_SA_CMD_OP_READ:       state_new = ST_READ;
            `LM_SA_CMD_OP_INVALIDATE: state_new = ST_INVAL_RD;
            default:       state_new = ST_STATS_REQ;
          endcase
        end
      end else if (aw_stage_off < STAGE_BYTES) begin
        stage_we = 1'b1;
      end
    end

    // READ: capture the word read in the previous cycle
    if (rd_pend_reg) begin
      stage_we    = 1'b1;
      stage_waddr = rd_word_reg[STAGE_W-1:0];
      stage_wdata = body_a_rdata;
    end

    case (state_reg)
      ST_WRITE_CLR: begin
        // Clear VALID first: lookups miss while the other words change
        body_a_en    = 1'b1;
        body_a_we    = 1'b1;
        body_a_word  = VALID_WORD;
        body_a_wdata = fsm_stage_rdata & ~VALID_MASK;
        key_we       = 3'b001;
        cnt_new      = VALID_WORD + 1'b1;
        cnt_we       = 1'b1;
        state_new    = ST_WRITE_COPY;
        state_we     = 1'b1;
      end
      ST_WRITE_COPY: begin
        body_a_en   = 1'b1;
        body_a_we   = 1'b1;
        key_we      = {cnt_reg == LADDR_WORD, cnt_reg == SPI_WORD, 1'b0};
        cnt_new     = cnt_reg + 1'b1;
        cnt_we      = 1'b1;
        if (cnt_reg == LAST_WORD) begin
          state_new = ST_WRITE_LAST;
          state_we  = 1'b1;
        end
      end
      ST_WRITE_LAST: begin
        // Word 0 with VALID last: the entry turns valid in one cycle
        body_a_en   = 1'b1;
        body_a_we   = 1'b1;
        body_a_word = VALID_WORD;
        key_we      = 3'b001;
        busy_new    = 1'b0;
        busy_we     = 1'b1;
        state_new   = ST_IDLE;
        state_we    = 1'b1;
      end
      ST_READ: begin
        body_a_en   = 1'b1;
        rd_pend_new = 1'b1;
        cnt_new     = cnt_reg + 1'b1;
        cnt_we      = 1'b1;
        if (cnt_reg == LAST_WORD) begin
          state_new = ST_READ_DRAIN;
          state_we  = 1'b1;
        end
      end
      ST_READ_DRAIN: begin
        busy_new  = 1'b0;
        busy_we   = 1'b1;
        state_new = ST_IDLE;
        state_we  = 1'b1;
      end
      ST_INVAL_RD: begin
        body_a_en   = 1'b1;
        body_a_word = VALID_WORD;
        state_new   = ST_INVAL_WR;
        state_we    = 1'b1;
      end
      ST_INVAL_WR: begin
        body_a_en    = 1'b1;
        body_a_we    = 1'b1;
        body_a_word  = VALID_WORD;
        body_a_wdata = body_a_rdata & ~VALID_MASK;
        key_we       = 3'b001;
        busy_new     = 1'b0;
        busy_we      = 1'b1;
        state_new    = ST_IDLE;
        state_we     = 1'b1;
      end
      ST_STATS_REQ: begin
        // Engine updates have priority; the command takes the first free cycle
        stats_cmd_req = 1'b1;
        if (stats_cmd_ack) begin
          state_new = ST_STATS_WAIT;
          state_we  = 1'b1;
        end
      end
      ST_STATS_WAIT: begin
        // The op is in stats stage 1 this cycle
        cnt_new = {WORD_W{1'b0}};
        cnt_we  = 1'b1;
        if (cmd_op_reg == `LM_SA_CMD_OP_READ_STATS) begin
          state_new = ST_STATS_COPY;
          state_we  = 1'b1;
        end else begin
          busy_new  = 1'b0;
          busy_we   = 1'b1;
          state_new = ST_IDLE;
          state_we  = 1'b1;
        end
      end
      ST_STATS_COPY: begin
        stage_we    = 1'b1;
        stage_waddr = cnt_reg[STAGE_W-1:0];
        stage_wdata = stats_hold_reg[32*cnt_reg[2:0] +: 32];
        cnt_new     = cnt_reg + 1'b1;
        cnt_we      = 1'b1;
        if (cnt_reg == LAST_STATS_WORD) begin
          busy_new  = 1'b0;
          busy_we   = 1'b1;
          state_new = ST_IDLE;
          state_we  = 1'b1;
        end
      end
      default: begin
      end
    endcase
  end

endmodule

`default_nettype wire
