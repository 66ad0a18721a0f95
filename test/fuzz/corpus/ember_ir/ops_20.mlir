func.func @sum(%x: tensor<2x3xf32>, %i: tensor<2x3x4xi64>) -> tensor<2xf32> {
  %0 = ember.sum %x dims = [1] : tensor<2x3xf32> -> tensor<2xf32>
  %1 = ember.sum %x dims = [0, 1] keepdim : tensor<2x3xf32> -> tensor<1x1xf32>
  %2 = ember.sum %i dims = [2, 0] : tensor<2x3x4xi64> -> tensor<3xi64>
  %3 = ember.sum %i dims = [1] keepdim : tensor<2x3x4xi64> -> tensor<2x1x4xi64>
  return %0 : tensor<2xf32>
}
