// RUN: ember-opt %s -convert-ember-to-linalg -split-input-file | FileCheck %s

// One section per lowering pattern in EmberToLinalg.cpp. Results are
// destination-passing linalg on tensors.

//===----------------------------------------------------------------------===//
// Elementwise binary ops: a parallel linalg.generic with identity maps.
//===----------------------------------------------------------------------===//

// CHECK: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @add_f32
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x3xf32>)
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ID2]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<2x3xf32>, tensor<2x3xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
// CHECK: ^bb0(%[[L:.*]]: f32, %[[RT:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[S:.*]] = arith.addf %[[L]], %[[RT]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: return %[[R]]
func.func @add_f32(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.add %a, %b : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK: #[[$ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @add_i64
// CHECK: linalg.generic {indexing_maps = [#[[$ID1]], #[[$ID1]], #[[$ID1]]], iterator_types = ["parallel"]}
// CHECK: ^bb0(%[[L:.*]]: i64, %[[R:.*]]: i64, %{{.*}}: i64):
// CHECK: arith.addi %[[L]], %[[R]] : i64
// CHECK-NOT: arith.addf
func.func @add_i64(%a: tensor<4xi64>, %b: tensor<4xi64>) -> tensor<4xi64> {
  %0 = ember.add %a, %b : tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// CHECK-LABEL: func.func @sub
// CHECK: linalg.generic
// CHECK: arith.subf %{{.*}}, %{{.*}} : f32
// CHECK: linalg.generic
// CHECK: arith.subi %{{.*}}, %{{.*}} : i32
func.func @sub(%a: tensor<4xf32>, %b: tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>) {
  %0 = ember.sub %a, %a : tensor<4xf32>
  %1 = ember.sub %b, %b : tensor<4xi32>
  return %0, %1 : tensor<4xf32>, tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @mul
// CHECK: linalg.generic
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f64
// CHECK: linalg.generic
// CHECK: arith.muli %{{.*}}, %{{.*}} : i64
func.func @mul(%a: tensor<4xf64>, %b: tensor<4xi64>) -> (tensor<4xf64>, tensor<4xi64>) {
  %0 = ember.mul %a, %a : tensor<4xf64>
  %1 = ember.mul %b, %b : tensor<4xi64>
  return %0, %1 : tensor<4xf64>, tensor<4xi64>
}

// -----

// True division for floats, signed (truncating) division for integers.
// CHECK-LABEL: func.func @div
// CHECK: linalg.generic
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: linalg.generic
// CHECK: arith.divsi %{{.*}}, %{{.*}} : i64
// CHECK: linalg.generic
// CHECK: arith.divf %{{.*}}, %{{.*}} : f16
func.func @div(%a: tensor<4xf32>, %b: tensor<4xi64>, %c: tensor<4xf16>) -> (tensor<4xf32>, tensor<4xi64>, tensor<4xf16>) {
  %0 = ember.div %a, %a : tensor<4xf32>
  %1 = ember.div %b, %b : tensor<4xi64>
  %2 = ember.div %c, %c : tensor<4xf16>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xi64>, tensor<4xf16>
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

// CHECK: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @neg_f32
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<2x3xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[N:.*]] = arith.negf %[[IN]] : f32
// CHECK: linalg.yield %[[N]] : f32
// CHECK: return %[[R]]
func.func @neg_f32(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.neg %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Integers have no negi: 0 - x.
// CHECK-LABEL: func.func @neg_i64
// CHECK: linalg.generic
// CHECK: ^bb0(%[[IN:.*]]: i64, %{{.*}}: i64):
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK: %[[N:.*]] = arith.subi %[[ZERO]], %[[IN]] : i64
// CHECK: linalg.yield %[[N]] : i64
func.func @neg_i64(%x: tensor<4xi64>) -> tensor<4xi64> {
  %0 = ember.neg %x : tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// maximumf propagates NaN, as torch.relu does.
// CHECK: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @relu_f32
// CHECK-SAME: (%[[X:.*]]: tensor<64x512xf32>)
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<64x512xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<64x512xf32>) outs(%[[INIT]] : tensor<64x512xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[M:.*]] = arith.maximumf %[[IN]], %[[ZERO]] : f32
// CHECK: linalg.yield %[[M]] : f32
// CHECK: return %[[R]]
func.func @relu_f32(%x: tensor<64x512xf32>) -> tensor<64x512xf32> {
  %0 = ember.relu %x : tensor<64x512xf32>
  return %0 : tensor<64x512xf32>
}

// -----

// CHECK-LABEL: func.func @relu_i32
// CHECK: linalg.generic
// CHECK: ^bb0(%[[IN:.*]]: i32, %{{.*}}: i32):
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: arith.maxsi %[[IN]], %[[ZERO]] : i32
func.func @relu_i32(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = ember.relu %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

//===----------------------------------------------------------------------===//
// ember.constant
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @constant
// CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[I:.*]] = arith.constant dense<[true, false]> : tensor<2xi1>
// CHECK: return %[[C]], %[[I]]
func.func @constant() -> (tensor<2x2xf32>, tensor<2xi1>) {
  %0 = ember.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %1 = ember.constant dense<[true, false]> : tensor<2xi1>
  return %0, %1 : tensor<2x2xf32>, tensor<2xi1>
}

// -----

//===----------------------------------------------------------------------===//
// ember.matmul: linalg.matmul into a zero-filled tensor.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @matmul_f32
// CHECK-SAME: (%[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3x5xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[EMPTY:.*]] = tensor.empty() : tensor<4x5xf32>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<4x5xf32>) -> tensor<4x5xf32>
// CHECK: %[[R:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<4x3xf32>, tensor<3x5xf32>) outs(%[[FILL]] : tensor<4x5xf32>) -> tensor<4x5xf32>
// CHECK: return %[[R]]
func.func @matmul_f32(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>) -> tensor<4x5xf32> {
  %0 = ember.matmul %a, %b : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_i64
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[EMPTY:.*]] = tensor.empty() : tensor<2x4xi64>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : i64) outs(%[[EMPTY]] : tensor<2x4xi64>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x3xi64>, tensor<3x4xi64>) outs(%[[FILL]] : tensor<2x4xi64>)
func.func @matmul_i64(%a: tensor<2x3xi64>, %b: tensor<3x4xi64>) -> tensor<2x4xi64> {
  %0 = ember.matmul %a, %b : (tensor<2x3xi64>, tensor<3x4xi64>) -> tensor<2x4xi64>
  return %0 : tensor<2x4xi64>
}

// -----

//===----------------------------------------------------------------------===//
// ember.linear: a contraction reading the weight transposed, accumulated
// into the broadcast bias (or zeros).
//===----------------------------------------------------------------------===//

// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[W:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK: %[[BB:.*]] = linalg.broadcast ins(%[[B]] : tensor<4xf32>) outs(%[[EMPTY]] : tensor<2x4xf32>) dimensions = [0]
// CHECK-NOT: linalg.fill
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$IN]], #[[$W]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<2x8xf32>, tensor<4x8xf32>) outs(%[[BB]] : tensor<2x4xf32>)
// CHECK: ^bb0(%[[XI:.*]]: f32, %[[WI:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK: %[[P:.*]] = arith.mulf %[[XI]], %[[WI]] : f32
// CHECK: %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: return %[[R]]
func.func @linear_bias(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @linear_no_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf64>, %[[W:.*]]: tensor<4x8xf64>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK-DAG: %[[EMPTY:.*]] = tensor.empty() : tensor<2x4xf64>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f64) outs(%[[EMPTY]] : tensor<2x4xf64>)
// CHECK-NOT: linalg.broadcast
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$IN]], #[[$W]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<2x8xf64>, tensor<4x8xf64>) outs(%[[FILL]] : tensor<2x4xf64>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: return %[[R]]
func.func @linear_no_bias(%x: tensor<2x8xf64>, %w: tensor<4x8xf64>) -> tensor<2x4xf64> {
  %0 = ember.linear %x, %w : (tensor<2x8xf64>, tensor<4x8xf64>) -> tensor<2x4xf64>
  return %0 : tensor<2x4xf64>
}

// -----

//===----------------------------------------------------------------------===//
// ember.reshape: collapse to rank 1, then expand.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @reshape_3d_to_2d
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1, 2]] : tensor<2x3x4xf32> into tensor<24xf32>
// CHECK: %[[R:.*]] = tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [4, 6] : tensor<24xf32> into tensor<4x6xf32>
// CHECK: return %[[R]]
func.func @reshape_3d_to_2d(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %0 = ember.reshape %x : tensor<2x3x4xf32> -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

// To and from rank 1 need only one of the two.
// CHECK-LABEL: func.func @reshape_rank1
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xi64>, %[[V:.*]]: tensor<6xi64>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1]] : tensor<2x3xi64> into tensor<6xi64>
// CHECK: %[[UP:.*]] = tensor.expand_shape %[[V]] {{\[\[}}0, 1, 2]] output_shape [3, 1, 2] : tensor<6xi64> into tensor<3x1x2xi64>
// CHECK: return %[[FLAT]], %[[UP]]
func.func @reshape_rank1(%x: tensor<2x3xi64>, %v: tensor<6xi64>) -> (tensor<6xi64>, tensor<3x1x2xi64>) {
  %0 = ember.reshape %x : tensor<2x3xi64> -> tensor<6xi64>
  %1 = ember.reshape %v : tensor<6xi64> -> tensor<3x1x2xi64>
  return %0, %1 : tensor<6xi64>, tensor<3x1x2xi64>
}

// -----

// Rank 0 collapses to and expands from the empty reassociation.
// CHECK-LABEL: func.func @reshape_rank0
// CHECK-SAME: (%[[S:.*]]: tensor<f32>, %[[T:.*]]: tensor<1x1xf32>)
// CHECK: %[[UP:.*]] = tensor.expand_shape %[[S]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: %[[DOWN:.*]] = tensor.collapse_shape %[[T]] [] : tensor<1x1xf32> into tensor<f32>
// CHECK: return %[[UP]], %[[DOWN]]
func.func @reshape_rank0(%s: tensor<f32>, %t: tensor<1x1xf32>) -> (tensor<1x1xf32>, tensor<f32>) {
  %0 = ember.reshape %s : tensor<f32> -> tensor<1x1xf32>
  %1 = ember.reshape %t : tensor<1x1xf32> -> tensor<f32>
  return %0, %1 : tensor<1x1xf32>, tensor<f32>
}

// -----

//===----------------------------------------------------------------------===//
// ember.transpose
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<4x2x3xf32>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[X]] : tensor<2x3x4xf32>) outs(%[[EMPTY]] : tensor<4x2x3xf32>) permutation = [2, 0, 1]
// CHECK: return %[[T]]
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = ember.transpose %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// ember.broadcast_to: a generic whose input map sends broadcast dimensions to
// 0 and drops the added leading ones.
//===----------------------------------------------------------------------===//

// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @broadcast_to_size1_and_leading
// CHECK-SAME: (%[[X:.*]]: tensor<4x1xf32>)
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<2x4x5xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<4x1xf32>) outs(%[[EMPTY]] : tensor<2x4x5xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: linalg.yield %[[IN]] : f32
// CHECK: return %[[R]]
func.func @broadcast_to_size1_and_leading(%x: tensor<4x1xf32>) -> tensor<2x4x5xf32> {
  %0 = ember.broadcast_to %x : tensor<4x1xf32> -> tensor<2x4x5xf32>
  return %0 : tensor<2x4x5xf32>
}

// -----

// A size-1 dimension that stays 1 is read through its dimension, not 0.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @broadcast_to_leading_only
// CHECK: linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%{{.*}} : tensor<1x3xi64>) outs(%{{.*}} : tensor<2x1x3xi64>)
func.func @broadcast_to_leading_only(%x: tensor<1x3xi64>) -> tensor<2x1x3xi64> {
  %0 = ember.broadcast_to %x : tensor<1x3xi64> -> tensor<2x1x3xi64>
  return %0 : tensor<2x1x3xi64>
}

// -----

// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @broadcast_to_from_rank0
// CHECK-SAME: (%[[S:.*]]: tensor<f64>)
// CHECK: linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[S]] : tensor<f64>) outs(%{{.*}} : tensor<2x2xf64>)
func.func @broadcast_to_from_rank0(%s: tensor<f64>) -> tensor<2x2xf64> {
  %0 = ember.broadcast_to %s : tensor<f64> -> tensor<2x2xf64>
  return %0 : tensor<2x2xf64>
}

// -----

//===----------------------------------------------------------------------===//
// ember.sum: linalg.reduce into zeros; keepdim adds a tensor.expand_shape.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @sum
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[EMPTY:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<2x4xf32>)
// CHECK: %[[R:.*]] = linalg.reduce ins(%[[X]] : tensor<2x3x4xf32>) outs(%[[FILL]] : tensor<2x4xf32>) dimensions = [1]
// CHECK: (%[[IN:.*]]: f32, %[[ACC:.*]]: f32) {
// CHECK: %[[S:.*]] = arith.addf %[[IN]], %[[ACC]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK-NOT: tensor.expand_shape
// CHECK: return %[[R]]
func.func @sum(%x: tensor<2x3x4xf32>) -> tensor<2x4xf32> {
  %0 = ember.sum %x dims = [1] : tensor<2x3x4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Dimensions are sorted for linalg.reduce; keepdim reinserts them as size 1.
// CHECK-LABEL: func.func @sum_keepdim
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3xf32>)
// CHECK: %[[R:.*]] = linalg.reduce ins(%[[X]] : tensor<2x3x4xf32>) outs(%[[FILL]] : tensor<3xf32>) dimensions = [0, 2]
// CHECK: arith.addf
// CHECK: %[[E:.*]] = tensor.expand_shape %[[R]] {{\[\[}}0, 1, 2]] output_shape [1, 3, 1] : tensor<3xf32> into tensor<1x3x1xf32>
// CHECK: return %[[E]]
func.func @sum_keepdim(%x: tensor<2x3x4xf32>) -> tensor<1x3x1xf32> {
  %0 = ember.sum %x dims = [2, 0] keepdim : tensor<2x3x4xf32> -> tensor<1x3x1xf32>
  return %0 : tensor<1x3x1xf32>
}

// -----

// Reduced dimensions group with the kept dimension before them.
// CHECK-LABEL: func.func @sum_keepdim_middle
// CHECK: %[[R:.*]] = linalg.reduce ins(%{{.*}} : tensor<2x3x4x5xf32>) outs(%{{.*}} : tensor<2x5xf32>) dimensions = [1, 2]
// CHECK: %[[E:.*]] = tensor.expand_shape %[[R]] {{\[\[}}0], [1, 2, 3]] output_shape [2, 1, 1, 5] : tensor<2x5xf32> into tensor<2x1x1x5xf32>
// CHECK: return %[[E]]
func.func @sum_keepdim_middle(%x: tensor<2x3x4x5xf32>) -> tensor<2x1x1x5xf32> {
  %0 = ember.sum %x dims = [1, 2] keepdim : tensor<2x3x4x5xf32> -> tensor<2x1x1x5xf32>
  return %0 : tensor<2x1x1x5xf32>
}

// -----

// CHECK-LABEL: func.func @sum_all_to_rank0
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf64>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK-DAG: %[[EMPTY:.*]] = tensor.empty() : tensor<f64>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f64) outs(%[[EMPTY]] : tensor<f64>)
// CHECK: %[[R:.*]] = linalg.reduce ins(%[[X]] : tensor<2x3xf64>) outs(%[[FILL]] : tensor<f64>) dimensions = [0, 1]
// CHECK-NOT: tensor.expand_shape
// CHECK: return %[[R]]
func.func @sum_all_to_rank0(%x: tensor<2x3xf64>) -> tensor<f64> {
  %0 = ember.sum %x dims = [0, 1] : tensor<2x3xf64> -> tensor<f64>
  return %0 : tensor<f64>
}

// -----

// CHECK-LABEL: func.func @sum_all_keepdim
// CHECK: %[[R:.*]] = linalg.reduce ins(%{{.*}} : tensor<2x3xf32>) outs(%{{.*}} : tensor<f32>) dimensions = [0, 1]
// CHECK: %[[E:.*]] = tensor.expand_shape %[[R]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: return %[[E]]
func.func @sum_all_keepdim(%x: tensor<2x3xf32>) -> tensor<1x1xf32> {
  %0 = ember.sum %x dims = [0, 1] keepdim : tensor<2x3xf32> -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

// CHECK-LABEL: func.func @sum_i64
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[EMPTY:.*]] = tensor.empty() : tensor<2xi64>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : i64) outs(%[[EMPTY]] : tensor<2xi64>)
// CHECK: %[[R:.*]] = linalg.reduce ins(%{{.*}} : tensor<2x3xi64>) outs(%[[FILL]] : tensor<2xi64>) dimensions = [1]
// CHECK: arith.addi %{{.*}}, %{{.*}} : i64
// CHECK: tensor.expand_shape %[[R]] {{\[\[}}0, 1]] output_shape [2, 1] : tensor<2xi64> into tensor<2x1xi64>
func.func @sum_i64(%x: tensor<2x3xi64>) -> tensor<2x1xi64> {
  %0 = ember.sum %x dims = [1] keepdim : tensor<2x3xi64> -> tensor<2x1xi64>
  return %0 : tensor<2x1xi64>
}

// -----

//===----------------------------------------------------------------------===//
// A graph: every ember op is converted.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @mlp
// CHECK-NOT: ember.
// CHECK: linalg.broadcast
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: linalg.reduce
// CHECK-NOT: ember.
// CHECK: return
func.func @mlp(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %1 = ember.relu %0 : tensor<4x16xf32>
  %2 = ember.sum %1 dims = [1] : tensor<4x16xf32> -> tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// Identity permutations (rank 0 included) lower to nothing: linalg.transpose
// has no form for them.
// CHECK-LABEL: func.func @transpose_identity
// CHECK-SAME:    (%[[X:.*]]: tensor<f32>, %[[Y:.*]]: tensor<2x3xf32>)
// CHECK-NOT:     linalg.transpose
// CHECK:         return %[[X]], %[[Y]]
func.func @transpose_identity(%x: tensor<f32>, %y: tensor<2x3xf32>) -> (tensor<f32>, tensor<2x3xf32>) {
  %0 = ember.transpose %x [] : tensor<f32> -> tensor<f32>
  %1 = ember.transpose %y [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0, %1 : tensor<f32>, tensor<2x3xf32>
}
