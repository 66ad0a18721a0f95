func.func @select(%c: tensor<4x8xi1>, %a: tensor<4x8xf32>, %b: tensor<4x8xf32>,
                  %i: tensor<4x8xi64>, %sc: tensor<i1>, %sb: tensor<i1>) -> tensor<4x8xf32> {
  %0 = ember.select %c, %a, %b : tensor<4x8xi1>, tensor<4x8xf32>
  %1 = ember.select %c, %i, %i : tensor<4x8xi1>, tensor<4x8xi64>
  %2 = ember.select %sc, %sb, %sc : tensor<i1>, tensor<i1>
  return %0 : tensor<4x8xf32>
}
