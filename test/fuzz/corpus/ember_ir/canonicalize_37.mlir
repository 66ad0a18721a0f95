func.func @reshape_different_shape(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = ember.reshape %x : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}
