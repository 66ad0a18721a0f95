func.func @constant_i1() -> tensor<2xi1> {
  %0 = ember.constant dense<[true, false]> : tensor<2xi1>
  return %0 : tensor<2xi1>
}
