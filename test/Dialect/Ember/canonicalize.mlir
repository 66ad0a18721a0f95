// RUN: ember-opt %s -canonicalize -split-input-file | FileCheck %s

// Folders of ember ops: ReshapeOp::fold, BroadcastToOp::fold, ConstantOp::fold,
// CastOp::fold.

//===----------------------------------------------------------------------===//
// ember.reshape
//===----------------------------------------------------------------------===//

// A reshape to its own type is the input.
// CHECK-LABEL: func.func @reshape_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: ember.reshape
// CHECK: return %[[X]]
func.func @reshape_same_type(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.reshape %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_same_type_rank0
// CHECK-SAME: (%[[X:.*]]: tensor<i64>)
// CHECK-NOT: ember.reshape
// CHECK: return %[[X]]
func.func @reshape_same_type_rank0(%x: tensor<i64>) -> tensor<i64> {
  %0 = ember.reshape %x : tensor<i64> -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

// reshape(reshape(x)) is one reshape of x.
// CHECK-LABEL: func.func @reshape_of_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[R:.*]] = ember.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<4x6xf32>
// CHECK-NOT: ember.reshape
// CHECK: return %[[R]]
func.func @reshape_of_reshape(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %0 = ember.reshape %x : tensor<2x3x4xf32> -> tensor<24xf32>
  %1 = ember.reshape %0 : tensor<24xf32> -> tensor<4x6xf32>
  return %1 : tensor<4x6xf32>
}

// -----

// A chain of three reshapes, through rank 0, is one reshape.
// CHECK-LABEL: func.func @reshape_chain
// CHECK-SAME: (%[[X:.*]]: tensor<1x1xf64>)
// CHECK: %[[R:.*]] = ember.reshape %[[X]] : tensor<1x1xf64> -> tensor<1x1x1xf64>
// CHECK-NOT: ember.reshape
// CHECK: return %[[R]]
func.func @reshape_chain(%x: tensor<1x1xf64>) -> tensor<1x1x1xf64> {
  %0 = ember.reshape %x : tensor<1x1xf64> -> tensor<f64>
  %1 = ember.reshape %0 : tensor<f64> -> tensor<1xf64>
  %2 = ember.reshape %1 : tensor<1xf64> -> tensor<1x1x1xf64>
  return %2 : tensor<1x1x1xf64>
}

// -----

// Reshaping there and back leaves the input.
// CHECK-LABEL: func.func @reshape_round_trip
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: ember.reshape
// CHECK: return %[[X]]
func.func @reshape_round_trip(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %1 = ember.reshape %0 : tensor<6xf32> -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// The inner reshape stays while it has another use; the outer one reads x.
// CHECK-LABEL: func.func @reshape_of_reshape_multi_use
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-DAG: %[[FLAT:.*]] = ember.reshape %[[X]] : tensor<2x3xf32> -> tensor<6xf32>
// CHECK-DAG: %[[T:.*]] = ember.reshape %[[X]] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK: return %[[FLAT]], %[[T]]
func.func @reshape_of_reshape_multi_use(%x: tensor<2x3xf32>) -> (tensor<6xf32>, tensor<3x2xf32>) {
  %0 = ember.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %1 = ember.reshape %0 : tensor<6xf32> -> tensor<3x2xf32>
  return %0, %1 : tensor<6xf32>, tensor<3x2xf32>
}

// -----

// Negative: a reshape to a different shape stays.
// CHECK-LABEL: func.func @reshape_different_shape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[R:.*]] = ember.reshape %[[X]] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK: return %[[R]]
func.func @reshape_different_shape(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = ember.reshape %x : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Negative: reshape of a constant is not folded (no folder for it).
// CHECK-LABEL: func.func @reshape_of_constant
// CHECK: %[[C:.*]] = ember.constant dense<{{.*}}> : tensor<2x3xf32>
// CHECK: %[[R:.*]] = ember.reshape %[[C]] : tensor<2x3xf32> -> tensor<6xf32>
// CHECK: return %[[R]]
func.func @reshape_of_constant() -> tensor<6xf32> {
  %c = ember.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = ember.reshape %c : tensor<2x3xf32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

//===----------------------------------------------------------------------===//
// ember.broadcast_to
//===----------------------------------------------------------------------===//

// A broadcast to its own type is the input.
// CHECK-LABEL: func.func @broadcast_to_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: ember.broadcast_to
// CHECK: return %[[X]]
func.func @broadcast_to_same_type(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.broadcast_to %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// A splat constant broadcasts to a splat constant of the result type.
// CHECK-LABEL: func.func @broadcast_to_splat
// CHECK: %[[C:.*]] = ember.constant dense<2.500000e+00> : tensor<4x3xf32>
// CHECK-NOT: ember.broadcast_to
// CHECK: return %[[C]]
func.func @broadcast_to_splat() -> tensor<4x3xf32> {
  %c = ember.constant dense<2.5> : tensor<3xf32>
  %0 = ember.broadcast_to %c : tensor<3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_to_splat_rank0_i64
// CHECK: %[[C:.*]] = ember.constant dense<7> : tensor<2x1x5xi64>
// CHECK-NOT: ember.broadcast_to
// CHECK: return %[[C]]
func.func @broadcast_to_splat_rank0_i64() -> tensor<2x1x5xi64> {
  %c = ember.constant dense<7> : tensor<i64>
  %0 = ember.broadcast_to %c : tensor<i64> -> tensor<2x1x5xi64>
  return %0 : tensor<2x1x5xi64>
}

// -----

// CHECK-LABEL: func.func @broadcast_to_splat_i1
// CHECK: %[[C:.*]] = ember.constant dense<true> : tensor<2x2xi1>
// CHECK-NOT: ember.broadcast_to
// CHECK: return %[[C]]
func.func @broadcast_to_splat_i1() -> tensor<2x2xi1> {
  %c = ember.constant dense<true> : tensor<1x2xi1>
  %0 = ember.broadcast_to %c : tensor<1x2xi1> -> tensor<2x2xi1>
  return %0 : tensor<2x2xi1>
}

// -----

// Negative: a non-splat constant is not expanded.
// CHECK-LABEL: func.func @broadcast_to_non_splat
// CHECK: %[[C:.*]] = ember.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK: %[[B:.*]] = ember.broadcast_to %[[C]] : tensor<3xf32> -> tensor<4x3xf32>
// CHECK: return %[[B]]
func.func @broadcast_to_non_splat() -> tensor<4x3xf32> {
  %c = ember.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = ember.broadcast_to %c : tensor<3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Negative: a broadcast of a non-constant to a larger shape stays.
// CHECK-LABEL: func.func @broadcast_to_argument
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>)
// CHECK: %[[B:.*]] = ember.broadcast_to %[[X]] : tensor<3xf32> -> tensor<4x3xf32>
// CHECK: return %[[B]]
func.func @broadcast_to_argument(%x: tensor<3xf32>) -> tensor<4x3xf32> {
  %0 = ember.broadcast_to %x : tensor<3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Dead code
//===----------------------------------------------------------------------===//

// Ops are Pure, so unused results are erased.
// CHECK-LABEL: func.func @dead_ops
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: ember.
// CHECK: return %[[X]]
func.func @dead_ops(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.relu %x : tensor<2x3xf32>
  %1 = ember.constant dense<1.0> : tensor<2xf32>
  %2 = ember.sum %x dims = [0] : tensor<2x3xf32> -> tensor<3xf32>
  return %x : tensor<2x3xf32>
}

// -----

// The identity permutation folds away, at any rank.
// CHECK-LABEL: func.func @transpose_identity
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>, %[[S:.*]]: tensor<f32>)
// CHECK-NOT:     ember.transpose
// CHECK:         return %[[X]], %[[S]]
func.func @transpose_identity(%x: tensor<2x3xf32>, %s: tensor<f32>) -> (tensor<2x3xf32>, tensor<f32>) {
  %0 = ember.transpose %x [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = ember.transpose %s [] : tensor<f32> -> tensor<f32>
  return %0, %1 : tensor<2x3xf32>, tensor<f32>
}

// -----

// A real permutation stays, even when the shape does not change.
// CHECK-LABEL: func.func @transpose_square
// CHECK:         ember.transpose %{{.*}} [1, 0]
func.func @transpose_square(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %0 = ember.transpose %x [1, 0] : tensor<3x3xf32> -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// ember.cast
//===----------------------------------------------------------------------===//

// A cast to its own type is the input, at any rank and element type.
// CHECK-LABEL: func.func @cast_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[M:.*]]: tensor<4xi1>, %[[S:.*]]: tensor<i64>)
// CHECK-NOT: ember.cast
// CHECK: return %[[X]], %[[M]], %[[S]]
func.func @cast_same_type(%x: tensor<2x3xf32>, %m: tensor<4xi1>, %s: tensor<i64>) -> (tensor<2x3xf32>, tensor<4xi1>, tensor<i64>) {
  %0 = ember.cast %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = ember.cast %m : tensor<4xi1> -> tensor<4xi1>
  %2 = ember.cast %s : tensor<i64> -> tensor<i64>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<4xi1>, tensor<i64>
}

// -----

// A cast to another element type stays.
// CHECK-LABEL: func.func @cast_other_type
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[M:.*]]: tensor<4xi1>)
// CHECK: %[[I:.*]] = ember.cast %[[X]] : tensor<2x3xf32> -> tensor<2x3xi64>
// CHECK: %[[F:.*]] = ember.cast %[[M]] : tensor<4xi1> -> tensor<4xf32>
// CHECK: return %[[I]], %[[F]]
func.func @cast_other_type(%x: tensor<2x3xf32>, %m: tensor<4xi1>) -> (tensor<2x3xi64>, tensor<4xf32>) {
  %0 = ember.cast %x : tensor<2x3xf32> -> tensor<2x3xi64>
  %1 = ember.cast %m : tensor<4xi1> -> tensor<4xf32>
  return %0, %1 : tensor<2x3xi64>, tensor<4xf32>
}

// -----

// cast(cast(x)) is not folded: the inner cast may lose information.
// CHECK-LABEL: func.func @cast_round_trip
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[I:.*]] = ember.cast %[[X]] : tensor<4xf32> -> tensor<4xi64>
// CHECK: %[[F:.*]] = ember.cast %[[I]] : tensor<4xi64> -> tensor<4xf32>
// CHECK: return %[[F]]
func.func @cast_round_trip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ember.cast %x : tensor<4xf32> -> tensor<4xi64>
  %1 = ember.cast %0 : tensor<4xi64> -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// SliceOp::fold and SliceScatterOp::fold: a box that is the whole tensor.
// CHECK-LABEL: func.func @slice_whole
// CHECK-SAME: (%[[X:.*]]: tensor<4x6xf32>, %[[S:.*]]: tensor<4x6xf32>)
// CHECK-NOT: ember.slice
// CHECK: return %[[X]], %[[S]]
func.func @slice_whole(%x: tensor<4x6xf32>, %s: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %0 = ember.slice %x offsets = [0, 0] strides = [1, 1] : tensor<4x6xf32> -> tensor<4x6xf32>
  %1 = ember.slice_scatter %x, %s offsets = [0, 0] strides = [1, 1] : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  return %0, %1 : tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

// Negative: a proper box is kept.
// CHECK-LABEL: func.func @slice_part
// CHECK: ember.slice %{{.*}} offsets = [1, 0]
// CHECK: ember.slice_scatter
func.func @slice_part(%x: tensor<4x6xf32>, %s: tensor<3x6xf32>) -> (tensor<3x6xf32>, tensor<4x6xf32>) {
  %0 = ember.slice %x offsets = [1, 0] strides = [1, 1] : tensor<4x6xf32> -> tensor<3x6xf32>
  %1 = ember.slice_scatter %x, %s offsets = [1, 0] strides = [1, 1] : (tensor<4x6xf32>, tensor<3x6xf32>) -> tensor<4x6xf32>
  return %0, %1 : tensor<3x6xf32>, tensor<4x6xf32>
}
