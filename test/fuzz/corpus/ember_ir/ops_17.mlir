func.func @transpose(%x: tensor<2x3xf32>, %y: tensor<2x3x4xi64>) -> tensor<3x2xf32> {
  %0 = ember.transpose %x [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %1 = ember.transpose %y [2, 0, 1] : tensor<2x3x4xi64> -> tensor<4x2x3xi64>
  return %0 : tensor<3x2xf32>
}
