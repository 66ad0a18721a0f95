func.func @cast_other_type(%x: tensor<2x3xf32>, %m: tensor<4xi1>) -> (tensor<2x3xi64>, tensor<4xf32>) {
  %0 = ember.cast %x : tensor<2x3xf32> -> tensor<2x3xi64>
  %1 = ember.cast %m : tensor<4xi1> -> tensor<4xf32>
  return %0, %1 : tensor<2x3xi64>, tensor<4xf32>
}
