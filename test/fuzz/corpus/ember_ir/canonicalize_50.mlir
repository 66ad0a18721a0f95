func.func @cast_round_trip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ember.cast %x : tensor<4xf32> -> tensor<4xi64>
  %1 = ember.cast %0 : tensor<4xi64> -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
