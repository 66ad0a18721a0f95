// RUN: ember-opt %s -convert-ember-to-linalg -split-input-file | FileCheck %s
// RUN: ember-opt %s -split-input-file --ember-to-linalg-pipeline \
// RUN:   --ember-cpu-bufferize-pipeline | FileCheck %s --check-prefix=BUFCHAIN
// RUN: ember-opt %s -convert-ember-to-linalg=no-views \
// RUN:   -split-input-file | FileCheck %s --check-prefix=NOVIEWS

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

// maximumf propagates NaN, as torch.relu does; nsz: relu(-0) may be +0 or
// -0, which lets x86 make it one maxps.
// CHECK: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @relu_f32
// CHECK-SAME: (%[[X:.*]]: tensor<64x512xf32>)
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<64x512xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<64x512xf32>) outs(%[[INIT]] : tensor<64x512xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[M:.*]] = arith.maximumf %[[IN]], %[[ZERO]] fastmath<nsz> : f32
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
// ember.linear: the weight is transposed into a [in, out] tensor and a plain
// linalg.matmul accumulates into the broadcast bias (or zeros).
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[W:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK: %[[BB:.*]] = linalg.broadcast ins(%[[B]] : tensor<4xf32>) outs(%[[EMPTY]] : tensor<2x4xf32>) dimensions = [0]
// CHECK-NOT: linalg.fill
// CHECK: %[[TE:.*]] = tensor.empty() : tensor<8x4xf32>
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<4x8xf32>) outs(%[[TE]] : tensor<8x4xf32>) permutation = [1, 0]
// CHECK: %[[R:.*]] = linalg.matmul ins(%[[X]], %[[WT]] : tensor<2x8xf32>, tensor<8x4xf32>) outs(%[[BB]] : tensor<2x4xf32>)
// CHECK: return %[[R]]
func.func @linear_bias(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @linear_no_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf64>, %[[W:.*]]: tensor<4x8xf64>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK-DAG: %[[EMPTY:.*]] = tensor.empty() : tensor<2x4xf64>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f64) outs(%[[EMPTY]] : tensor<2x4xf64>)
// CHECK-NOT: linalg.broadcast
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<4x8xf64>)
// CHECK: %[[R:.*]] = linalg.matmul ins(%[[X]], %[[WT]] : tensor<2x8xf64>, tensor<8x4xf64>) outs(%[[FILL]] : tensor<2x4xf64>)
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

// -----

//===----------------------------------------------------------------------===//
// ember.exp, ember.log: a parallel generic around math.exp / math.log.
//===----------------------------------------------------------------------===//

// CHECK: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @exp_f32
// CHECK-SAME: (%[[X:.*]]: tensor<64x10xf32>)
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<64x10xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<64x10xf32>) outs(%[[INIT]] : tensor<64x10xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[E:.*]] = math.exp %[[IN]] : f32
// CHECK: linalg.yield %[[E]] : f32
// CHECK: return %[[R]]
func.func @exp_f32(%x: tensor<64x10xf32>) -> tensor<64x10xf32> {
  %0 = ember.exp %x : tensor<64x10xf32>
  return %0 : tensor<64x10xf32>
}

// -----

// ember.sigmoid: 1 / (1 + exp(-x)) in the generic; ember.tanh: math.tanh.
// CHECK-LABEL: func.func @sigmoid_tanh
// CHECK: ^bb0(%[[IN:.*]]: f64, %{{.*}}: f64):
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK-DAG: %[[NEG:.*]] = arith.negf %[[IN]] : f64
// CHECK: %[[E:.*]] = math.exp %[[NEG]] : f64
// CHECK: %[[D:.*]] = arith.addf %[[ONE]], %[[E]] : f64
// CHECK: %[[S:.*]] = arith.divf %[[ONE]], %[[D]] : f64
// CHECK: linalg.yield %[[S]] : f64
// CHECK: ^bb0(%[[IN2:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[T:.*]] = math.tanh %[[IN2]] : f32
// CHECK: linalg.yield %[[T]] : f32
// CHECK: ^bb0(%[[IN3:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[E:.*]] = math.erf %[[IN3]] : f32
// CHECK: linalg.yield %[[E]] : f32
func.func @sigmoid_tanh(%x: tensor<3x5xf64>, %y: tensor<7xf32>) -> (tensor<3x5xf64>, tensor<7xf32>, tensor<7xf32>) {
  %0 = ember.sigmoid %x : tensor<3x5xf64>
  %1 = ember.tanh %y : tensor<7xf32>
  %2 = ember.erf %y : tensor<7xf32>
  return %0, %1, %2 : tensor<3x5xf64>, tensor<7xf32>, tensor<7xf32>
}

// -----

// CHECK-LABEL: func.func @log
// CHECK-SAME: (%[[D:.*]]: tensor<4xf64>, %[[H:.*]]: tensor<4xf16>)
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: ins(%[[D]] : tensor<4xf64>) outs(%{{.*}} : tensor<4xf64>)
// CHECK: ^bb0(%[[IN:.*]]: f64, %{{.*}}: f64):
// CHECK: %[[L:.*]] = math.log %[[IN]] : f64
// CHECK: linalg.yield %[[L]] : f64
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[H]] : tensor<4xf16>) outs(%{{.*}} : tensor<4xf16>)
// CHECK: math.log %{{.*}} : f16
// CHECK: return %[[R]]
func.func @log(%d: tensor<4xf64>, %h: tensor<4xf16>) -> (tensor<4xf64>, tensor<4xf16>) {
  %0 = ember.log %d : tensor<4xf64>
  %1 = ember.log %h : tensor<4xf16>
  return %0, %1 : tensor<4xf64>, tensor<4xf16>
}

// -----

//===----------------------------------------------------------------------===//
// ember.max, ember.min: linalg.reduce into the identity (-inf/+inf, or the
// integer extremes; i8 is uint8); keepdim adds a tensor.expand_shape.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @max_f32
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[EMPTY:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%[[EMPTY]] : tensor<2x4xf32>)
// CHECK: %[[R:.*]] = linalg.reduce ins(%[[X]] : tensor<2x3x4xf32>) outs(%[[FILL]] : tensor<2x4xf32>) dimensions = [1]
// CHECK: (%[[IN:.*]]: f32, %[[ACC:.*]]: f32) {
// CHECK: %[[M:.*]] = arith.maximumf %[[IN]], %[[ACC]] : f32
// CHECK: linalg.yield %[[M]] : f32
// CHECK-NOT: tensor.expand_shape
// CHECK: return %[[R]]
func.func @max_f32(%x: tensor<2x3x4xf32>) -> tensor<2x4xf32> {
  %0 = ember.max %x dims = [1] : tensor<2x3x4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @min_f32_keepdim
// CHECK-SAME: (%[[X:.*]]: tensor<64x10xf32>)
// CHECK-DAG: %[[PINF:.*]] = arith.constant 0x7F800000 : f32
// CHECK-DAG: %[[EMPTY:.*]] = tensor.empty() : tensor<64xf32>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[PINF]] : f32) outs(%[[EMPTY]] : tensor<64xf32>)
// CHECK: %[[R:.*]] = linalg.reduce ins(%[[X]] : tensor<64x10xf32>) outs(%[[FILL]] : tensor<64xf32>) dimensions = [1]
// CHECK: (%[[IN:.*]]: f32, %[[ACC:.*]]: f32) {
// CHECK: %[[M:.*]] = arith.minimumf %[[IN]], %[[ACC]] : f32
// CHECK: linalg.yield %[[M]] : f32
// CHECK: %[[E:.*]] = tensor.expand_shape %[[R]] {{\[\[}}0, 1]] output_shape [64, 1] : tensor<64xf32> into tensor<64x1xf32>
// CHECK: return %[[E]]
func.func @min_f32_keepdim(%x: tensor<64x10xf32>) -> tensor<64x1xf32> {
  %0 = ember.min %x dims = [1] keepdim : tensor<64x10xf32> -> tensor<64x1xf32>
  return %0 : tensor<64x1xf32>
}

// -----

// CHECK-LABEL: func.func @max_min_f64_all
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf64>)
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFFF0000000000000 : f64
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[NINF]] : f64) outs(%{{.*}} : tensor<f64>)
// CHECK: %[[MAX:.*]] = linalg.reduce ins(%[[X]] : tensor<2x3xf64>) outs(%[[FILL]] : tensor<f64>) dimensions = [0, 1]
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f64
// CHECK-DAG: %[[PINF:.*]] = arith.constant 0x7FF0000000000000 : f64
// CHECK: %[[FILL2:.*]] = linalg.fill ins(%[[PINF]] : f64) outs(%{{.*}} : tensor<f64>)
// CHECK: %[[MIN:.*]] = linalg.reduce ins(%[[X]] : tensor<2x3xf64>) outs(%[[FILL2]] : tensor<f64>) dimensions = [0, 1]
// CHECK: arith.minimumf %{{.*}}, %{{.*}} : f64
// CHECK: %[[E:.*]] = tensor.expand_shape %[[MIN]] [] output_shape [1, 1] : tensor<f64> into tensor<1x1xf64>
// CHECK: return %[[MAX]], %[[E]]
func.func @max_min_f64_all(%x: tensor<2x3xf64>) -> (tensor<f64>, tensor<1x1xf64>) {
  %0 = ember.max %x dims = [1, 0] : tensor<2x3xf64> -> tensor<f64>
  %1 = ember.min %x dims = [0, 1] keepdim : tensor<2x3xf64> -> tensor<1x1xf64>
  return %0, %1 : tensor<f64>, tensor<1x1xf64>
}

// -----

// Signed integers start from their extremes.
// CHECK-LABEL: func.func @max_min_i64
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xi64>)
// CHECK-DAG: %[[LOW:.*]] = arith.constant -9223372036854775808 : i64
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[LOW]] : i64) outs(%{{.*}} : tensor<3xi64>)
// CHECK: %[[MAX:.*]] = linalg.reduce ins(%[[X]] : tensor<2x3xi64>) outs(%[[FILL]] : tensor<3xi64>) dimensions = [0]
// CHECK: (%[[IN:.*]]: i64, %[[ACC:.*]]: i64) {
// CHECK: %[[M:.*]] = arith.maxsi %[[IN]], %[[ACC]] : i64
// CHECK: linalg.yield %[[M]] : i64
// CHECK-DAG: %[[HIGH:.*]] = arith.constant 9223372036854775807 : i64
// CHECK: %[[FILL2:.*]] = linalg.fill ins(%[[HIGH]] : i64) outs(%{{.*}} : tensor<2xi64>)
// CHECK: %[[MIN:.*]] = linalg.reduce ins(%[[X]] : tensor<2x3xi64>) outs(%[[FILL2]] : tensor<2xi64>) dimensions = [1]
// CHECK: arith.minsi %{{.*}}, %{{.*}} : i64
// CHECK: return %[[MAX]], %[[MIN]]
func.func @max_min_i64(%x: tensor<2x3xi64>) -> (tensor<3xi64>, tensor<2xi64>) {
  %0 = ember.max %x dims = [0] : tensor<2x3xi64> -> tensor<3xi64>
  %1 = ember.min %x dims = [1] : tensor<2x3xi64> -> tensor<2xi64>
  return %0, %1 : tensor<3xi64>, tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @max_min_i32
// CHECK: arith.constant -2147483648 : i32
// CHECK: linalg.reduce
// CHECK: arith.maxsi %{{.*}}, %{{.*}} : i32
// CHECK: arith.constant 2147483647 : i32
// CHECK: linalg.reduce
// CHECK: arith.minsi %{{.*}}, %{{.*}} : i32
func.func @max_min_i32(%x: tensor<2x3xi32>) -> (tensor<3xi32>, tensor<3xi32>) {
  %0 = ember.max %x dims = [0] : tensor<2x3xi32> -> tensor<3xi32>
  %1 = ember.min %x dims = [0] : tensor<2x3xi32> -> tensor<3xi32>
  return %0, %1 : tensor<3xi32>, tensor<3xi32>
}

// -----

// i8 holds uint8: unsigned max/min from 0 and 255 (printed as -1).
// CHECK-LABEL: func.func @max_min_u8
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xi8>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : i8) outs(%{{.*}} : tensor<2xi8>)
// CHECK: %[[MAX:.*]] = linalg.reduce ins(%[[X]] : tensor<2x3xi8>) outs(%[[FILL]] : tensor<2xi8>) dimensions = [1]
// CHECK: (%[[IN:.*]]: i8, %[[ACC:.*]]: i8) {
// CHECK: %[[M:.*]] = arith.maxui %[[IN]], %[[ACC]] : i8
// CHECK: linalg.yield %[[M]] : i8
// CHECK-DAG: %[[U8MAX:.*]] = arith.constant -1 : i8
// CHECK: %[[FILL2:.*]] = linalg.fill ins(%[[U8MAX]] : i8) outs(%{{.*}} : tensor<2xi8>)
// CHECK: %[[MIN:.*]] = linalg.reduce ins(%[[X]] : tensor<2x3xi8>) outs(%[[FILL2]] : tensor<2xi8>) dimensions = [1]
// CHECK: arith.minui %{{.*}}, %{{.*}} : i8
// CHECK: %[[E:.*]] = tensor.expand_shape %[[MIN]] {{\[\[}}0, 1]] output_shape [2, 1] : tensor<2xi8> into tensor<2x1xi8>
// CHECK-NOT: arith.maxsi
// CHECK-NOT: arith.minsi
// CHECK: return %[[MAX]], %[[E]]
func.func @max_min_u8(%x: tensor<2x3xi8>) -> (tensor<2xi8>, tensor<2x1xi8>) {
  %0 = ember.max %x dims = [1] : tensor<2x3xi8> -> tensor<2xi8>
  %1 = ember.min %x dims = [1] keepdim : tensor<2x3xi8> -> tensor<2x1xi8>
  return %0, %1 : tensor<2xi8>, tensor<2x1xi8>
}

// -----

// CHECK-LABEL: func.func @max_f16_bf16
// CHECK: arith.constant 0xFC00 : f16
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f16
// CHECK: arith.constant 0x7F80 : bf16
// CHECK: arith.minimumf %{{.*}}, %{{.*}} : bf16
func.func @max_f16_bf16(%h: tensor<4xf16>, %b: tensor<4xbf16>) -> (tensor<f16>, tensor<bf16>) {
  %0 = ember.max %h dims = [0] : tensor<4xf16> -> tensor<f16>
  %1 = ember.min %b dims = [0] : tensor<4xbf16> -> tensor<bf16>
  return %0, %1 : tensor<f16>, tensor<bf16>
}

// -----

//===----------------------------------------------------------------------===//
// ember.argmax: a generic with two accumulators (the best value and its
// index), reduced along `dim`; the first maximum wins, NaN counts as largest.
//===----------------------------------------------------------------------===//

// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @argmax_f32
// CHECK-SAME: (%[[X:.*]]: tensor<64x10xf32>)
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[VE:.*]] = tensor.empty() : tensor<64xf32>
// CHECK-DAG: %[[VALS:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%[[VE]] : tensor<64xf32>)
// CHECK-DAG: %[[IE:.*]] = tensor.empty() : tensor<64xi64>
// CHECK-DAG: %[[IDXS:.*]] = linalg.fill ins(%[[ZERO]] : i64) outs(%[[IE]] : tensor<64xi64>)
// CHECK: %[[R:.*]]:2 = linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]], #[[$OUT]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]] : tensor<64x10xf32>) outs(%[[VALS]], %[[IDXS]] : tensor<64xf32>, tensor<64xi64>)
// CHECK: ^bb0(%[[V:.*]]: f32, %[[BEST:.*]]: f32, %[[BESTI:.*]]: i64):
// CHECK-DAG: %[[GT:.*]] = arith.cmpf ogt, %[[V]], %[[BEST]] : f32
// CHECK-DAG: %[[VNAN:.*]] = arith.cmpf uno, %[[V]], %[[V]] : f32
// CHECK-DAG: %[[BORD:.*]] = arith.cmpf ord, %[[BEST]], %[[BEST]] : f32
// CHECK: %[[NEWNAN:.*]] = arith.andi %[[VNAN]], %[[BORD]] : i1
// CHECK: %[[BETTER:.*]] = arith.ori %[[GT]], %[[NEWNAN]] : i1
// CHECK: %[[I:.*]] = linalg.index 1 : index
// CHECK: %[[I64:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK-DAG: %[[NV:.*]] = arith.select %[[BETTER]], %[[V]], %[[BEST]] : f32
// CHECK-DAG: %[[NI:.*]] = arith.select %[[BETTER]], %[[I64]], %[[BESTI]] : i64
// CHECK: linalg.yield %[[NV]], %[[NI]] : f32, i64
// CHECK: -> (tensor<64xf32>, tensor<64xi64>)
// CHECK-NOT: tensor.expand_shape
// CHECK: return %[[R]]#1
func.func @argmax_f32(%x: tensor<64x10xf32>) -> tensor<64xi64> {
  %0 = ember.argmax %x dim = 1 : tensor<64x10xf32> -> tensor<64xi64>
  return %0 : tensor<64xi64>
}

// -----

// Reducing the leading dimension; keepdim reinserts it as size 1.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @argmax_keepdim_f64
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf64>)
// CHECK: %[[R:.*]]:2 = linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]], #[[$OUT]]], iterator_types = ["reduction", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<2x3x4xf64>) outs(%{{.*}}, %{{.*}} : tensor<3x4xf64>, tensor<3x4xi64>)
// CHECK: arith.cmpf ogt, %{{.*}}, %{{.*}} : f64
// CHECK: linalg.index 0 : index
// CHECK: %[[E:.*]] = tensor.expand_shape %[[R]]#1 {{\[\[}}0, 1], [2]] output_shape [1, 3, 4] : tensor<3x4xi64> into tensor<1x3x4xi64>
// CHECK: return %[[E]]
func.func @argmax_keepdim_f64(%x: tensor<2x3x4xf64>) -> tensor<1x3x4xi64> {
  %0 = ember.argmax %x dim = 0 keepdim : tensor<2x3x4xf64> -> tensor<1x3x4xi64>
  return %0 : tensor<1x3x4xi64>
}

// -----

// Integers compare signed from the lowest value; i8 (uint8) unsigned from 0.
// CHECK-LABEL: func.func @argmax_int
// CHECK-SAME: (%[[I:.*]]: tensor<3xi64>, %[[U:.*]]: tensor<2x3xi8>)
// CHECK-DAG: %[[LOW:.*]] = arith.constant -9223372036854775808 : i64
// CHECK: linalg.fill ins(%[[LOW]] : i64) outs(%{{.*}} : tensor<i64>)
// CHECK: %[[R:.*]]:2 = linalg.generic
// CHECK-SAME: iterator_types = ["reduction"]
// CHECK-SAME: ins(%[[I]] : tensor<3xi64>) outs(%{{.*}}, %{{.*}} : tensor<i64>, tensor<i64>)
// CHECK: ^bb0(%[[V:.*]]: i64, %[[BEST:.*]]: i64, %{{.*}}: i64):
// CHECK: %[[GT:.*]] = arith.cmpi sgt, %[[V]], %[[BEST]] : i64
// CHECK: linalg.index 0 : index
// CHECK: arith.select %[[GT]], %[[V]], %[[BEST]] : i64
// CHECK-DAG: %[[UZERO:.*]] = arith.constant 0 : i8
// CHECK: linalg.fill ins(%[[UZERO]] : i8) outs(%{{.*}} : tensor<2xi8>)
// CHECK: %[[R2:.*]]:2 = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%[[U]] : tensor<2x3xi8>) outs(%{{.*}}, %{{.*}} : tensor<2xi8>, tensor<2xi64>)
// CHECK: ^bb0(%[[V2:.*]]: i8, %[[BEST2:.*]]: i8, %{{.*}}: i64):
// CHECK: arith.cmpi ugt, %[[V2]], %[[BEST2]] : i8
// CHECK: linalg.index 1 : index
// CHECK: return %[[R]]#1, %[[R2]]#1
func.func @argmax_int(%i: tensor<3xi64>, %u: tensor<2x3xi8>) -> (tensor<i64>, tensor<2xi64>) {
  %0 = ember.argmax %i dim = 0 : tensor<3xi64> -> tensor<i64>
  %1 = ember.argmax %u dim = 1 : tensor<2x3xi8> -> tensor<2xi64>
  return %0, %1 : tensor<i64>, tensor<2xi64>
}

// -----

//===----------------------------------------------------------------------===//
// Comparisons: a parallel generic into an i1 tensor. Floats compare ordered
// (une for ne); integers signed, i8 (uint8) and i1 unsigned.
//===----------------------------------------------------------------------===//

// CHECK: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @eq_f32
// CHECK-SAME: (%[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4x8xf32>)
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<4x8xi1>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<4x8xf32>, tensor<4x8xf32>) outs(%[[INIT]] : tensor<4x8xi1>)
// CHECK: ^bb0(%[[L:.*]]: f32, %[[RT:.*]]: f32, %{{.*}}: i1):
// CHECK: %[[C:.*]] = arith.cmpf oeq, %[[L]], %[[RT]] : f32
// CHECK: linalg.yield %[[C]] : i1
// CHECK: return %[[R]]
func.func @eq_f32(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xi1> {
  %0 = ember.eq %a, %b : tensor<4x8xf32> -> tensor<4x8xi1>
  return %0 : tensor<4x8xi1>
}

// -----

// CHECK-LABEL: func.func @compare_float_predicates
// CHECK: arith.cmpf une, %{{.*}}, %{{.*}} : f32
// CHECK: arith.cmpf olt, %{{.*}}, %{{.*}} : f32
// CHECK: arith.cmpf ole, %{{.*}}, %{{.*}} : f32
// CHECK: arith.cmpf ogt, %{{.*}}, %{{.*}} : f32
// CHECK: arith.cmpf oge, %{{.*}}, %{{.*}} : f32
// CHECK: arith.cmpf oeq, %{{.*}}, %{{.*}} : f64
func.func @compare_float_predicates(%a: tensor<4xf32>, %b: tensor<4xf32>, %d: tensor<f64>)
    -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<i1>) {
  %0 = ember.ne %a, %b : tensor<4xf32> -> tensor<4xi1>
  %1 = ember.lt %a, %b : tensor<4xf32> -> tensor<4xi1>
  %2 = ember.le %a, %b : tensor<4xf32> -> tensor<4xi1>
  %3 = ember.gt %a, %b : tensor<4xf32> -> tensor<4xi1>
  %4 = ember.ge %a, %b : tensor<4xf32> -> tensor<4xi1>
  %5 = ember.eq %d, %d : tensor<f64> -> tensor<i1>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<i1>
}

// -----

// CHECK-LABEL: func.func @compare_int_predicates
// CHECK: ^bb0(%[[L:.*]]: i64, %[[RT:.*]]: i64, %{{.*}}: i1):
// CHECK: arith.cmpi eq, %[[L]], %[[RT]] : i64
// CHECK: arith.cmpi ne, %{{.*}}, %{{.*}} : i64
// CHECK: arith.cmpi slt, %{{.*}}, %{{.*}} : i64
// CHECK: arith.cmpi sle, %{{.*}}, %{{.*}} : i64
// CHECK: arith.cmpi sgt, %{{.*}}, %{{.*}} : i32
// CHECK: arith.cmpi sge, %{{.*}}, %{{.*}} : i32
func.func @compare_int_predicates(%a: tensor<4xi64>, %b: tensor<4xi32>)
    -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = ember.eq %a, %a : tensor<4xi64> -> tensor<4xi1>
  %1 = ember.ne %a, %a : tensor<4xi64> -> tensor<4xi1>
  %2 = ember.lt %a, %a : tensor<4xi64> -> tensor<4xi1>
  %3 = ember.le %a, %a : tensor<4xi64> -> tensor<4xi1>
  %4 = ember.gt %b, %b : tensor<4xi32> -> tensor<4xi1>
  %5 = ember.ge %b, %b : tensor<4xi32> -> tensor<4xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// i8 holds uint8 and i1 booleans: both compare unsigned.
// CHECK-LABEL: func.func @compare_unsigned
// CHECK: arith.cmpi ult, %{{.*}}, %{{.*}} : i8
// CHECK: arith.cmpi ule, %{{.*}}, %{{.*}} : i8
// CHECK: arith.cmpi ugt, %{{.*}}, %{{.*}} : i8
// CHECK: arith.cmpi uge, %{{.*}}, %{{.*}} : i1
// CHECK: arith.cmpi eq, %{{.*}}, %{{.*}} : i1
// CHECK-NOT: arith.cmpi s
func.func @compare_unsigned(%u: tensor<4xi8>, %p: tensor<4xi1>)
    -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = ember.lt %u, %u : tensor<4xi8> -> tensor<4xi1>
  %1 = ember.le %u, %u : tensor<4xi8> -> tensor<4xi1>
  %2 = ember.gt %u, %u : tensor<4xi8> -> tensor<4xi1>
  %3 = ember.ge %p, %p : tensor<4xi1> -> tensor<4xi1>
  %4 = ember.eq %p, %p : tensor<4xi1> -> tensor<4xi1>
  return %0, %1, %2, %3, %4 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

//===----------------------------------------------------------------------===//
// ember.select: a parallel generic around arith.select.
//===----------------------------------------------------------------------===//

// CHECK: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @select
// CHECK-SAME: (%[[C:.*]]: tensor<2x3xi1>, %[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x3xf32>)
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]], #[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[C]], %[[A]], %[[B]] : tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
// CHECK: ^bb0(%[[CI:.*]]: i1, %[[AI:.*]]: f32, %[[BI:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[S:.*]] = arith.select %[[CI]], %[[AI]], %[[BI]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: return %[[R]]
func.func @select(%c: tensor<2x3xi1>, %a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.select %c, %a, %b : tensor<2x3xi1>, tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @select_i64_rank0
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<i1>, tensor<i64>, tensor<i64>) outs(%{{.*}} : tensor<i64>)
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : i64
func.func @select_i64_rank0(%c: tensor<i1>, %a: tensor<i64>, %b: tensor<i64>) -> tensor<i64> {
  %0 = ember.select %c, %a, %b : tensor<i1>, tensor<i64>
  return %0 : tensor<i64>
}

// -----

//===----------------------------------------------------------------------===//
// ember.cast: a parallel generic around one scalar conversion.
//===----------------------------------------------------------------------===//

// CHECK: #[[$ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @cast_f32_to_i64
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<4xi64>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]]], iterator_types = ["parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<4xf32>) outs(%[[INIT]] : tensor<4xi64>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: i64):
// CHECK: %[[C:.*]] = arith.fptosi %[[IN]] : f32 to i64
// CHECK: linalg.yield %[[C]] : i64
// CHECK: return %[[R]]
func.func @cast_f32_to_i64(%x: tensor<4xf32>) -> tensor<4xi64> {
  %0 = ember.cast %x : tensor<4xf32> -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// CHECK-LABEL: func.func @cast_to_float
// CHECK: ^bb0(%[[IN:.*]]: i64, %{{.*}}: f32):
// CHECK: arith.sitofp %[[IN]] : i64 to f32
// CHECK: ^bb0(%[[B:.*]]: i1, %{{.*}}: f32):
// CHECK: arith.uitofp %[[B]] : i1 to f32
// CHECK: ^bb0(%[[U:.*]]: i8, %{{.*}}: f64):
// CHECK: arith.uitofp %[[U]] : i8 to f64
func.func @cast_to_float(%i: tensor<4xi64>, %m: tensor<4xi1>, %u: tensor<4xi8>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf64>) {
  %0 = ember.cast %i : tensor<4xi64> -> tensor<4xf32>
  %1 = ember.cast %m : tensor<4xi1> -> tensor<4xf32>
  %2 = ember.cast %u : tensor<4xi8> -> tensor<4xf64>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf64>
}

// -----

// To i1: any nonzero value (NaN included) is true.
// CHECK-LABEL: func.func @cast_to_i1
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: i1):
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[C:.*]] = arith.cmpf une, %[[IN]], %[[ZERO]] : f32
// CHECK: linalg.yield %[[C]] : i1
// CHECK: ^bb0(%[[I:.*]]: i64, %{{.*}}: i1):
// CHECK: %[[IZERO:.*]] = arith.constant 0 : i64
// CHECK: arith.cmpi ne, %[[I]], %[[IZERO]] : i64
func.func @cast_to_i1(%x: tensor<4xf32>, %i: tensor<4xi64>) -> (tensor<4xi1>, tensor<4xi1>) {
  %0 = ember.cast %x : tensor<4xf32> -> tensor<4xi1>
  %1 = ember.cast %i : tensor<4xi64> -> tensor<4xi1>
  return %0, %1 : tensor<4xi1>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @cast_float_width
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f64):
// CHECK: arith.extf %[[IN]] : f32 to f64
// CHECK: ^bb0(%[[D:.*]]: f64, %{{.*}}: f32):
// CHECK: arith.truncf %[[D]] : f64 to f32
// CHECK: ^bb0(%[[F:.*]]: f32, %{{.*}}: bf16):
// CHECK: arith.truncf %[[F]] : f32 to bf16
func.func @cast_float_width(%x: tensor<4xf32>, %d: tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf32>, tensor<4xbf16>) {
  %0 = ember.cast %x : tensor<4xf32> -> tensor<4xf64>
  %1 = ember.cast %d : tensor<4xf64> -> tensor<4xf32>
  %2 = ember.cast %x : tensor<4xf32> -> tensor<4xbf16>
  return %0, %1, %2 : tensor<4xf64>, tensor<4xf32>, tensor<4xbf16>
}

// -----

// Integer widths: uint8 and i1 zero-extend, others sign-extend; narrowing
// truncates.
// CHECK-LABEL: func.func @cast_int_width
// CHECK: ^bb0(%[[U:.*]]: i8, %{{.*}}: i64):
// CHECK: arith.extui %[[U]] : i8 to i64
// CHECK: ^bb0(%[[I:.*]]: i64, %{{.*}}: i8):
// CHECK: arith.trunci %[[I]] : i64 to i8
// CHECK: ^bb0(%[[S:.*]]: i32, %{{.*}}: i64):
// CHECK: arith.extsi %[[S]] : i32 to i64
// CHECK: ^bb0(%[[B:.*]]: i1, %{{.*}}: i32):
// CHECK: arith.extui %[[B]] : i1 to i32
func.func @cast_int_width(%u: tensor<4xi8>, %i: tensor<4xi64>, %s: tensor<4xi32>, %b: tensor<4xi1>)
    -> (tensor<4xi64>, tensor<4xi8>, tensor<4xi64>, tensor<4xi32>) {
  %0 = ember.cast %u : tensor<4xi8> -> tensor<4xi64>
  %1 = ember.cast %i : tensor<4xi64> -> tensor<4xi8>
  %2 = ember.cast %s : tensor<4xi32> -> tensor<4xi64>
  %3 = ember.cast %b : tensor<4xi1> -> tensor<4xi32>
  return %0, %1, %2, %3 : tensor<4xi64>, tensor<4xi8>, tensor<4xi64>, tensor<4xi32>
}

// -----

// Float to uint8 converts unsigned, to other integers signed.
// CHECK-LABEL: func.func @cast_float_to_int
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: i8):
// CHECK: arith.fptoui %[[IN]] : f32 to i8
// CHECK: ^bb0(%[[D:.*]]: f64, %{{.*}}: i32):
// CHECK: arith.fptosi %[[D]] : f64 to i32
func.func @cast_float_to_int(%x: tensor<4xf32>, %d: tensor<4xf64>) -> (tensor<4xi8>, tensor<4xi32>) {
  %0 = ember.cast %x : tensor<4xf32> -> tensor<4xi8>
  %1 = ember.cast %d : tensor<4xf64> -> tensor<4xi32>
  return %0, %1 : tensor<4xi8>, tensor<4xi32>
}

// -----

//===----------------------------------------------------------------------===//
// A classifier head: every new op is converted.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @softmax_argmax_accuracy
// CHECK-NOT: ember.
// CHECK: linalg.reduce
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: math.log
// CHECK: linalg.index
// CHECK: arith.cmpi eq
// CHECK: arith.uitofp
// CHECK: arith.select
// CHECK-NOT: ember.
// CHECK: return
func.func @softmax_argmax_accuracy(%logits: tensor<4x10xf32>, %labels: tensor<4xi64>)
    -> (tensor<4x10xf32>, tensor<4xf32>, tensor<4xf32>) {
  %m = ember.max %logits dims = [1] keepdim : tensor<4x10xf32> -> tensor<4x1xf32>
  %mb = ember.broadcast_to %m : tensor<4x1xf32> -> tensor<4x10xf32>
  %z = ember.sub %logits, %mb : tensor<4x10xf32>
  %e = ember.exp %z : tensor<4x10xf32>
  %l = ember.log %e : tensor<4x10xf32>
  %p = ember.argmax %logits dim = 1 : tensor<4x10xf32> -> tensor<4xi64>
  %ok = ember.eq %p, %labels : tensor<4xi64> -> tensor<4xi1>
  %f = ember.cast %ok : tensor<4xi1> -> tensor<4xf32>
  %zero = ember.constant dense<0.0> : tensor<4xf32>
  %s = ember.select %ok, %f, %zero : tensor<4xi1>, tensor<4xf32>
  return %l, %f, %s : tensor<4x10xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Equal-width float casts go through f32.
// CHECK-LABEL: func.func @cast_f16_bf16
// CHECK:         linalg.generic
// CHECK:           %[[W:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK:           arith.truncf %[[W]] : f32 to bf16
func.func @cast_f16_bf16(%x: tensor<4xf16>) -> tensor<4xbf16> {
  %0 = ember.cast %x : tensor<4xf16> -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

// ember.linear_relu: the linear's matmul, then the relu as its elementwise
// consumer (which the CPU pipeline tiles together with it).
// CHECK-LABEL: func.func @linear_relu
// CHECK:         %[[BB:.*]] = linalg.broadcast
// CHECK:         %[[WT:.*]] = linalg.transpose
// CHECK:         %[[M:.*]] = linalg.matmul ins(%{{.*}}, %[[WT]] : tensor<4x8xf32>, tensor<8x2xf32>) outs(%[[BB]] : tensor<4x2xf32>)
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[M]] : tensor<4x2xf32>)
// CHECK:           arith.maximumf
// CHECK:         return %[[R]]
func.func @linear_relu(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>, %b: tensor<2xf32>) -> tensor<4x2xf32> {
  %0 = ember.linear_relu %x, %w, %b : (tensor<4x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Convolutions (ConvToLinalg.cpp): padding as a gather, im2col as a copy
// through the window, one product, the result's layout (plus the bias).
// A window of under 64 elements (3 * 3 * 3 here) keeps the weight as the
// product's A; a deeper one (below) makes the output's points its rows.
//===----------------------------------------------------------------------===//

// CHECK-DAG: #[[$WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d1, d2 + d5, d3 + d6)>
// CHECK-DAG: #[[$FNHW:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>
// CHECK-DAG: #[[$BIAS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @conv2d_padded
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x5x5xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[PAD:.*]] = linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x3x7x7xf32>)
// CHECK: arith.subi
// CHECK: %[[E:.*]] = tensor.extract %[[X]]
// CHECK: arith.select %{{.*}}, %[[E]], %{{.*}} : f32
// CHECK: %[[P5:.*]] = tensor.expand_shape %[[PAD]] {{\[}}[0], [1, 2], [3], [4]]
// CHECK: %[[COL:.*]] = linalg.generic {indexing_maps = [#[[$WIN]], {{.*}}]
// CHECK-SAME: ins(%[[P5]] : tensor<2x1x3x7x7xf32>) outs(%{{.*}} : tensor<1x3x3x3x2x5x5xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK: %[[MM:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x27xf32>, tensor<27x50xf32>)
// CHECK: %[[MM4:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0], [1, 2, 3]] output_shape [4, 2, 5, 5]
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$FNHW]], #[[$BIAS]], {{.*}}]
// CHECK-SAME: ins(%[[MM4]], %[[B]] : tensor<4x2x5x5xf32>, tensor<4xf32>)
// CHECK: arith.addf
// CHECK: return %[[R]]
func.func @conv2d_padded(%x: tensor<2x3x5x5xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<2x4x5x5xf32> {
  %0 = ember.conv2d %x, %w, %b stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x3x5x5xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x5x5xf32>
  return %0 : tensor<2x4x5x5xf32>
}

// -----

// A deep window (C * KH * KW = 8 * 3 * 3 = 72 >= 64, one group): the
// padded input moved channels-last, [N, Hp, Wp, C], then the transposed
// im2col [N * OH * OW, KH * KW * C] (each window position's channels a
// contiguous copy) times the weight as [F, KH, KW, C] transposed
// [KH * KW * C, F], as a linear layer's product; then the layout moves F
// from last to second (with the bias). The padding gather is as above.
// CHECK-DAG: #[[$LAST:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
// CHECK-DAG: #[[$WINT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d3, d2 + d4, d5)>
// CHECK-DAG: #[[$NHWF:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-DAG: #[[$BIAS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @conv2d_deep
// CHECK-SAME: (%[[X:.*]]: tensor<2x8x5x5xf32>, %[[W:.*]]: tensor<4x8x3x3xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[PAD:.*]] = linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x8x7x7xf32>)
// CHECK: %[[NHWC:.*]] = linalg.generic {indexing_maps = [#[[$LAST]], {{.*}}]
// CHECK-SAME: ins(%[[PAD]] : tensor<2x8x7x7xf32>) outs(%{{.*}} : tensor<2x7x7x8xf32>)
// CHECK: %[[COL:.*]] = linalg.generic {indexing_maps = [#[[$WINT]], {{.*}}]
// CHECK-SAME: ins(%[[NHWC]] : tensor<2x7x7x8xf32>) outs(%{{.*}} : tensor<2x5x5x3x3x8xf32>)
// CHECK: %[[COL2:.*]] = tensor.collapse_shape %[[COL]] {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<2x5x5x3x3x8xf32> into tensor<50x72xf32>
// CHECK: %[[WL:.*]] = linalg.generic
// CHECK-SAME: ins(%[[W]] : tensor<4x8x3x3xf32>) outs(%{{.*}} : tensor<4x3x3x8xf32>)
// CHECK: %[[W2:.*]] = tensor.collapse_shape %[[WL]] {{\[}}[0], [1, 2, 3]] : tensor<4x3x3x8xf32> into tensor<4x72xf32>
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[W2]] : tensor<4x72xf32>) outs(%{{.*}} : tensor<72x4xf32>) permutation = [1, 0]
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[COL2]], %[[WT]] : tensor<50x72xf32>, tensor<72x4xf32>)
// CHECK: %[[MM4:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1, 2], [3]] output_shape [2, 5, 5, 4]
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$NHWF]], #[[$BIAS]], {{.*}}]
// CHECK-SAME: ins(%[[MM4]], %[[B]] : tensor<2x5x5x4xf32>, tensor<4xf32>)
// CHECK: arith.addf
// CHECK: return %[[R]]
func.func @conv2d_deep(%x: tensor<2x8x5x5xf32>, %w: tensor<4x8x3x3xf32>, %b: tensor<4xf32>) -> tensor<2x4x5x5xf32> {
  %0 = ember.conv2d %x, %w, %b stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x8x5x5xf32>, tensor<4x8x3x3xf32>, tensor<4xf32>) -> tensor<2x4x5x5xf32>
  return %0 : tensor<2x4x5x5xf32>
}

// -----

// conv2d_relu: the convolution's lowering, with the ReLU applied in the
// pass that moves the product into [N, F, OH, OW] after the bias.
// CHECK-LABEL: func.func @conv2d_relu
// CHECK: linalg.matmul
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x4x5x5xf32>)
// CHECK: %[[S:.*]] = arith.addf
// CHECK: %[[M:.*]] = arith.maximumf %[[S]], %{{.*}} fastmath<nsz> : f32
// CHECK: linalg.yield %[[M]]
// CHECK: return %[[R]]
func.func @conv2d_relu(%x: tensor<2x8x5x5xf32>, %w: tensor<4x8x3x3xf32>, %b: tensor<4xf32>) -> tensor<2x4x5x5xf32> {
  %0 = ember.conv2d_relu %x, %w, %b stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x8x5x5xf32>, tensor<4x8x3x3xf32>, tensor<4xf32>) -> tensor<2x4x5x5xf32>
  return %0 : tensor<2x4x5x5xf32>
}

// -----

// Without padding the window reads the input itself (no gather); with
// groups the product is batched over them.
// CHECK-DAG: #[[$WIN2:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d1, d5 * 2 + d2, d6 * 2 + d3)>
// CHECK-LABEL: func.func @conv2d_grouped_strided
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x6x6xf32>
// CHECK-NOT: tensor.extract
// CHECK: %[[X5:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 6, 6]
// CHECK: linalg.generic {indexing_maps = [#[[$WIN2]], {{.*}}]
// CHECK-SAME: ins(%[[X5]] : tensor<1x2x2x6x6xf32>)
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<2x3x8xf32>, tensor<2x8x9xf32>)
// CHECK-NOT: arith.addf
func.func @conv2d_grouped_strided(%x: tensor<1x4x6x6xf32>, %w: tensor<6x2x2x2xf32>) -> tensor<1x6x3x3xf32> {
  %0 = ember.conv2d %x, %w stride = [2, 2] padding = [0, 0] dilation = [1, 1] groups = 2 : (tensor<1x4x6x6xf32>, tensor<6x2x2x2xf32>) -> tensor<1x6x3x3xf32>
  return %0 : tensor<1x6x3x3xf32>
}

// -----

// The input gradient spreads the output gradient by the stride (keeping
// the points whose offset the stride divides), pads it by the kernel's
// reach less the padding, and convolves it with the flipped weight.
// CHECK-DAG: #[[$FLIP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, -d3 + 2, -d4 + 2)>
// CHECK-LABEL: func.func @conv2d_grad_input
// CHECK-SAME: (%[[DY:.*]]: tensor<1x4x3x3xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>)
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x4x8x8xf32>)
// CHECK: arith.remsi
// CHECK: arith.divsi
// CHECK: tensor.extract %[[DY]]
// CHECK: %[[W5:.*]] = tensor.expand_shape %[[W]]
// CHECK: linalg.generic {indexing_maps = [#[[$FLIP]], {{.*}}]
// CHECK-SAME: ins(%[[W5]] : tensor<1x4x3x3x3xf32>) outs(%{{.*}} : tensor<1x3x4x3x3xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<3x36xf32>, tensor<36x36xf32>)
func.func @conv2d_grad_input(%dy: tensor<1x4x3x3xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x3x6x6xf32> {
  %0 = ember.conv2d_grad_input %dy, %w stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<1x4x3x3xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x6x6xf32>
  return %0 : tensor<1x3x6x6xf32>
}

// -----

// The weight gradient: the output gradient as [F, N * OH * OW] times the
// transposed im2col [N * OH * OW, KH * KW * C], with one group the same ops
// as a deep convolution's forward (which CSE then shares); the product,
// [F, KH, KW, C], is moved back to [F, C, KH, KW].
// CHECK-DAG: #[[$WINT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d3, d2 + d4, d5)>
// CHECK-DAG: #[[$FIRST:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-LABEL: func.func @conv2d_grad_weight
// CHECK: tensor.extract
// CHECK: linalg.generic {indexing_maps = [#[[$WINT]], {{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<2x5x5x3x3x3xf32>)
// CHECK: %[[MM:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x50xf32>, tensor<50x27xf32>)
// CHECK: %[[MM4:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0], [1, 2, 3]] output_shape [4, 3, 3, 3]
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$FIRST]], {{.*}}]
// CHECK-SAME: ins(%[[MM4]] : tensor<4x3x3x3xf32>)
// CHECK: return %[[R]]
func.func @conv2d_grad_weight(%x: tensor<2x3x5x5xf32>, %dy: tensor<2x4x5x5xf32>) -> tensor<4x3x3x3xf32> {
  %0 = ember.conv2d_grad_weight %x, %dy stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x3x5x5xf32>, tensor<2x4x5x5xf32>) -> tensor<4x3x3x3xf32>
  return %0 : tensor<4x3x3x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Max pooling: a parallel generic over the output's points, the window
// unrolled in its body: 9 reads of the input, -inf outside it, each kept
// when it is greater than the best so far or NaN (PyTorch's rule).
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @max_pool2d_padded
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x5x5xf32>)
// CHECK: %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%{{.*}} : tensor<1x2x3x3xf32>)
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: arith.cmpi sge
// CHECK: %[[V:.*]] = tensor.extract %[[X]]
// CHECK: %[[IN:.*]] = arith.select %{{.*}}, %[[V]], %[[NEGINF]] : f32
// CHECK: %[[GT:.*]] = arith.cmpf ogt, %[[IN]], %[[NEGINF]] : f32
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[IN]], %[[IN]] : f32
// CHECK: %[[KEEP:.*]] = arith.ori %[[GT]], %[[NAN]] : i1
// CHECK: arith.select %[[KEEP]], %[[IN]], %[[NEGINF]] : f32
// CHECK-COUNT-8: tensor.extract %[[X]]
// CHECK-NOT: tensor.extract
// CHECK-NOT: arith.maximumf
// CHECK: linalg.yield
// CHECK: return %[[R]]
// CHECK-NOT: linalg.pooling
func.func @max_pool2d_padded(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x3x3xf32> {
  %0 = ember.max_pool2d %x kernel = [3, 3] stride = [2, 2] padding = [1, 1] dilation = [1, 1] : tensor<1x2x5x5xf32> -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// Without padding: the same, 4 reads, none of them checked against the
// input's bounds (every window lies inside it).
// CHECK-LABEL: func.func @max_pool2d_unpadded
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK: linalg.generic
// CHECK-NOT: arith.cmpi
// CHECK-COUNT-4: tensor.extract %[[X]]
// CHECK-NOT: tensor.extract
// CHECK-NOT: arith.cmpi
// CHECK: linalg.yield
func.func @max_pool2d_unpadded(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = ember.max_pool2d %x kernel = [2, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}

// -----

// The gradient of disjoint windows (stride = kernel, no padding or
// dilation): each window's index first, a parallel generic over the windows
// that reads its 4 elements in its body (the window unrolled, in row-major
// order; a NaN wins: cmpf uno; it vectorizes along the windows' rows as an
// elementwise op), then a generic over the input's points that reads its
// window's index and output gradient: two reads a point.
// CHECK-LABEL: func.func @max_pool2d_grad
// CHECK-SAME: (%[[DY:.*]]: tensor<1x2x2x2xf32>, %[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK: %[[IDX:.*]] = linalg.generic {indexing_maps = [#{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%{{.*}} : tensor<1x2x2x2xi32>)
// CHECK-COUNT-4: tensor.extract %[[X]]
// CHECK-NOT: tensor.extract %[[X]]
// CHECK: arith.constant 3 : i32
// CHECK: linalg.yield %{{.*}} : i32
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x4x4xf32>)
// CHECK: arith.divui
// CHECK: arith.remui
// CHECK: tensor.extract %[[IDX]]
// CHECK: tensor.extract %[[DY]]
// CHECK-NOT: tensor.extract %[[X]]
// CHECK: linalg.yield
func.func @max_pool2d_grad(%dy: tensor<1x2x2x2xf32>, %x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %0 = ember.max_pool2d_grad %dy, %x kernel = [2, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

// Overlapping windows (stride 1) take the general gradient, not the one
// above: a generic over the input's points, no operands; for each of the 4
// kernel offsets, the window's index from 4 reads of the input (a NaN
// wins: cmpf uno), and the output gradient where it is this point.
// CHECK-LABEL: func.func @max_pool2d_grad_overlapping
// CHECK-SAME: (%[[DY:.*]]: tensor<1x2x3x3xf32>, %[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK-NOT: reduction
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x4x4xf32>)
// CHECK-COUNT-4: tensor.extract %[[X]]
// CHECK: arith.cmpf uno
// CHECK: tensor.extract %[[DY]]
// CHECK: arith.addf
// CHECK-COUNT-12: tensor.extract %[[X]]
// CHECK-NOT: tensor.extract %[[X]]
// CHECK: linalg.yield
func.func @max_pool2d_grad_overlapping(%dy: tensor<1x2x3x3xf32>, %x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %0 = ember.max_pool2d_grad %dy, %x kernel = [2, 2] stride = [1, 1] padding = [0, 0] dilation = [1, 1] : (tensor<1x2x3x3xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

// Random numbers: a parallel generic reading the rank-0 seed and offset at
// every point; the counter is offset + the row-major index; ten Philox
// rounds of two 32x32->64-bit products each; the first word's upper 24 bits
// scaled by 2^-24.
// CHECK-DAG: #[[$SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @random_uniform
// CHECK-SAME: (%[[SEED:.*]]: tensor<i64>, %[[OFF:.*]]: tensor<i64>)
// CHECK: linalg.generic {indexing_maps = [#[[$SCALAR]], #[[$SCALAR]], {{.*}}], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[SEED]], %[[OFF]] : tensor<i64>, tensor<i64>)
// CHECK: ^bb0(%[[S:.*]]: i64, %[[O:.*]]: i64, %{{.*}}: f32):
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: arith.addi %[[O]]
// CHECK-COUNT-20: arith.mului_extended
// CHECK-NOT: arith.mului_extended
// CHECK: arith.shrui %{{.*}}, %{{.*}} : i32
// CHECK: arith.uitofp %{{.*}} : i32 to f32
// CHECK: arith.constant 5.96046448E-8 : f32
// CHECK: arith.mulf
func.func @random_uniform(%seed: tensor<i64>, %offset: tensor<i64>) -> tensor<4x5xf32> {
  %0 = ember.random_uniform %seed, %offset : (tensor<i64>, tensor<i64>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

//===----------------------------------------------------------------------===//
// ember.slice: a tensor.extract_slice (bufferized, a view); ember.slice_scatter:
// a tensor.insert_slice (bufferized, a copy into a view of dest's buffer: it
// costs the box, not dest). With no-views (the GPU pipeline): a copy
// through offsets + i * strides, and a generic over dest.
//===----------------------------------------------------------------------===//

// A view of the input (its readers read the input's buffer):
// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:.*]]: tensor<4x6xf32>)
// CHECK-NOT: linalg.generic
// CHECK: tensor.extract_slice %[[X]][1, 1] [3, 3] [1, 2] : tensor<4x6xf32> to tensor<3x3xf32>
// For the GPU plan (no-views): a copy through the map.
// NOVIEWS: #[[$IN:.*]] = affine_map<(d0, d1) -> (d0 + 1, d1 * 2 + 1)>
// NOVIEWS-LABEL: func.func @slice(
// NOVIEWS: linalg.generic {indexing_maps = [#[[$IN]], #{{.*}}], iterator_types = ["parallel", "parallel"]}
// NOVIEWS-SAME: ins(%{{.*}} : tensor<4x6xf32>) outs(%{{.*}} : tensor<3x3xf32>)
// NOVIEWS-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// NOVIEWS-NEXT: linalg.yield %[[IN]] : f32
func.func @slice(%x: tensor<4x6xf32>) -> tensor<3x3xf32> {
  %0 = ember.slice %x offsets = [1, 1] strides = [1, 2] : tensor<4x6xf32> -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

// A dimension cut short at offset 0 with stride 1: a view too. Copied
// (no-views), it cannot be read through a plain `d0` (linalg takes it to
// span the loop): a gather instead.
// CHECK-LABEL: func.func @slice_cut_short
// CHECK: tensor.extract_slice %{{.*}}[0, 1] [2, 3] [1, 2] : tensor<4x6xf32> to tensor<2x3xf32>
// NOVIEWS-LABEL: func.func @slice_cut_short
// NOVIEWS-SAME: (%[[X:.*]]: tensor<4x6xf32>)
// NOVIEWS: linalg.generic
// NOVIEWS-SAME: outs(%{{.*}} : tensor<2x3xf32>)
// NOVIEWS: %[[I:.*]] = linalg.index 0 : index
// NOVIEWS: %[[J:.*]] = linalg.index 1 : index
// NOVIEWS: %[[J2:.*]] = arith.muli %[[J]], %{{.*}} : index
// NOVIEWS: %[[J3:.*]] = arith.addi %[[J2]], %{{.*}} : index
// NOVIEWS: tensor.extract %[[X]][%[[I]], %[[J3]]] : tensor<4x6xf32>
func.func @slice_cut_short(%x: tensor<4x6xf32>) -> tensor<2x3xf32> {
  %0 = ember.slice %x offsets = [0, 1] strides = [1, 2] : tensor<4x6xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @slice_scatter
// CHECK-SAME: (%[[D:.*]]: tensor<4x6xf32>, %[[S:.*]]: tensor<4x3xf32>)
// CHECK-NOT: linalg.generic
// CHECK: %[[R:.*]] = tensor.insert_slice %[[S]] into %[[D]][0, 1] [4, 3] [1, 2] : tensor<4x3xf32> into tensor<4x6xf32>
// CHECK: return %[[R]]
// For the GPU plan (no-views), which cannot address into a buffer: a
// generic over dest that reads the source by computed index inside the box.
// NOVIEWS-LABEL: func.func @slice_scatter
// NOVIEWS-SAME: (%[[D:.*]]: tensor<4x6xf32>, %[[S:.*]]: tensor<4x3xf32>)
// NOVIEWS-NOT: tensor.insert_slice
// NOVIEWS: linalg.generic
// NOVIEWS-SAME: ins(%[[D]] : tensor<4x6xf32>)
// NOVIEWS: ^bb0(%[[OLD:.*]]: f32, %{{.*}}: f32):
// Dimension 0 is whole: no test on it.
// NOVIEWS: %[[I0:.*]] = linalg.index 0 : index
// NOVIEWS: %[[I1:.*]] = linalg.index 1 : index
// NOVIEWS: arith.remsi
// NOVIEWS: %[[Q:.*]] = arith.divsi
// NOVIEWS: %[[V:.*]] = tensor.extract %[[S]][%[[I0]], %{{.*}}] : tensor<4x3xf32>
// NOVIEWS: %[[R:.*]] = arith.select %{{.*}}, %[[V]], %[[OLD]] : f32
// NOVIEWS: linalg.yield %[[R]]
func.func @slice_scatter(%d: tensor<4x6xf32>, %s: tensor<4x3xf32>) -> tensor<4x6xf32> {
  %0 = ember.slice_scatter %d, %s offsets = [0, 1] strides = [1, 2] : (tensor<4x6xf32>, tensor<4x3xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

// A chain of boxes written into one fresh tensor (what cat and gradient
// buckets record) bufferizes into one buffer: each box a copy into a view
// of it, no pass over the whole per box. The boxes cover the destination,
// so its values (the broadcast) are dead: the first box goes into a
// tensor.empty, and nothing fills the buffer.
// CHECK-LABEL: func.func @slice_scatter_chain
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<5xf32>, %{{.*}}: tensor<f32>)
// CHECK: linalg.generic
// CHECK: %[[E:.*]] = tensor.empty() : tensor<9xf32>
// CHECK-NEXT: %[[R1:.*]] = tensor.insert_slice %[[A]] into %[[E]][0] [4] [1]
// CHECK: tensor.insert_slice %[[B]] into %[[R1]][4] [5] [1]
// BUFCHAIN-LABEL: func.func @slice_scatter_chain
// BUFCHAIN-SAME: %[[OUT:[a-z0-9]+]]: memref<9xf32>)
// BUFCHAIN-NOT: linalg.generic
// BUFCHAIN: %[[V1:.*]] = memref.subview %[[OUT]][0] [4] [1]
// BUFCHAIN: memref.copy %{{.*}}, %[[V1]]
// BUFCHAIN: %[[V2:.*]] = memref.subview %[[OUT]][4] [5] [1]
// BUFCHAIN: memref.copy %{{.*}}, %[[V2]]
// BUFCHAIN-NOT: linalg.generic
// BUFCHAIN: return
func.func @slice_scatter_chain(%a: tensor<4xf32>, %b: tensor<5xf32>, %z: tensor<f32>) -> tensor<9xf32> {
  %0 = ember.broadcast_to %z : tensor<f32> -> tensor<9xf32>
  %1 = ember.slice_scatter %0, %a offsets = [0] strides = [1] : (tensor<9xf32>, tensor<4xf32>) -> tensor<9xf32>
  %2 = ember.slice_scatter %1, %b offsets = [4] strides = [1] : (tensor<9xf32>, tensor<5xf32>) -> tensor<9xf32>
  return %2 : tensor<9xf32>
}

// -----

// Must not fire: boxes that leave part of the destination (element 8), or
// overlap (the second rewrites element 3), keep it: its values are read.
// CHECK-LABEL: func.func @slice_scatter_chain_partial
// CHECK: %[[D:.*]] = linalg.generic
// CHECK: tensor.insert_slice %{{.*}} into %[[D]][0] [4] [1]
// CHECK-LABEL: func.func @slice_scatter_chain_overlapping
// CHECK: %[[D:.*]] = linalg.generic
// CHECK: tensor.insert_slice %{{.*}} into %[[D]][0] [4] [1]
func.func @slice_scatter_chain_partial(%a: tensor<4xf32>, %b: tensor<4xf32>, %z: tensor<f32>) -> tensor<9xf32> {
  %0 = ember.broadcast_to %z : tensor<f32> -> tensor<9xf32>
  %1 = ember.slice_scatter %0, %a offsets = [0] strides = [1] : (tensor<9xf32>, tensor<4xf32>) -> tensor<9xf32>
  %2 = ember.slice_scatter %1, %b offsets = [4] strides = [1] : (tensor<9xf32>, tensor<4xf32>) -> tensor<9xf32>
  return %2 : tensor<9xf32>
}
func.func @slice_scatter_chain_overlapping(%a: tensor<4xf32>, %b: tensor<5xf32>, %c: tensor<1xf32>, %z: tensor<f32>) -> tensor<9xf32> {
  %0 = ember.broadcast_to %z : tensor<f32> -> tensor<9xf32>
  %1 = ember.slice_scatter %0, %a offsets = [0] strides = [1] : (tensor<9xf32>, tensor<4xf32>) -> tensor<9xf32>
  %2 = ember.slice_scatter %1, %c offsets = [3] strides = [1] : (tensor<9xf32>, tensor<1xf32>) -> tensor<9xf32>
  %3 = ember.slice_scatter %2, %b offsets = [3] strides = [1] : (tensor<9xf32>, tensor<5xf32>) -> tensor<9xf32>
  return %3 : tensor<9xf32>
}
