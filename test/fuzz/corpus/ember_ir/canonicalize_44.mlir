func.func @broadcast_to_argument(%x: tensor<3xf32>) -> tensor<4x3xf32> {
  %0 = ember.broadcast_to %x : tensor<3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
