func.func @binary_f64(%a: tensor<4xf64>, %b: tensor<4xf64>) -> tensor<4xf64> {
  %0 = ember.add %a, %b : tensor<4xf64>
  %1 = ember.sub %0, %b : tensor<4xf64>
  %2 = ember.mul %1, %a : tensor<4xf64>
  %3 = ember.div %2, %b : tensor<4xf64>
  return %3 : tensor<4xf64>
}
