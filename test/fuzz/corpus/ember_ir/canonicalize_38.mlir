func.func @reshape_of_constant() -> tensor<6xf32> {
  %c = ember.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = ember.reshape %c : tensor<2x3xf32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}
