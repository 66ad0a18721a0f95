func.func @mlp(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %1 = ember.relu %0 : tensor<4x16xf32>
  %2 = ember.sum %1 dims = [1] : tensor<4x16xf32> -> tensor<4xf32>
  return %2 : tensor<4xf32>
}
