func.func @unary(%x: tensor<64x512xf32>, %d: tensor<3xf64>, %i: tensor<3xi64>) -> tensor<64x512xf32> {
  %0 = ember.neg %x : tensor<64x512xf32>
  %1 = ember.relu %0 : tensor<64x512xf32>
  %2 = ember.neg %d : tensor<3xf64>
  %3 = ember.relu %d : tensor<3xf64>
  %4 = ember.neg %i : tensor<3xi64>
  %5 = ember.relu %i : tensor<3xi64>
  return %1 : tensor<64x512xf32>
}
