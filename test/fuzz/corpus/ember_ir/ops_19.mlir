func.func @broadcast_to(%v: tensor<3xf32>, %c: tensor<4x1xf64>, %s: tensor<i64>, %m: tensor<1x3xi1>) -> tensor<2x3xf32> {
  %0 = ember.broadcast_to %v : tensor<3xf32> -> tensor<2x3xf32>
  %1 = ember.broadcast_to %c : tensor<4x1xf64> -> tensor<4x5xf64>
  %2 = ember.broadcast_to %s : tensor<i64> -> tensor<2x2xi64>
  %3 = ember.broadcast_to %m : tensor<1x3xi1> -> tensor<5x2x3xi1>
  return %0 : tensor<2x3xf32>
}
