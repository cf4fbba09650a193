//======================================================================
// rtl_top_bench_tb.v
// ------------------
// Icarus side of bench/rtl_top_bench.cpp: lm_top (LANES=4, CAPACITY=256)
// clocked through a stimulus the bench writes: +regs=FILE (+n_regs=N)
// AXI-Lite writes, one per line {wait[15:0], addr[15:0], data[31:0]}
// in hex, each followed by `wait` idle cycles; then +beats=FILE
// (+n_beats=N) line RX beats {last, keep[7:0], data[63:0]}, sent
// always-valid. Outputs are always ready. Prints every host RX data
// beat ("rx data keep last") and, when +packets=P packets have come
// up, the cycle count since time 0 ("cycles N").
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_top_bench_tb;

  localparam integer MAX_REGS = 1024;
  localparam integer MAX_BEATS = 16384;

  reg clk = 1'b0;
  reg rst = 1'b1;
  always #5 clk = ~clk;

  reg [63:0] regs[0:MAX_REGS-1];
  reg [72:0] beats[0:MAX_BEATS-1];
  reg [1023:0] regs_file, beats_file;
  integer n_regs, n_beats, n_pkts;
  integer cycles = 0;
  integer reg_i = 0;
  integer beat_i = 0;
  integer done_pkts = 0;
  integer wait_cnt = 0;
  integer phase = 0;  // 0 reset, 1 register writes, 2 streams

  reg aw_valid = 1'b0, w_valid = 1'b0, b_wait = 1'b0;
  wire aw_ready, w_ready, b_valid;
  wire line_ready;
  wire [63:0] rx_data;
  wire [7:0] rx_keep;
  wire rx_valid, rx_last;

  wire [63:0] cur_reg = regs[reg_i];
  wire [72:0] cur_beat = beats[beat_i];
  wire line_valid = phase == 2 && beat_i < n_beats;

  // Outputs not looked at.
  wire [63:0] ltx_data;
  wire [7:0] ltx_keep;
  wire ltx_valid, ltx_last;
  wire rh_valid;
  wire [`LM_PKT_CLASS_W-1:0] rh_class;
  wire rh_sa_valid;
  wire [7:0] rh_index;
  wire [31:0] rh_spi, rh_seq, rh_src, rh_dst;
  wire [15:0] rh_sport, rh_dport, rh_off, rh_len;
  wire [3:0] rh_port;
  wire th_ready, tx_ready;
  wire [1:0] b_resp, r_resp;
  wire ar_ready, r_valid;
  wire [31:0] r_data;
  wire irq;

  lm_top #(.LANES(4), .CAPACITY(256)) dut (
      .clk(clk), .rst(rst),
      .s_axis_line_rx_tdata(cur_beat[63:0]), .s_axis_line_rx_tkeep(cur_beat[71:64]),
      .s_axis_line_rx_tvalid(line_valid), .s_axis_line_rx_tready(line_ready),
      .s_axis_line_rx_tlast(cur_beat[72]),
      .m_axis_line_tx_tdata(ltx_data), .m_axis_line_tx_tkeep(ltx_keep),
      .m_axis_line_tx_tvalid(ltx_valid), .m_axis_line_tx_tready(1'b1),
      .m_axis_line_tx_tlast(ltx_last),
      .m_axis_host_rx_hdr_valid(rh_valid), .m_axis_host_rx_hdr_ready(1'b1),
      .m_axis_host_rx_hdr_pkt_class(rh_class), .m_axis_host_rx_hdr_sa_valid(rh_sa_valid),
      .m_axis_host_rx_hdr_sa_index(rh_index), .m_axis_host_rx_hdr_spi(rh_spi),
      .m_axis_host_rx_hdr_seq(rh_seq), .m_axis_host_rx_hdr_src_addr(rh_src),
      .m_axis_host_rx_hdr_dst_addr(rh_dst), .m_axis_host_rx_hdr_src_port(rh_sport),
      .m_axis_host_rx_hdr_dst_port(rh_dport), .m_axis_host_rx_hdr_payload_offset(rh_off),
      .m_axis_host_rx_hdr_len(rh_len), .m_axis_host_rx_hdr_port(rh_port),
      .m_axis_host_rx_tdata(rx_data), .m_axis_host_rx_tkeep(rx_keep),
      .m_axis_host_rx_tvalid(rx_valid), .m_axis_host_rx_tready(1'b1),
      .m_axis_host_rx_tlast(rx_last),
      .s_axis_host_tx_hdr_valid(1'b0), .s_axis_host_tx_hdr_ready(th_ready),
      .s_axis_host_tx_hdr_encap(1'b0), .s_axis_host_tx_hdr_sa_index(8'd0),
      .s_axis_host_tx_hdr_next_header(8'd0), .s_axis_host_tx_hdr_tos(8'd0),
      .s_axis_host_tx_hdr_id(16'd0), .s_axis_host_tx_hdr_frag(16'd0),
      .s_axis_host_tx_hdr_ttl(8'd0), .s_axis_host_tx_hdr_port(4'd0),
      .s_axis_host_tx_tdata(64'd0), .s_axis_host_tx_tkeep(8'd0), .s_axis_host_tx_tvalid(1'b0),
      .s_axis_host_tx_tready(tx_ready), .s_axis_host_tx_tlast(1'b0),
      .s_axil_awaddr(cur_reg[32 +: `LM_ADDR_WIDTH]), .s_axil_awprot(3'd0),
      .s_axil_awvalid(aw_valid), .s_axil_awready(aw_ready),
      .s_axil_wdata(cur_reg[31:0]), .s_axil_wstrb(4'hf), .s_axil_wvalid(w_valid),
      .s_axil_wready(w_ready), .s_axil_bresp(b_resp), .s_axil_bvalid(b_valid),
      .s_axil_bready(1'b1),
      .s_axil_araddr({`LM_ADDR_WIDTH{1'b0}}), .s_axil_arprot(3'd0), .s_axil_arvalid(1'b0),
      .s_axil_arready(ar_ready), .s_axil_rdata(r_data), .s_axil_rresp(r_resp),
      .s_axil_rvalid(r_valid), .s_axil_rready(1'b1),
      .irq(irq));

  initial begin
    if (!$value$plusargs("regs=%s", regs_file)) $fatal(1, "+regs= missing");
    if (!$value$plusargs("beats=%s", beats_file)) $fatal(1, "+beats= missing");
    if (!$value$plusargs("n_regs=%d", n_regs)) n_regs = 0;
    if (!$value$plusargs("n_beats=%d", n_beats)) n_beats = 0;
    if (!$value$plusargs("packets=%d", n_pkts)) n_pkts = 1;
    if (n_regs > MAX_REGS || n_beats > MAX_BEATS) $fatal(1, "stimulus too long");
    $readmemh(regs_file, regs, 0, n_regs - 1);
    $readmemh(beats_file, beats, 0, n_beats - 1);
  end

  // Reset for 4 cycles and 40 idle cycles (the parser's counter clear), as the bench's driver.
  always @(posedge clk) begin
    cycles <= cycles + 1;
    if (cycles == 3) rst <= 1'b0;
    if (phase == 0 && cycles == 43) begin
      phase <= n_regs > 0 ? 1 : 2;
      aw_valid <= n_regs > 0;
      w_valid <= n_regs > 0;
      b_wait <= n_regs > 0;
    end
    if (phase == 1) begin
      if (aw_valid && aw_ready) aw_valid <= 1'b0;
      if (w_valid && w_ready) w_valid <= 1'b0;
      if (b_wait && b_valid) begin
        b_wait <= 1'b0;
        wait_cnt <= cur_reg[63:48];
      end
      if (!b_wait && !aw_valid && !w_valid) begin
        if (wait_cnt > 0) begin
          wait_cnt <= wait_cnt - 1;
        end else if (reg_i + 1 < n_regs) begin
          reg_i <= reg_i + 1;
          aw_valid <= 1'b1;
          w_valid <= 1'b1;
          b_wait <= 1'b1;
        end else begin
          phase <= 2;
        end
      end
    end
    if (line_valid && line_ready) beat_i <= beat_i + 1;
    if (rx_valid) begin
      $display("rx %h %h %0d", rx_data, rx_keep, rx_last);
      if (rx_last) begin
        done_pkts <= done_pkts + 1;
        if (done_pkts + 1 == n_pkts) begin
          $display("cycles %0d", cycles + 1);
          $finish;
        end
      end
    end
    if (cycles > 10000000) $fatal(1, "timeout");
  end

endmodule

`default_nettype wire
