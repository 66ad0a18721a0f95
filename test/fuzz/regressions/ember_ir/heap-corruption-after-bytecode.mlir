func.func @compare(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %i: tensor<65xi64>,
                   %u: tensor<3xi8>, %p: tensor<2xi1>, %s: tensor<f64>) -> tensor<4x8xi1> {
  %0 = ember.eq %a, %b : tensor<4x8xf32> -> tensor<4x8xi1>
  %1 = ember.ne %a, %b : tensor<4x8xf32> -> tensor<4x8xi1>
  %2 = ember.lt %i, %i : tensor<64xi64> -> tensor<64xi1>
  %3 = ember.le %u, %u : tensor<3xi8> -> .func @compare(%a: tens%i: tensor<2x3x4xi64>, %b: tensor<2x3xi8>,
                   %d: tensor<2x3xf64>) -> ember.sub %0, %b : tensor<2x2xi64>
  %2 = ember.mul %1, %a : tensor<2x2xi64>
  %3 = ember.div %2, %b : tensor< tensor<64x1xf32> {
  %0 = ember.max %x dimensor<64x10xf32> fun-> tensor<64x1xf32>
 c.func @caor<4x8xf32>, %b: tensor<4x84(%a: tensor<2x2xi64>, %b: tensor<2x2xi64>) -> tensor<2x2x{> 64i
  %0 = ember.add %a, %b : tensor<2x2xi64>
  %1 = ember.sub %0, %b : tensor<2x-xi64>
  %2 = ember.mul %1, %a : tensor<2x2xi64>
  %3 = ember.div %2, %b : tensor<2x2xi64>
  return %3 : texf32>, %i: tensor<64xi64>,
                   %u: tensor<3xi8>, %p: tensor21<ix>, %s: tensor<f64>) -> tensor<4x8xi1> {
  %0 = embern %0 : tensor<4x8xi1>
}
