//======================================================================
// lm_top.v
// --------
// The line module: one line port, the NAT-T parser, the SA table, the
// ESP decap and encap lanes, and the AXI-Lite register blocks of
// rtl/regmap/lm_regmap.yaml (ident, ctrl, sa_table, parser, decap,
// encap). docs/line-module.md section 1 is the contract; README.md in
// this directory the details.
//
//   s_axis_line_rx ─▶ lm_parser_top ─▶ lm_top_ingress ─▶ m_axis_host_rx (+ hdr)
//                                      │ lookup, words ▲
//                                      ▼               │ lm_sa_table ◀─ stats (both engines)
//   s_axis_host_tx (+ hdr) ─▶ lm_top_egress ───────────┘ ─▶ m_axis_line_tx
//   s_axil ─▶ lm_axil_interconnect ─▶ ident, ctrl, sa_table, parser, decap, encap
//======================================================================
`default_nettype none
`include "lm_regs.vh"

module lm_top #(
    // ESP lanes each way (a power of two)
    parameter integer LANES = 4,
    // SA-table entries (a power of two)
    parameter integer CAPACITY = `LM_SA_CAPACITY,
    // log2 of the ingress frame buffer in 8-byte beats (9: frames up to 4 KiB)
    parameter integer RX_FIFO_LOG2 = 9,
    // RTL release reported in ident.RTL_VERSION (major.minor.patch in bytes 2, 1, 0)
    parameter [31:0] RTL_VERSION = 32'h00000100,
    // ident.BUILD_ID and BUILD_DATE (0: not recorded)
    parameter [31:0] BUILD_ID = 32'h0,
    parameter [31:0] BUILD_DATE = 32'h0,
    // SA index bits (do not override)
    parameter integer IDX_W = $clog2(CAPACITY)
) (
    input  wire             clk,
    input  wire             rst,

    // Line port: Ethernet frames without FCS
    input  wire [63:0]      s_axis_line_rx_tdata,
    input  wire [7:0]       s_axis_line_rx_tkeep,
    input  wire             s_axis_line_rx_tvalid,
    output wire             s_axis_line_rx_tready,
    input  wire             s_axis_line_rx_tlast,
    output wire [63:0]      m_axis_line_tx_tdata,
    output wire [7:0]       m_axis_line_tx_tkeep,
    output wire             m_axis_line_tx_tvalid,
    input  wire             m_axis_line_tx_tready,
    output wire             m_axis_line_tx_tlast,

    // Host receive: header beat, then data
    output wire             m_axis_host_rx_hdr_valid,
    input  wire             m_axis_host_rx_hdr_ready,
    output wire [`LM_PKT_CLASS_W-1:0] m_axis_host_rx_hdr_pkt_class,
    output wire             m_axis_host_rx_hdr_sa_valid,
    output wire [IDX_W-1:0] m_axis_host_rx_hdr_sa_index,
    output wire [31:0]      m_axis_host_rx_hdr_spi,
    output wire [31:0]      m_axis_host_rx_hdr_seq,
    output wire [31:0]      m_axis_host_rx_hdr_src_addr,
    output wire [31:0]      m_axis_host_rx_hdr_dst_addr,
    output wire [15:0]      m_axis_host_rx_hdr_src_port,
    output wire [15:0]      m_axis_host_rx_hdr_dst_port,
    output wire [15:0]      m_axis_host_rx_hdr_payload_offset,
    output wire [15:0]      m_axis_host_rx_hdr_len,
    output wire [3:0]       m_axis_host_rx_hdr_port,
    output wire [63:0]      m_axis_host_rx_tdata,
    output wire [7:0]       m_axis_host_rx_tkeep,
    output wire             m_axis_host_rx_tvalid,
    input  wire             m_axis_host_rx_tready,
    output wire             m_axis_host_rx_tlast,

    // Host transmit: header beat, then data
    input  wire             s_axis_host_tx_hdr_valid,
    output wire             s_axis_host_tx_hdr_ready,
    input  wire             s_axis_host_tx_hdr_encap,
    input  wire [IDX_W-1:0] s_axis_host_tx_hdr_sa_index,
    input  wire [7:0]       s_axis_host_tx_hdr_next_header,
    input  wire [7:0]       s_axis_host_tx_hdr_tos,
    input  wire [15:0]      s_axis_host_tx_hdr_id,
    input  wire [15:0]      s_axis_host_tx_hdr_frag,
    input  wire [7:0]       s_axis_host_tx_hdr_ttl,
    input  wire [3:0]       s_axis_host_tx_hdr_port,
    input  wire [63:0]      s_axis_host_tx_tdata,
    input  wire [7:0]       s_axis_host_tx_tkeep,
    input  wire             s_axis_host_tx_tvalid,
    output wire             s_axis_host_tx_tready,
    input  wire             s_axis_host_tx_tlast,

    // AXI-Lite: the whole register map
    input  wire [`LM_ADDR_WIDTH-1:0] s_axil_awaddr,
    input  wire [2:0]       s_axil_awprot,
    input  wire             s_axil_awvalid,
    output wire             s_axil_awready,
    input  wire [31:0]      s_axil_wdata,
    input  wire [3:0]       s_axil_wstrb,
    input  wire             s_axil_wvalid,
    output wire             s_axil_wready,
    output wire [1:0]       s_axil_bresp,
    output wire             s_axil_bvalid,
    input  wire             s_axil_bready,
    input  wire [`LM_ADDR_WIDTH-1:0] s_axil_araddr,
    input  wire [2:0]       s_axil_arprot,
    input  wire             s_axil_arvalid,
    output wire             s_axil_arready,
    output wire [31:0]      s_axil_rdata,
    output wire [1:0]       s_axil_rresp,
    output wire             s_axil_rvalid,
    input  wire             s_axil_rready,

    output wire             irq
);

  //----------------------------------------------------------------
  // Constants.
  //----------------------------------------------------------------
  localparam integer AW = `LM_ADDR_WIDTH;
  localparam integer SLAVES = 6;
  localparam integer S_IDENT = 0;
  localparam integer S_CTRL = 1;
  localparam integer S_SA = 2;
  localparam integer S_PARSER = 3;
  localparam integer S_DECAP = 4;
  localparam integer S_ENCAP = 5;
  localparam [SLAVES*AW-1:0] BASES = {`LM_ENCAP_BASE, `LM_DECAP_BASE, `LM_PARSER_BASE,
                                      `LM_SA_TABLE_BASE, `LM_CTRL_BASE, `LM_IDENT_BASE};
  localparam [SLAVES*AW-1:0] SPANS = {`LM_ENCAP_SPAN, `LM_DECAP_SPAN, `LM_PARSER_SPAN,
                                      `LM_SA_TABLE_SPAN, `LM_CTRL_SPAN, `LM_IDENT_SPAN};
  // One line port; AES, both HMACs and the NAT-T parser are built in
  localparam [31:0] PORTS = 32'd1;
  localparam [31:0] CAPS = (32'd1 << `LM_IDENT_CAPS_AES_LSB) |
                           (32'd1 << `LM_IDENT_CAPS_HMAC_SHA1_LSB) |
                           (32'd1 << `LM_IDENT_CAPS_HMAC_SHA256_LSB) |
                           (32'd1 << `LM_IDENT_CAPS_NATT_PARSER_LSB) |
                           (PORTS << `LM_IDENT_CAPS_PORTS_LSB);
  localparam integer STAT_W = IDX_W + `LM_DROP_REASON_W + 16;

  //----------------------------------------------------------------
  // Control.
  //----------------------------------------------------------------
  wire        enable;
  wire        nat_passthrough;
  wire        soft_reset;
  wire [47:0] local_mac;
  wire [47:0] gateway_mac;
  // Datapath reset: the parser, the routes and the lanes; not the SA table or the register blocks
  reg         dp_rst_reg;
  always @(posedge clk) dp_rst_reg <= rst || soft_reset;
  wire        dp_rst = rst || dp_rst_reg;

  assign m_axis_host_rx_hdr_port = 4'd0;
  wire _unused_ok = &{1'b0, s_axis_host_tx_hdr_port, s_axil_awprot, s_axil_arprot};

  //----------------------------------------------------------------
  // AXI-Lite interconnect.
  //----------------------------------------------------------------
  wire [AW-1:0]       x_awaddr;
  wire [SLAVES-1:0]   x_awvalid;
  wire [SLAVES-1:0]   x_awready;
  wire [31:0]         x_wdata;
  wire [3:0]          x_wstrb;
  wire [SLAVES-1:0]   x_wvalid;
  wire [SLAVES-1:0]   x_wready;
  wire [2*SLAVES-1:0] x_bresp;
  wire [SLAVES-1:0]   x_bvalid;
  wire [SLAVES-1:0]   x_bready;
  wire [AW-1:0]       x_araddr;
  wire [SLAVES-1:0]   x_arvalid;
  wire [SLAVES-1:0]   x_arready;
  wire [32*SLAVES-1:0] x_rdata;
  wire [2*SLAVES-1:0] x_rresp;
  wire [SLAVES-1:0]   x_rvalid;
  wire [SLAVES-1:0]   x_rready;

  lm_axil_interconnect #(
      .SLAVES(SLAVES),
      .ADDR_W(AW),
      .BASES(BASES),
      .SPANS(SPANS)
  ) xbar (
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
      .m_axil_awaddr(x_awaddr),
      .m_axil_awvalid(x_awvalid),
      .m_axil_awready(x_awready),
      .m_axil_wdata(x_wdata),
      .m_axil_wstrb(x_wstrb),
      .m_axil_wvalid(x_wvalid),
      .m_axil_wready(x_wready),
      .m_axil_bresp(x_bresp),
      .m_axil_bvalid(x_bvalid),
      .m_axil_bready(x_bready),
      .m_axil_araddr(x_araddr),
      .m_axil_arvalid(x_arvalid),
      .m_axil_arready(x_arready),
      .m_axil_rdata(x_rdata),
      .m_axil_rresp(x_rresp),
      .m_axil_rvalid(x_rvalid),
      .m_axil_rready(x_rready));

  //----------------------------------------------------------------
  // Register blocks.
  //----------------------------------------------------------------
  wire             ev_valid;
  wire [IDX_W-1:0] ev_index;
  wire [7:0]       ev_kind;
  wire             rx_discard;
  wire             tx_discard;

  lm_ident_regs #(
      .ADDR_W(AW),
      .RTL_VERSION(RTL_VERSION),
      .BUILD_ID(BUILD_ID),
      .BUILD_DATE(BUILD_DATE),
      .CAPS(CAPS)
  ) ident (
      .clk(clk),
      .rst(rst),
      .s_axil_awaddr(x_awaddr),
      .s_axil_awvalid(x_awvalid[S_IDENT]),
      .s_axil_awready(x_awready[S_IDENT]),
      .s_axil_wdata(x_wdata),
      .s_axil_wstrb(x_wstrb),
      .s_axil_wvalid(x_wvalid[S_IDENT]),
      .s_axil_wready(x_wready[S_IDENT]),
      .s_axil_bresp(x_bresp[2*S_IDENT +: 2]),
      .s_axil_bvalid(x_bvalid[S_IDENT]),
      .s_axil_bready(x_bready[S_IDENT]),
      .s_axil_araddr(x_araddr),
      .s_axil_arvalid(x_arvalid[S_IDENT]),
      .s_axil_arready(x_arready[S_IDENT]),
      .s_axil_rdata(x_rdata[32*S_IDENT +: 32]),
      .s_axil_rresp(x_rresp[2*S_IDENT +: 2]),
      .s_axil_rvalid(x_rvalid[S_IDENT]),
      .s_axil_rready(x_rready[S_IDENT]));

  lm_ctrl_regs #(
      .ADDR_W(AW),
      .IDX_W(IDX_W)
  ) ctrl (
      .clk(clk),
      .rst(rst),
      .enable(enable),
      .nat_passthrough(nat_passthrough),
      .soft_reset(soft_reset),
      .local_mac(local_mac),
      .gateway_mac(gateway_mac),
      .irq(irq),
      .event_valid(ev_valid),
      .event_index(ev_index),
      .event_kind(ev_kind),
      .rx_pending(m_axis_host_rx_hdr_valid),
      .rx_discard(rx_discard),
      .tx_discard(tx_discard),
      .s_axil_awaddr(x_awaddr),
      .s_axil_awvalid(x_awvalid[S_CTRL]),
      .s_axil_awready(x_awready[S_CTRL]),
      .s_axil_wdata(x_wdata),
      .s_axil_wstrb(x_wstrb),
      .s_axil_wvalid(x_wvalid[S_CTRL]),
      .s_axil_wready(x_wready[S_CTRL]),
      .s_axil_bresp(x_bresp[2*S_CTRL +: 2]),
      .s_axil_bvalid(x_bvalid[S_CTRL]),
      .s_axil_bready(x_bready[S_CTRL]),
      .s_axil_araddr(x_araddr),
      .s_axil_arvalid(x_arvalid[S_CTRL]),
      .s_axil_arready(x_arready[S_CTRL]),
      .s_axil_rdata(x_rdata[32*S_CTRL +: 32]),
      .s_axil_rresp(x_rresp[2*S_CTRL +: 2]),
      .s_axil_rvalid(x_rvalid[S_CTRL]),
      .s_axil_rready(x_rready[S_CTRL]));

  //----------------------------------------------------------------
  // SA table with its word-read port shared by ingress and egress, and the stats of both
  // engines merged one per cycle.
  //----------------------------------------------------------------
  wire             lk_req_valid;
  wire [31:0]      lk_req_spi;
  wire [31:0]      lk_req_dst;
  wire             lk_resp_valid;
  wire             lk_resp_hit;
  wire [IDX_W-1:0] lk_resp_index;
  wire [31:0]      lk_resp_word0;

  wire             in_fetch_req;
  wire             in_wr_valid;
  wire [IDX_W-1:0] in_wr_index;
  wire [5:0]       in_wr_word;
  wire             eg_fetch_req;
  wire             eg_wr_valid;
  wire [IDX_W-1:0] eg_wr_index;
  wire [5:0]       eg_wr_word;
  wire             word_data_valid;
  wire [31:0]      word_data;

  // Word-port owner: 0 none, 1 ingress, 2 egress; held while the owner asks
  localparam [1:0] OWN_NONE = 2'd0;
  localparam [1:0] OWN_IN   = 2'd1;
  localparam [1:0] OWN_EG   = 2'd2;
  reg [1:0] own_reg;
  reg [1:0] own_new;
  reg       last_in_reg;  // ingress had the port last: egress goes first on a tie
  always @* begin : word_arb
    own_new = own_reg;
    if ((own_reg == OWN_IN && !in_fetch_req) || (own_reg == OWN_EG && !eg_fetch_req))
      own_new = OWN_NONE;
    if (own_new == OWN_NONE) begin
      if (in_fetch_req && (!eg_fetch_req || !last_in_reg)) own_new = OWN_IN;
      else if (eg_fetch_req) own_new = OWN_EG;
    end
  end
  always @(posedge clk) begin : arb_update
    if (dp_rst) begin
      own_reg     <= OWN_NONE;
      last_in_reg <= 1'b0;
    end else begin
      own_reg <= own_new;
      if (own_new == OWN_IN) last_in_reg <= 1'b1;
      else if (own_new == OWN_EG) last_in_reg <= 1'b0;
    end
  end
  wire in_gnt = (own_reg == OWN_IN);
  wire eg_gnt = (own_reg == OWN_EG);

  wire             dec_stat_valid;
  wire [IDX_W-1:0] dec_stat_index;
  wire [`LM_DROP_REASON_W-1:0] dec_stat_reason;
  wire [15:0]      dec_stat_bytes;
  wire             enc_stat_valid;
  wire [IDX_W-1:0] enc_stat_index;
  wire [`LM_DROP_REASON_W-1:0] enc_stat_reason;
  wire [15:0]      enc_stat_bytes;

  // Each engine gives at most one update per cycle (its lanes are merged already) and one per
  // packet per lane; a small FIFO each, drained one per cycle alternately.
  wire [STAT_W-1:0] dq_data;
  wire              dq_valid;
  wire              dq_pop;
  wire [STAT_W-1:0] eq_data;
  wire              eq_valid;
  wire              eq_pop;
  wire              dq_wr_ready;
  wire              eq_wr_ready;
  reg               stat_turn_reg;
  wire _unused_stat = &{1'b0, dq_wr_ready, eq_wr_ready, lk_resp_word0};

  lm_sync_fifo #(
      .WIDTH(STAT_W),
      .DEPTH_LOG2(3)
  ) dec_stat_fifo (
      .clk(clk),
      .rst(dp_rst),
      .wr_data({dec_stat_index, dec_stat_reason, dec_stat_bytes}),
      .wr_valid(dec_stat_valid),
      .wr_ready(dq_wr_ready),
      .rd_data(dq_data),
      .rd_valid(dq_valid),
      .rd_ready(dq_pop));

  lm_sync_fifo #(
      .WIDTH(STAT_W),
      .DEPTH_LOG2(3)
  ) enc_stat_fifo (
      .clk(clk),
      .rst(dp_rst),
      .wr_data({enc_stat_index, enc_stat_reason, enc_stat_bytes}),
      .wr_valid(enc_stat_valid),
      .wr_ready(eq_wr_ready),
      .rd_data(eq_data),
      .rd_valid(eq_valid),
      .rd_ready(eq_pop));

  assign dq_pop = dq_valid && (!eq_valid || !stat_turn_reg);
  assign eq_pop = eq_valid && !dq_pop;
  wire [STAT_W-1:0] st_data = dq_pop ? dq_data : eq_data;
  always @(posedge clk) begin : stat_turn
    if (dp_rst) stat_turn_reg <= 1'b0;
    else if (dq_pop) stat_turn_reg <= 1'b1;
    else if (eq_pop) stat_turn_reg <= 1'b0;
  end

  lm_sa_table #(
      .CAPACITY(CAPACITY),
      .AXIL_ADDR_W(AW)
  ) sa_table (
      .clk(clk),
      .rst(rst),
      .s_axil_awaddr(x_awaddr),
      .s_axil_awvalid(x_awvalid[S_SA]),
      .s_axil_awready(x_awready[S_SA]),
      .s_axil_wdata(x_wdata),
      .s_axil_wstrb(x_wstrb),
      .s_axil_wvalid(x_wvalid[S_SA]),
      .s_axil_wready(x_wready[S_SA]),
      .s_axil_bresp(x_bresp[2*S_SA +: 2]),
      .s_axil_bvalid(x_bvalid[S_SA]),
      .s_axil_bready(x_bready[S_SA]),
      .s_axil_araddr(x_araddr),
      .s_axil_arvalid(x_arvalid[S_SA]),
      .s_axil_arready(x_arready[S_SA]),
      .s_axil_rdata(x_rdata[32*S_SA +: 32]),
      .s_axil_rresp(x_rresp[2*S_SA +: 2]),
      .s_axil_rvalid(x_rvalid[S_SA]),
      .s_axil_rready(x_rready[S_SA]),
      .lookup_req_valid(lk_req_valid),
      .lookup_req_spi(lk_req_spi),
      .lookup_req_dst_addr(lk_req_dst),
      .lookup_resp_valid(lk_resp_valid),
      .lookup_resp_hit(lk_resp_hit),
      .lookup_resp_index(lk_resp_index),
      .lookup_resp_word0(lk_resp_word0),
      .word_rd_valid(in_gnt ? in_wr_valid : eg_wr_valid),
      .word_rd_index(in_gnt ? in_wr_index : eg_wr_index),
      .word_rd_word(in_gnt ? in_wr_word : eg_wr_word),
      .word_rd_data_valid(word_data_valid),
      .word_rd_data(word_data),
      .stat_update_valid(dq_pop || eq_pop),
      .stat_update_index(st_data[STAT_W-1 -: IDX_W]),
      .stat_update_bytes(st_data[15:0]),
      .stat_update_reason(st_data[16 +: `LM_DROP_REASON_W]));

  //----------------------------------------------------------------
  // Parser.
  //----------------------------------------------------------------
  wire [63:0]      p_tdata;
  wire [7:0]       p_tkeep;
  wire             p_tvalid;
  wire             p_tready;
  wire             p_tlast;
  wire             pm_valid;
  wire             pm_ready;
  wire [`LM_PKT_CLASS_W-1:0]   pm_class;
  wire [`LM_DROP_REASON_W-1:0] pm_reason;
  wire [15:0]      pm_poff;
  wire [15:0]      pm_plen;
  wire [31:0]      pm_src_addr;
  wire [31:0]      pm_dst_addr;
  wire [15:0]      pm_src_port;
  wire [15:0]      pm_dst_port;
  wire [15:0]      pm_flen;
  wire _unused_meta = &{1'b0, pm_reason, pm_plen};

  lm_parser_top #(
      .ADDR_WIDTH(AW)
  ) parser (
      .clk(clk),
      .rst(dp_rst),
      .nat_passthrough(nat_passthrough),
      .s_axis_tdata(s_axis_line_rx_tdata),
      .s_axis_tkeep(s_axis_line_rx_tkeep),
      .s_axis_tvalid(s_axis_line_rx_tvalid),
      .s_axis_tready(s_axis_line_rx_tready),
      .s_axis_tlast(s_axis_line_rx_tlast),
      .m_axis_tdata(p_tdata),
      .m_axis_tkeep(p_tkeep),
      .m_axis_tvalid(p_tvalid),
      .m_axis_tready(p_tready),
      .m_axis_tlast(p_tlast),
      .m_axis_meta_tvalid(pm_valid),
      .m_axis_meta_tready(pm_ready),
      .m_axis_meta_pkt_class(pm_class),
      .m_axis_meta_drop_reason(pm_reason),
      .m_axis_meta_payload_offset(pm_poff),
      .m_axis_meta_payload_length(pm_plen),
      .m_axis_meta_src_addr(pm_src_addr),
      .m_axis_meta_dst_addr(pm_dst_addr),
      .m_axis_meta_src_port(pm_src_port),
      .m_axis_meta_dst_port(pm_dst_port),
      .m_axis_meta_frame_len(pm_flen),
      .s_axil_awaddr(x_awaddr),
      .s_axil_awprot(3'b000),
      .s_axil_awvalid(x_awvalid[S_PARSER]),
      .s_axil_awready(x_awready[S_PARSER]),
      .s_axil_wdata(x_wdata),
      .s_axil_wstrb(x_wstrb),
      .s_axil_wvalid(x_wvalid[S_PARSER]),
      .s_axil_wready(x_wready[S_PARSER]),
      .s_axil_bresp(x_bresp[2*S_PARSER +: 2]),
      .s_axil_bvalid(x_bvalid[S_PARSER]),
      .s_axil_bready(x_bready[S_PARSER]),
      .s_axil_araddr(x_araddr),
      .s_axil_arprot(3'b000),
      .s_axil_arvalid(x_arvalid[S_PARSER]),
      .s_axil_arready(x_arready[S_PARSER]),
      .s_axil_rdata(x_rdata[32*S_PARSER +: 32]),
      .s_axil_rresp(x_rresp[2*S_PARSER +: 2]),
      .s_axil_rvalid(x_rvalid[S_PARSER]),
      .s_axil_rready(x_rready[S_PARSER]));

  //----------------------------------------------------------------
  // Ingress and egress.
  //----------------------------------------------------------------
  wire                         dec_cnt_valid;
  wire [`LM_DROP_REASON_W-1:0] dec_cnt_reason;
  wire                         enc_cnt_valid;
  wire [`LM_DROP_REASON_W-1:0] enc_cnt_reason;

  lm_top_ingress #(
      .LANES(LANES),
      .CAPACITY(CAPACITY),
      .FIFO_LOG2(RX_FIFO_LOG2)
  ) ingress (
      .clk(clk),
      .rst(dp_rst),
      .enable(enable),
      .s_axis_tdata(p_tdata),
      .s_axis_tkeep(p_tkeep),
      .s_axis_tvalid(p_tvalid),
      .s_axis_tready(p_tready),
      .s_axis_tlast(p_tlast),
      .s_meta_valid(pm_valid),
      .s_meta_ready(pm_ready),
      .s_meta_pkt_class(pm_class),
      .s_meta_payload_offset(pm_poff),
      .s_meta_src_addr(pm_src_addr),
      .s_meta_dst_addr(pm_dst_addr),
      .s_meta_src_port(pm_src_port),
      .s_meta_dst_port(pm_dst_port),
      .s_meta_frame_len(pm_flen),
      .lookup_req_valid(lk_req_valid),
      .lookup_req_spi(lk_req_spi),
      .lookup_req_dst_addr(lk_req_dst),
      .lookup_resp_valid(lk_resp_valid),
      .lookup_resp_hit(lk_resp_hit),
      .lookup_resp_index(lk_resp_index),
      .fetch_req(in_fetch_req),
      .fetch_gnt(in_gnt),
      .word_rd_valid(in_wr_valid),
      .word_rd_index(in_wr_index),
      .word_rd_word(in_wr_word),
      .word_rd_data_valid(word_data_valid && in_gnt),
      .word_rd_data(word_data),
      .m_axis_host_rx_hdr_valid(m_axis_host_rx_hdr_valid),
      .m_axis_host_rx_hdr_ready(m_axis_host_rx_hdr_ready),
      .m_axis_host_rx_hdr_pkt_class(m_axis_host_rx_hdr_pkt_class),
      .m_axis_host_rx_hdr_sa_valid(m_axis_host_rx_hdr_sa_valid),
      .m_axis_host_rx_hdr_sa_index(m_axis_host_rx_hdr_sa_index),
      .m_axis_host_rx_hdr_spi(m_axis_host_rx_hdr_spi),
      .m_axis_host_rx_hdr_seq(m_axis_host_rx_hdr_seq),
      .m_axis_host_rx_hdr_src_addr(m_axis_host_rx_hdr_src_addr),
      .m_axis_host_rx_hdr_dst_addr(m_axis_host_rx_hdr_dst_addr),
      .m_axis_host_rx_hdr_src_port(m_axis_host_rx_hdr_src_port),
      .m_axis_host_rx_hdr_dst_port(m_axis_host_rx_hdr_dst_port),
      .m_axis_host_rx_hdr_payload_offset(m_axis_host_rx_hdr_payload_offset),
      .m_axis_host_rx_hdr_len(m_axis_host_rx_hdr_len),
      .m_axis_host_rx_tdata(m_axis_host_rx_tdata),
      .m_axis_host_rx_tkeep(m_axis_host_rx_tkeep),
      .m_axis_host_rx_tvalid(m_axis_host_rx_tvalid),
      .m_axis_host_rx_tready(m_axis_host_rx_tready),
      .m_axis_host_rx_tlast(m_axis_host_rx_tlast),
      .stat_valid(dec_stat_valid),
      .stat_index(dec_stat_index),
      .stat_reason(dec_stat_reason),
      .stat_bytes(dec_stat_bytes),
      .cnt_valid(dec_cnt_valid),
      .cnt_reason(dec_cnt_reason),
      .rx_discard(rx_discard));

  lm_top_egress #(
      .LANES(LANES),
      .CAPACITY(CAPACITY)
  ) egress (
      .clk(clk),
      .rst(dp_rst),
      .enable(enable),
      .local_mac(local_mac),
      .gateway_mac(gateway_mac),
      .s_axis_host_tx_hdr_valid(s_axis_host_tx_hdr_valid),
      .s_axis_host_tx_hdr_ready(s_axis_host_tx_hdr_ready),
      .s_axis_host_tx_hdr_encap(s_axis_host_tx_hdr_encap),
      .s_axis_host_tx_hdr_sa_index(s_axis_host_tx_hdr_sa_index),
      .s_axis_host_tx_hdr_next_header(s_axis_host_tx_hdr_next_header),
      .s_axis_host_tx_hdr_tos(s_axis_host_tx_hdr_tos),
      .s_axis_host_tx_hdr_id(s_axis_host_tx_hdr_id),
      .s_axis_host_tx_hdr_frag(s_axis_host_tx_hdr_frag),
      .s_axis_host_tx_hdr_ttl(s_axis_host_tx_hdr_ttl),
      .s_axis_host_tx_tdata(s_axis_host_tx_tdata),
      .s_axis_host_tx_tkeep(s_axis_host_tx_tkeep),
      .s_axis_host_tx_tvalid(s_axis_host_tx_tvalid),
      .s_axis_host_tx_tready(s_axis_host_tx_tready),
      .s_axis_host_tx_tlast(s_axis_host_tx_tlast),
      .fetch_req(eg_fetch_req),
      .fetch_gnt(eg_gnt),
      .word_rd_valid(eg_wr_valid),
      .word_rd_index(eg_wr_index),
      .word_rd_word(eg_wr_word),
      .word_rd_data_valid(word_data_valid && eg_gnt),
      .word_rd_data(word_data),
      .m_axis_line_tx_tdata(m_axis_line_tx_tdata),
      .m_axis_line_tx_tkeep(m_axis_line_tx_tkeep),
      .m_axis_line_tx_tvalid(m_axis_line_tx_tvalid),
      .m_axis_line_tx_tready(m_axis_line_tx_tready),
      .m_axis_line_tx_tlast(m_axis_line_tx_tlast),
      .stat_valid(enc_stat_valid),
      .stat_index(enc_stat_index),
      .stat_reason(enc_stat_reason),
      .stat_bytes(enc_stat_bytes),
      .event_valid(ev_valid),
      .event_index(ev_index),
      .event_kind(ev_kind),
      .cnt_valid(enc_cnt_valid),
      .cnt_reason(enc_cnt_reason),
      .tx_discard(tx_discard));

  //----------------------------------------------------------------
  // Counter blocks.
  //----------------------------------------------------------------
  lm_esp_counter_regs #(
      .ADDR_W(AW),
      .TYPE_ID(`LM_DECAP_TYPE_ID),
      .VERSION_ID(`LM_DECAP_VERSION_ID),
      .NEXT_PTR(`LM_DECAP_NEXT_PTR),
      .ADDR_TYPE(`LM_ADDR_DECAP_TYPE),
      .ADDR_VERSION(`LM_ADDR_DECAP_VERSION),
      .ADDR_NEXT(`LM_ADDR_DECAP_NEXT),
      .ADDR_PACKETS(`LM_ADDR_DECAP_PACKETS),
      .ADDR_DROP(`LM_ADDR_DECAP_DROP_COUNT)
  ) decap_regs (
      .clk(clk),
      .rst(rst),
      .cnt_valid(dec_cnt_valid),
      .cnt_reason(dec_cnt_reason),
      .s_axil_awaddr(x_awaddr),
      .s_axil_awvalid(x_awvalid[S_DECAP]),
      .s_axil_awready(x_awready[S_DECAP]),
      .s_axil_wdata(x_wdata),
      .s_axil_wstrb(x_wstrb),
      .s_axil_wvalid(x_wvalid[S_DECAP]),
      .s_axil_wready(x_wready[S_DECAP]),
      .s_axil_bresp(x_bresp[2*S_DECAP +: 2]),
      .s_axil_bvalid(x_bvalid[S_DECAP]),
      .s_axil_bready(x_bready[S_DECAP]),
      .s_axil_araddr(x_araddr),
      .s_axil_arvalid(x_arvalid[S_DECAP]),
      .s_axil_arready(x_arready[S_DECAP]),
      .s_axil_rdata(x_rdata[32*S_DECAP +: 32]),
      .s_axil_rresp(x_rresp[2*S_DECAP +: 2]),
      .s_axil_rvalid(x_rvalid[S_DECAP]),
      .s_axil_rready(x_rready[S_DECAP]));

  lm_esp_counter_regs #(
      .ADDR_W(AW),
      .TYPE_ID(`LM_ENCAP_TYPE_ID),
      .VERSION_ID(`LM_ENCAP_VERSION_ID),
      .NEXT_PTR(`LM_ENCAP_NEXT_PTR),
      .ADDR_TYPE(`LM_ADDR_ENCAP_TYPE),
      .ADDR_VERSION(`LM_ADDR_ENCAP_VERSION),
      .ADDR_NEXT(`LM_ADDR_ENCAP_NEXT),
      .ADDR_PACKETS(`LM_ADDR_ENCAP_PACKETS),
      .ADDR_DROP(`LM_ADDR_ENCAP_DROP_COUNT)
  ) encap_regs (
      .clk(clk),
      .rst(rst),
      .cnt_valid(enc_cnt_valid),
      .cnt_reason(enc_cnt_reason),
      .s_axil_awaddr(x_awaddr),
      .s_axil_awvalid(x_awvalid[S_ENCAP]),
      .s_axil_awready(x_awready[S_ENCAP]),
      .s_axil_wdata(x_wdata),
      .s_axil_wstrb(x_wstrb),
      .s_axil_wvalid(x_wvalid[S_ENCAP]),
      .s_axil_wready(x_wready[S_ENCAP]),
      .s_axil_bresp(x_bresp[2*S_ENCAP +: 2]),
      .s_axil_bvalid(x_bvalid[S_ENCAP]),
      .s_axil_bready(x_bready[S_ENCAP]),
      .s_axil_araddr(x_araddr),
      .s_axil_arvalid(x_arvalid[S_ENCAP]),
      .s_axil_arready(x_arready[S_ENCAP]),
      .s_axil_rdata(x_rdata[32*S_ENCAP +: 32]),
      .s_axil_rresp(x_rresp[2*S_ENCAP +: 2]),
      .s_axil_rvalid(x_rvalid[S_ENCAP]),
      .s_axil_rready(x_rready[S_ENCAP]));

endmodule // lm_top

`default_nettype wire
