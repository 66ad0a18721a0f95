func.func @matmul(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>, %c: tensor<2x6xf64>,
                  %d: tensor<6x1xf64>, %e: tensor<2x2xi64>) -> tensor<4x5xf32> {
  %0 = ember.matmul %a, %b : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
  %1 = ember.matmul %c, %d : (tensor<2x6xf64>, tensor<6x1xf64>) -> tensor<2x1xf64>
  %2 = ember.matmul %e, %e : (tensor<2x2xi64>, tensor<2x2xi64>) -> tensor<2x2xi64>
  return %0 : tensor<4x5xf32>
}
