func.func @sum_all_to_rank0(%x: tensor<2x3x4xf64>) -> tensor<f64> {
  %0 = ember.sum %x dims = [0, 1, 2] : tensor<2x3x4xf64> -> tensor<f64>
  return %0 : tensor<f64>
}
