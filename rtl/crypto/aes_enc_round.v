//======================================================================
// aes_enc_round.v
// ---------------
// One AES encryption round, purely combinational:
//   SubBytes -> ShiftRows -> MixColumns (skipped when `last`) ->
//   AddRoundKey.
// Holds the 16 forward S-boxes of the datapath.
//
// State layout: state[127:120] is byte 0 (row 0, column 0); column c is
// state[127-32c -: 32] with row 0 in its top byte (FIPS-197 input order).
//
// Part of the l2sec line-module crypto cores (rtl/crypto).
//======================================================================

`default_nettype none

module aes_enc_round (
    input  wire [127:0] state_in,
    input  wire [127:0] round_key,
    // Final round: no MixColumns.
    input  wire         last,
    output wire [127:0] state_out
);

  //----------------------------------------------------------------
  // Wires.
  //----------------------------------------------------------------
  wire [127:0] sb;
  reg  [127:0] sr;
  reg  [127:0] mc;


  //----------------------------------------------------------------
  // Functions.
  //----------------------------------------------------------------
  function automatic [7:0] gm2(input [7:0] b);
    begin
      gm2 = {b[6:0], 1'b0} ^ (b[7] ? 8'h1b : 8'h00);
    end
  endfunction

  function automatic [7:0] gm3(input [7:0] b);
    begin
      gm3 = gm2(b) ^ b;
    end
  endfunction

  function automatic [31:0] mix_column(input [31:0] w);
    reg [7:0] a0, a1, a2, a3;
    begin
      a0 = w[31:24];
      a1 = w[23:16];
      a2 = w[15:8];
      a3 = w[7:0];
      mix_column = {gm2(a0) ^ gm3(a1) ^ a2 ^ a3,
                    a0 ^ gm2(a1) ^ gm3(a2) ^ a3,
                    a0 ^ a1 ^ gm2(a2) ^ gm3(a3),
                    gm3(a0) ^ a1 ^ a2 ^ gm2(a3)};
    end
  endfunction


  //----------------------------------------------------------------
  // SubBytes: 16 S-boxes.
  //----------------------------------------------------------------
  genvar i;
  generate
    for (i = 0; i < 16; i = i + 1) begin : g_sbox
      aes_sbox sbox (
          .in (state_in[8*i+7:8*i]),
          .out(sb[8*i+7:8*i])
      );
    end
  endgenerate


  //----------------------------------------------------------------
  // shift_mix
  // ShiftRows: s'[r][c] = s[r][(c + r) mod 4]; byte (r, c) is bits
  // [127 - 8(4c + r) -: 8].
  //----------------------------------------------------------------
  always @* begin : shift_mix
    integer r, c;
    sr = 128'h0;
    for (c = 0; c < 4; c = c + 1) begin
      for (r = 0; r < 4; r = r + 1) begin
        sr[127-8*(4*c+r)-:8] = sb[127-8*(4*((c+r)%4)+r)-:8];
      end
    end
    mc = {mix_column(sr[127:96]), mix_column(sr[95:64]), mix_column(sr[63:32]),
          mix_column(sr[31:0])};
  end

  assign state_out = (last ? sr : mc) ^ round_key;

endmodule  // aes_enc_round

`default_nettype wire

//======================================================================
// EOF aes_enc_round.v
//======================================================================
