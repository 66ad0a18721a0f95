func.func @compare(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %i: tensor<64xi64>,
                   %u: tensor<3xi8>, %p: tensor<2xi1>, %s: tensor<f64>) -> tensor<4x8xi1> {
  %0 = ember.eq %a, %b : tensor<4x8xf32> -> tensor<4x8xi1>
  %1 = ember.ne %a, %b : tensor<4x8xf32> -> tensor<4x8xi1>
  %2 = ember.lt %i, %i : tensor<64xi64> -> tensor<64xi1>
  %3 = ember.le %u, %u : tensor<3xi8> -> tensor<3xi1>
  %4 = ember.gt %p, %p : tensor<2xi1> -> tensor<2xi1>
  %5 = ember.ge %s, %s : tensor<f64> -> tensor<i1>
  return %0 : tensor<4x8xi1>
}
