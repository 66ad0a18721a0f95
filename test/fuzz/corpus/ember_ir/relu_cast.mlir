func.func @f(%a: tensor<2x3xf32>, %b: tensor<3xi64>) -> (tensor<2x3xf32>, tensor<3xf64>) {
  %0 = ember.relu %a : tensor<2x3xf32>
  %1 = ember.cast %b : tensor<3xi64> -> tensor<3xf64>
  return %0, %1 : tensor<2x3xf32>, tensor<3xf64>
}
