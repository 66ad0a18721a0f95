func.func @reshape_chain(%x: tensor<1x1xf64>) -> tensor<1x1x1xf64> {
  %0 = ember.reshape %x : tensor<1x1xf64> -> tensor<f64>
  %1 = ember.reshape %0 : tensor<f64> -> tensor<1xf64>
  %2 = ember.reshape %1 : tensor<1xf64> -> tensor<1x1x1xf64>
  return %2 : tensor<1x1x1xf64>
}
