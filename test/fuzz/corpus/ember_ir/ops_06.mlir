func.func @binary_f32(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.add %a, %b : tensor<2x3xf32>
  %1 = ember.sub %0, %b : tensor<2x3xf32>
  %2 = ember.mul %1, %a : tensor<2x3xf32>
  %3 = ember.div %2, %b : tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}
