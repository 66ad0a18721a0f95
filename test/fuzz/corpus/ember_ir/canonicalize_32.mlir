func.func @reshape_same_type_rank0(%x: tensor<i64>) -> tensor<i64> {
  %0 = ember.reshape %x : tensor<i64> -> tensor<i64>
  return %0 : tensor<i64>
}
