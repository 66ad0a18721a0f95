func.func @broadcast_to_splat_i1() -> tensor<2x2xi1> {
  %c = ember.constant dense<true> : tensor<1x2xi1>
  %0 = ember.broadcast_to %c : tensor<1x2xi1> -> tensor<2x2xi1>
  return %0 : tensor<2x2xi1>
}
