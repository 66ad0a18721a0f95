func.func @broadcast_to_splat_rank0_i64() -> tensor<2x1x5xi64> {
  %c = ember.constant dense<7> : tensor<i64>
  %0 = ember.broadcast_to %c : tensor<i64> -> tensor<2x1x5xi64>
  return %0 : tensor<2x1x5xi64>
}
