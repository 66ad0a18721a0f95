func.func @broadcast_to_splat() -> tensor<4x3xf32> {
  %c = ember.constant dense<2.5> : tensor<3xf32>
  %0 = ember.broadcast_to %c : tensor<3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
