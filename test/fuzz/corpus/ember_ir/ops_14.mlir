func.func @linear_f16(%x: tensor<1x4xf16>, %w: tensor<2x4xf16>, %b: tensor<2xf16>) -> tensor<1x2xf16> {
  %0 = ember.linear %x, %w, %b : (tensor<1x4xf16>, tensor<2x4xf16>, tensor<2xf16>) -> tensor<1x2xf16>
  return %0 : tensor<1x2xf16>
}
