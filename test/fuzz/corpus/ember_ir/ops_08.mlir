func.func @binary_i64(%a: tensor<2x2xi64>, %b: tensor<2x2xi64>) -> tensor<2x2xi64> {
  %0 = ember.add %a, %b : tensor<2x2xi64>
  %1 = ember.sub %0, %b : tensor<2x2xi64>
  %2 = ember.mul %1, %a : tensor<2x2xi64>
  %3 = ember.div %2, %b : tensor<2x2xi64>
  return %3 : tensor<2x2xi64>
}
