func.func @constant_i64() -> tensor<3xi64> {
  %0 = ember.constant dense<[1, -2, 3]> : tensor<3xi64>
  return %0 : tensor<3xi64>
}
