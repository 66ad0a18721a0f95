func.func @reshape(%x: tensor<64x1x28x28xf32>, %i: tensor<6xi64>, %p: tensor<2x2xi1>) -> tensor<64x784xf32> {
  %0 = ember.reshape %x : tensor<64x1x28x28xf32> -> tensor<64x784xf32>
  %1 = ember.reshape %i : tensor<6xi64> -> tensor<2x3xi64>
  %2 = ember.reshape %p : tensor<2x2xi1> -> tensor<4xi1>
  return %0 : tensor<64x784xf32>
}
