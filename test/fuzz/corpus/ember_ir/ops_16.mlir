func.func @reshape_rank0(%s: tensor<f64>, %t: tensor<1x1xf64>) -> (tensor<1x1xf64>, tensor<f64>) {
  %0 = ember.reshape %s : tensor<f64> -> tensor<1x1xf64>
  %1 = ember.reshape %t : tensor<1x1xf64> -> tensor<f64>
  return %0, %1 : tensor<1x1xf64>, tensor<f64>
}
