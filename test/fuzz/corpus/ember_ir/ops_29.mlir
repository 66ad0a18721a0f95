func.func @cast(%m: tensor<64xi1>, %x: tensor<2x3xf32>, %i: tensor<2x3xi64>, %b: tensor<5xi8>,
                %s: tensor<f64>) -> tensor<64xf32> {
  %0 = ember.cast %m : tensor<64xi1> -> tensor<64xf32>
  %1 = ember.cast %x : tensor<2x3xf32> -> tensor<2x3xi64>
  %2 = ember.cast %i : tensor<2x3xi64> -> tensor<2x3xbf16>
  %3 = ember.cast %b : tensor<5xi8> -> tensor<5xi32>
  %4 = ember.cast %s : tensor<f64> -> tensor<f16>
  %5 = ember.cast %x : tensor<2x3xf32> -> tensor<2x3xi1>
  %6 = ember.cast %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<64xf32>
}
