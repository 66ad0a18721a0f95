func.func @broadcast_to_non_splat() -> tensor<4x3xf32> {
  %c = ember.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = ember.broadcast_to %c : tensor<3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
