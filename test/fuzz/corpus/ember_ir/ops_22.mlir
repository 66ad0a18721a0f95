func.func @sum_no_dims(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.sum %x dims = [] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
