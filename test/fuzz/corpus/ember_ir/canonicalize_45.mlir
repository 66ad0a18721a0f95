func.func @dead_ops(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.relu %x : tensor<2x3xf32>
  %1 = ember.constant dense<1.0> : tensor<2xf32>
  %2 = ember.sum %x dims = [0] : tensor<2x3xf32> -> tensor<3xf32>
  return %x : tensor<2x3xf32>
}
