func.func @cast_same_type(%x: tensor<2x3xf32>, %m: tensor<4xi1>, %s: tensor<i64>) -> (tensor<2x3xf32>, tensor<4xi1>, tensor<i64>) {
  %0 = ember.cast %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = ember.cast %m : tensor<4xi1> -> tensor<4xi1>
  %2 = ember.cast %s : tensor<i64> -> tensor<i64>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<4xi1>, tensor<i64>
}
