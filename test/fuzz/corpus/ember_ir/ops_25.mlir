func.func @max_min(%x: tensor<64x10xf32>, %i: tensor<2x3x4xi64>, %b: tensor<2x3xi8>,
                   %d: tensor<2x3xf64>) -> tensor<64x1xf32> {
  %0 = ember.max %x dims = [1] keepdim : tensor<64x10xf32> -> tensor<64x1xf32>
  %1 = ember.min %x dims = [0] : tensor<64x10xf32> -> tensor<10xf32>
  %2 = ember.max %i dims = [2, 0] : tensor<2x3x4xi64> -> tensor<3xi64>
  %3 = ember.min %i dims = [1] keepdim : tensor<2x3x4xi64> -> tensor<2x1x4xi64>
  %4 = ember.max %b dims = [0, 1] : tensor<2x3xi8> -> tensor<i8>
  %5 = ember.min %b dims = [1] : tensor<2x3xi8> -> tensor<2xi8>
  %6 = ember.min %d dims = [0, 1] keepdim : tensor<2x3xf64> -> tensor<1x1xf64>
  %7 = ember.max %d dims = [] : tensor<2x3xf64> -> tensor<2x3xf64>
  return %0 : tensor<64x1xf32>
}
