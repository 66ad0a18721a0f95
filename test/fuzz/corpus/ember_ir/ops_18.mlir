func.func @transpose_rank0(%x: tensor<f32>) -> tensor<f32> {
  %0 = ember.transpose %x [] : tensor<f32> -> tensor<f32>
  return %0 : tensor<f32>
}
