func.func @constant_f32() -> tensor<2x2xf32> {
  %0 = ember.constant dense<[[0.0, 1.5], [2.0, -3.25]]> : tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}
