//======================================================================
// aes_dec_round.v
// ---------------
// One round of the straight AES inverse cipher (FIPS-197 5.3), purely
// combinational:
//   InvShiftRows -> InvSubBytes -> AddRoundKey -> InvMixColumns
//   (skipped when `last`).
// Uses the encryption round keys in reverse order, so the same key
// memory serves both directions. Holds the 16 inverse S-boxes.
//
// State layout as in aes_enc_round.v.
//
// Part of the l2sec line-module crypto cores (rtl/crypto).
//======================================================================

`default_nettype none

module aes_dec_round (
    input  wire [127:0] state_in,
    input  wire [127:0] round_key,
    // Final round (round key 0): no InvMixColumns.
    input  wire         last,
    output wire [127:0] state_out
);

  //----------------------------------------------------------------
  // Wires.
  //----------------------------------------------------------------
  reg  [127:0] isr;
  wire [127:0] isb;
  wire [127:0] ark;
  reg  [127:0] imc;


  //----------------------------------------------------------------
  // Functions.
  //----------------------------------------------------------------
  function automatic [7:0] gm2(input [7:0] b);
    begin
      gm2 = {b[6:0], 1'b0} ^ (b[7] ? 8'h1b : 8'h00);
    end
  endfunction

  function automatic [7:0] gm4(input [7:0] b);
    begin
      gm4 = gm2(gm2(b));
    end
  endfunction

  function automatic [7:0] gm8(input [7:0] b);
    begin
      gm8 = gm2(gm4(b));
    end
  endfunction

  function automatic [7:0] gm09(input [7:0] b);
    begin
      gm09 = gm8(b) ^ b;
    end
  endfunction

  function automatic [7:0] gm11(input [7:0] b);
    begin
      gm11 = gm8(b) ^ gm2(b) ^ b;
    end
  endfunction

  function automatic [7:0] gm13(input [7:0] b);
    begin
      gm13 = gm8(b) ^ gm4(b) ^ b;
    end
  endfunction

  function automatic [7:0] gm14(input [7:0] b);
    begin
      gm14 = gm8(b) ^ gm4(b) ^ gm2(b);
    end
  endfunction

  function automatic [31:0] inv_mix_column(input [31:0] w);
    reg [7:0] a0, a1, a2, a3;
    begin
      a0 = w[31:24];
      a1 = w[23:16];
      a2 = w[15:8];
      a3 = w[7:0];
      inv_mix_column = {gm14(a0) ^ gm11(a1) ^ gm13(a2) ^ gm09(a3),
                        gm09(a0) ^ gm14(a1) ^ gm11(a2) ^ gm13(a3),
                        gm13(a0) ^ gm09(a1) ^ gm14(a2) ^ gm11(a3),
                        gm11(a0) ^ gm13(a1) ^ gm09(a2) ^ gm14(a3)};
    end
  endfunction


  //----------------------------------------------------------------
  // inv_shift
  // InvShiftRows: s'[r][c] = s[r][(c - r) mod 4].
  //----------------------------------------------------------------
  always @* begin : inv_shift
    integer r, c;
    isr = 128'h0;
    for (c = 0; c < 4; c = c + 1) begin
      for (r = 0; r < 4; r = r + 1) begin
        isr[127-8*(4*c+r)-:8] = state_in[127-8*(4*((c+4-r)%4)+r)-:8];
      end
    end
  end


  //----------------------------------------------------------------
  // InvSubBytes: 16 inverse S-boxes.
  //----------------------------------------------------------------
  genvar i;
  generate
    for (i = 0; i < 16; i = i + 1) begin : g_inv_sbox
      aes_inv_sbox inv_sbox (
          .in (isr[8*i+7:8*i]),
          .out(isb[8*i+7:8*i])
      );
    end
  endgenerate

  assign ark = isb ^ round_key;


  //----------------------------------------------------------------
  // inv_mix
  //----------------------------------------------------------------
  always @* begin : inv_mix
    imc = {inv_mix_column(ark[127:96]), inv_mix_column(ark[95:64]), inv_mix_column(ark[63:32]),
           inv_mix_column(ark[31:0])};
  end

  assign state_out = last ? ark : imc;

endmodule  // aes_dec_round

`default_nettype wire

//======================================================================
// EOF aes_dec_round.v
//======================================================================
