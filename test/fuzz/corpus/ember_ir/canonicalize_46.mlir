func.func @transpose_identity(%x: tensor<2x3xf32>, %s: tensor<f32>) -> (tensor<2x3xf32>, tensor<f32>) {
  %0 = ember.transpose %x [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = ember.transpose %s [] : tensor<f32> -> tensor<f32>
  return %0, %1 : tensor<2x3xf32>, tensor<f32>
}
