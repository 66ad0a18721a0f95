func.func @constant_splat_f64() -> tensor<4x8xf64> {
  %0 = ember.constant dense<1.0> : tensor<4x8xf64>
  return %0 : tensor<4x8xf64>
}
