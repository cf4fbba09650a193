//======================================================================
// esp_bench_tb.v
// --------------
// Icarus side of bench/rtl_esp_bench.cpp: the 8-lane encap engine, one
// AES-128 / HMAC-SHA-1 SA, packets of +bytes=N payload bytes sent back
// to back (+packets=P), always ready. Prints the cycle count when the
// last protected packet has left, so the bench can time the simulator
// on the same design and work as the Verilated model.
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module esp_bench_tb;

  reg clk = 1'b0;
  reg rst = 1'b1;
  always #5 clk = ~clk;

  integer n_bytes;
  integer n_pkts;
  integer beats;
  integer sent_pkts = 0;
  integer sent_beats = 0;
  integer done_pkts = 0;
  integer cycles = 0;

  wire        s_ready;
  wire        hdr_ready;
  wire [63:0] m_data;
  wire [7:0]  m_keep;
  wire        m_valid;
  wire        m_last;
  wire        mh_valid;
  wire [`LM_DROP_REASON_W-1:0] mh_reason;
  wire        mh_sa_valid;
  wire [7:0]  mh_index;
  wire [31:0] mh_seq;
  wire [15:0] mh_len;
  wire        st_valid;
  wire [7:0]  st_index;
  wire [`LM_DROP_REASON_W-1:0] st_reason;
  wire [15:0] st_bytes;
  wire        ev_valid;
  wire [7:0]  ev_index;
  wire [7:0]  ev_kind;

  // One outbound SA: VALID, OUTBOUND, AES-CBC-128, HMAC-SHA1, GEN 1; the key words are a pattern.
  reg [32*`LM_SA_WORDS-1:0] entry;
  integer w;
  initial begin
    entry = {(32*`LM_SA_WORDS){1'b0}};
    for (w = 0; w < `LM_SA_WORDS; w = w + 1) entry[32*w +: 32] = 32'h9e3779b9 * (w + 1);
    entry[31:0] = (32'd1 << `LM_SA_VALID_LSB) | (32'd1 << `LM_SA_DIRECTION_LSB) |
                  ({29'd0, `LM_CIPHER_AES_CBC_128} << `LM_SA_CIPHER_LSB) |
                  ({30'd0, `LM_INTEG_HMAC_SHA1} << `LM_SA_INTEG_LSB) |
                  (32'd1 << `LM_SA_GEN_LSB);
    entry[32*`LM_SA_SEQ_WORD +: 32] = 32'd0;
  end

  wire        last_beat = (sent_beats == beats - 1);
  wire [7:0]  last_keep = (n_bytes % 8 == 0) ? 8'hff : ((8'd1 << (n_bytes % 8)) - 8'd1);

  lm_esp_encap_lanes #(.LANES(8), .CAPACITY(256)) dut (
      .clk(clk), .rst(rst),
      .s_axis_tdata({2{sent_beats[31:0]}}), .s_axis_tkeep(last_beat ? last_keep : 8'hff),
      .s_axis_tvalid(!rst && sent_pkts < n_pkts), .s_axis_tready(s_ready),
      .s_axis_tlast(last_beat),
      .s_hdr_valid(!rst), .s_hdr_ready(hdr_ready), .s_hdr_index(8'd5), .s_hdr_entry(entry),
      .s_hdr_next_header(8'd17), .s_hdr_tos(8'd0), .s_hdr_id(16'd1), .s_hdr_frag(16'h4000),
      .s_hdr_ttl(8'd64),
      .m_axis_tdata(m_data), .m_axis_tkeep(m_keep), .m_axis_tvalid(m_valid),
      .m_axis_tready(1'b1), .m_axis_tlast(m_last),
      .m_hdr_valid(mh_valid), .m_hdr_ready(1'b1), .m_hdr_reason(mh_reason),
      .m_hdr_sa_valid(mh_sa_valid), .m_hdr_index(mh_index), .m_hdr_seq(mh_seq), .m_hdr_len(mh_len),
      .stat_valid(st_valid), .stat_index(st_index), .stat_reason(st_reason), .stat_bytes(st_bytes),
      .event_valid(ev_valid), .event_index(ev_index), .event_kind(ev_kind));

  initial begin
    if (!$value$plusargs("bytes=%d", n_bytes)) n_bytes = 1400;
    if (!$value$plusargs("packets=%d", n_pkts)) n_pkts = 4;
    beats = (n_bytes + 7) / 8;
    if (beats == 0) beats = 1;
    repeat (4) @(posedge clk);
    rst <= 1'b0;
  end

  always @(posedge clk) begin
    if (!rst) begin
      cycles <= cycles + 1;
      if (s_ready && sent_pkts < n_pkts) begin
        if (last_beat) begin
          sent_beats <= 0;
          sent_pkts  <= sent_pkts + 1;
        end else begin
          sent_beats <= sent_beats + 1;
        end
      end
      if (m_valid && m_last) begin
        done_pkts <= done_pkts + 1;
        if (done_pkts + 1 == n_pkts) begin
          $display("cycles %0d packets %0d bytes %0d", cycles + 1, n_pkts, n_bytes);
          $finish;
        end
      end
    end
  end

endmodule

`default_nettype wire
