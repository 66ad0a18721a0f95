func.func @exp_log(%x: tensor<64x10xf32>, %d: tensor<3xf64>, %h: tensor<4xf16>,
                   %bf: tensor<4xbf16>, %s: tensor<f32>) -> tensor<64x10xf32> {
  %0 = ember.exp %x : tensor<64x10xf32>
  %1 = ember.log %0 : tensor<64x10xf32>
  %2 = ember.exp %d : tensor<3xf64>
  %3 = ember.log %d : tensor<3xf64>
  %4 = ember.exp %h : tensor<4xf16>
  %5 = ember.log %bf : tensor<4xbf16>
  %6 = ember.exp %s : tensor<f32>
  return %1 : tensor<64x10xf32>
}
