func.func @linear_bias(%x: tensor<64x784xf32>, %w: tensor<512x784xf32>, %b: tensor<512xf32>) -> tensor<64x512xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
  return %0 : tensor<64x512xf32>
}
