func.func @argmax(%x: tensor<64x10xf32>, %i: tensor<2x3x4xi64>, %b: tensor<5xi8>,
                  %h: tensor<2x3xf16>) -> tensor<64xi64> {
  %0 = ember.argmax %x dim = 1 : tensor<64x10xf32> -> tensor<64xi64>
  %1 = ember.argmax %x dim = 0 keepdim : tensor<64x10xf32> -> tensor<1x10xi64>
  %2 = ember.argmax %i dim = 1 : tensor<2x3x4xi64> -> tensor<2x4xi64>
  %3 = ember.argmax %i dim = 2 keepdim : tensor<2x3x4xi64> -> tensor<2x3x1xi64>
  %4 = ember.argmax %b dim = 0 : tensor<5xi8> -> tensor<i64>
  %5 = ember.argmax %h dim = 1 : tensor<2x3xf16> -> tensor<2xi64>
  return %0 : tensor<64xi64>
}
