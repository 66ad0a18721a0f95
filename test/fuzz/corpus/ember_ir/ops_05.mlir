func.func @constant_rank0() -> tensor<f32> {
  %0 = ember.constant dense<42.0> : tensor<f32>
  return %0 : tensor<f32>
}
