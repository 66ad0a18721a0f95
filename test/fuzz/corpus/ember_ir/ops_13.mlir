func.func @linear_no_bias(%x: tensor<2x8xf64>, %w: tensor<16x8xf64>) -> tensor<2x16xf64> {
  %0 = ember.linear %x, %w : (tensor<2x8xf64>, tensor<16x8xf64>) -> tensor<2x16xf64>
  return %0 : tensor<2x16xf64>
}
