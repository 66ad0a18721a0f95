// RUN: ember-opt %s | ember-opt | FileCheck %s
// RUN: ember-opt %s --mlir-print-op-generic | ember-opt | FileCheck %s

// Round trip of every ember op through the custom assembly format and through
// the generic form.

//===----------------------------------------------------------------------===//
// ember.constant
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @constant_f32
// CHECK: %[[C:.*]] = ember.constant dense<{{\[\[}}0.000000e+00, 1.500000e+00], [2.000000e+00, -3.250000e+00]]> : tensor<2x2xf32>
// CHECK: return %[[C]]
func.func @constant_f32() -> tensor<2x2xf32> {
  %0 = ember.constant dense<[[0.0, 1.5], [2.0, -3.25]]> : tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// CHECK-LABEL: func.func @constant_splat_f64
// CHECK: ember.constant dense<1.000000e+00> : tensor<4x8xf64>
func.func @constant_splat_f64() -> tensor<4x8xf64> {
  %0 = ember.constant dense<1.0> : tensor<4x8xf64>
  return %0 : tensor<4x8xf64>
}

// CHECK-LABEL: func.func @constant_i64
// CHECK: ember.constant dense<[1, -2, 3]> : tensor<3xi64>
func.func @constant_i64() -> tensor<3xi64> {
  %0 = ember.constant dense<[1, -2, 3]> : tensor<3xi64>
  return %0 : tensor<3xi64>
}

// CHECK-LABEL: func.func @constant_i1
// CHECK: ember.constant dense<[true, false]> : tensor<2xi1>
func.func @constant_i1() -> tensor<2xi1> {
  %0 = ember.constant dense<[true, false]> : tensor<2xi1>
  return %0 : tensor<2xi1>
}

// CHECK-LABEL: func.func @constant_rank0
// CHECK: ember.constant dense<4.200000e+01> : tensor<f32>
func.func @constant_rank0() -> tensor<f32> {
  %0 = ember.constant dense<42.0> : tensor<f32>
  return %0 : tensor<f32>
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @binary_f32
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x3xf32>)
// CHECK: %[[ADD:.*]] = ember.add %[[A]], %[[B]] : tensor<2x3xf32>
// CHECK: %[[SUB:.*]] = ember.sub %[[ADD]], %[[B]] : tensor<2x3xf32>
// CHECK: %[[MUL:.*]] = ember.mul %[[SUB]], %[[A]] : tensor<2x3xf32>
// CHECK: %[[DIV:.*]] = ember.div %[[MUL]], %[[B]] : tensor<2x3xf32>
// CHECK: return %[[DIV]]
func.func @binary_f32(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.add %a, %b : tensor<2x3xf32>
  %1 = ember.sub %0, %b : tensor<2x3xf32>
  %2 = ember.mul %1, %a : tensor<2x3xf32>
  %3 = ember.div %2, %b : tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @binary_f64
// CHECK-SAME: (%[[A:.*]]: tensor<4xf64>, %[[B:.*]]: tensor<4xf64>)
// CHECK: %[[ADD:.*]] = ember.add %[[A]], %[[B]] : tensor<4xf64>
// CHECK: %[[SUB:.*]] = ember.sub %[[ADD]], %[[B]] : tensor<4xf64>
// CHECK: %[[MUL:.*]] = ember.mul %[[SUB]], %[[A]] : tensor<4xf64>
// CHECK: %[[DIV:.*]] = ember.div %[[MUL]], %[[B]] : tensor<4xf64>
// CHECK: return %[[DIV]]
func.func @binary_f64(%a: tensor<4xf64>, %b: tensor<4xf64>) -> tensor<4xf64> {
  %0 = ember.add %a, %b : tensor<4xf64>
  %1 = ember.sub %0, %b : tensor<4xf64>
  %2 = ember.mul %1, %a : tensor<4xf64>
  %3 = ember.div %2, %b : tensor<4xf64>
  return %3 : tensor<4xf64>
}

// CHECK-LABEL: func.func @binary_i64
// CHECK-SAME: (%[[A:.*]]: tensor<2x2xi64>, %[[B:.*]]: tensor<2x2xi64>)
// CHECK: %[[ADD:.*]] = ember.add %[[A]], %[[B]] : tensor<2x2xi64>
// CHECK: %[[SUB:.*]] = ember.sub %[[ADD]], %[[B]] : tensor<2x2xi64>
// CHECK: %[[MUL:.*]] = ember.mul %[[SUB]], %[[A]] : tensor<2x2xi64>
// CHECK: %[[DIV:.*]] = ember.div %[[MUL]], %[[B]] : tensor<2x2xi64>
// CHECK: return %[[DIV]]
func.func @binary_i64(%a: tensor<2x2xi64>, %b: tensor<2x2xi64>) -> tensor<2x2xi64> {
  %0 = ember.add %a, %b : tensor<2x2xi64>
  %1 = ember.sub %0, %b : tensor<2x2xi64>
  %2 = ember.mul %1, %a : tensor<2x2xi64>
  %3 = ember.div %2, %b : tensor<2x2xi64>
  return %3 : tensor<2x2xi64>
}

// Other numeric element types and rank-0 operands.
// CHECK-LABEL: func.func @binary_other_types
// CHECK: ember.add %{{.*}}, %{{.*}} : tensor<8xf16>
// CHECK: ember.mul %{{.*}}, %{{.*}} : tensor<8xbf16>
// CHECK: ember.sub %{{.*}}, %{{.*}} : tensor<8xi32>
// CHECK: ember.div %{{.*}}, %{{.*}} : tensor<8xi8>
// CHECK: ember.add %{{.*}}, %{{.*}} : tensor<f32>
func.func @binary_other_types(%h: tensor<8xf16>, %bf: tensor<8xbf16>, %i: tensor<8xi32>,
                              %b: tensor<8xi8>, %s: tensor<f32>) {
  %0 = ember.add %h, %h : tensor<8xf16>
  %1 = ember.mul %bf, %bf : tensor<8xbf16>
  %2 = ember.sub %i, %i : tensor<8xi32>
  %3 = ember.div %b, %b : tensor<8xi8>
  %4 = ember.add %s, %s : tensor<f32>
  return
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @unary
// CHECK-SAME: (%[[X:.*]]: tensor<64x512xf32>, %[[D:.*]]: tensor<3xf64>, %[[I:.*]]: tensor<3xi64>)
// CHECK: %[[NEG:.*]] = ember.neg %[[X]] : tensor<64x512xf32>
// CHECK: %[[RELU:.*]] = ember.relu %[[NEG]] : tensor<64x512xf32>
// CHECK: ember.neg %[[D]] : tensor<3xf64>
// CHECK: ember.relu %[[D]] : tensor<3xf64>
// CHECK: ember.neg %[[I]] : tensor<3xi64>
// CHECK: ember.relu %[[I]] : tensor<3xi64>
// CHECK: return %[[RELU]]
func.func @unary(%x: tensor<64x512xf32>, %d: tensor<3xf64>, %i: tensor<3xi64>) -> tensor<64x512xf32> {
  %0 = ember.neg %x : tensor<64x512xf32>
  %1 = ember.relu %0 : tensor<64x512xf32>
  %2 = ember.neg %d : tensor<3xf64>
  %3 = ember.relu %d : tensor<3xf64>
  %4 = ember.neg %i : tensor<3xi64>
  %5 = ember.relu %i : tensor<3xi64>
  return %1 : tensor<64x512xf32>
}

//===----------------------------------------------------------------------===//
// ember.matmul
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3x5xf32>, %[[C:.*]]: tensor<2x6xf64>, %[[D:.*]]: tensor<6x1xf64>, %[[E:.*]]: tensor<2x2xi64>)
// CHECK: %[[R:.*]] = ember.matmul %[[A]], %[[B]] : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
// CHECK: ember.matmul %[[C]], %[[D]] : (tensor<2x6xf64>, tensor<6x1xf64>) -> tensor<2x1xf64>
// CHECK: ember.matmul %[[E]], %[[E]] : (tensor<2x2xi64>, tensor<2x2xi64>) -> tensor<2x2xi64>
// CHECK: return %[[R]]
func.func @matmul(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>, %c: tensor<2x6xf64>,
                  %d: tensor<6x1xf64>, %e: tensor<2x2xi64>) -> tensor<4x5xf32> {
  %0 = ember.matmul %a, %b : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
  %1 = ember.matmul %c, %d : (tensor<2x6xf64>, tensor<6x1xf64>) -> tensor<2x1xf64>
  %2 = ember.matmul %e, %e : (tensor<2x2xi64>, tensor<2x2xi64>) -> tensor<2x2xi64>
  return %0 : tensor<4x5xf32>
}

//===----------------------------------------------------------------------===//
// ember.linear
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME: (%[[X:.*]]: tensor<64x784xf32>, %[[W:.*]]: tensor<512x784xf32>, %[[B:.*]]: tensor<512xf32>)
// CHECK: %[[Y:.*]] = ember.linear %[[X]], %[[W]], %[[B]] : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
// CHECK: return %[[Y]]
func.func @linear_bias(%x: tensor<64x784xf32>, %w: tensor<512x784xf32>, %b: tensor<512xf32>) -> tensor<64x512xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
  return %0 : tensor<64x512xf32>
}

// CHECK-LABEL: func.func @linear_no_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf64>, %[[W:.*]]: tensor<16x8xf64>)
// CHECK: %[[Y:.*]] = ember.linear %[[X]], %[[W]] : (tensor<2x8xf64>, tensor<16x8xf64>) -> tensor<2x16xf64>
// CHECK: return %[[Y]]
func.func @linear_no_bias(%x: tensor<2x8xf64>, %w: tensor<16x8xf64>) -> tensor<2x16xf64> {
  %0 = ember.linear %x, %w : (tensor<2x8xf64>, tensor<16x8xf64>) -> tensor<2x16xf64>
  return %0 : tensor<2x16xf64>
}

// CHECK-LABEL: func.func @linear_f16
// CHECK: ember.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x4xf16>, tensor<2x4xf16>, tensor<2xf16>) -> tensor<1x2xf16>
func.func @linear_f16(%x: tensor<1x4xf16>, %w: tensor<2x4xf16>, %b: tensor<2xf16>) -> tensor<1x2xf16> {
  %0 = ember.linear %x, %w, %b : (tensor<1x4xf16>, tensor<2x4xf16>, tensor<2xf16>) -> tensor<1x2xf16>
  return %0 : tensor<1x2xf16>
}

//===----------------------------------------------------------------------===//
// ember.reshape
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:.*]]: tensor<64x1x28x28xf32>, %[[I:.*]]: tensor<6xi64>, %[[P:.*]]: tensor<2x2xi1>)
// CHECK: %[[R:.*]] = ember.reshape %[[X]] : tensor<64x1x28x28xf32> -> tensor<64x784xf32>
// CHECK: ember.reshape %[[I]] : tensor<6xi64> -> tensor<2x3xi64>
// CHECK: ember.reshape %[[P]] : tensor<2x2xi1> -> tensor<4xi1>
// CHECK: return %[[R]]
func.func @reshape(%x: tensor<64x1x28x28xf32>, %i: tensor<6xi64>, %p: tensor<2x2xi1>) -> tensor<64x784xf32> {
  %0 = ember.reshape %x : tensor<64x1x28x28xf32> -> tensor<64x784xf32>
  %1 = ember.reshape %i : tensor<6xi64> -> tensor<2x3xi64>
  %2 = ember.reshape %p : tensor<2x2xi1> -> tensor<4xi1>
  return %0 : tensor<64x784xf32>
}

// CHECK-LABEL: func.func @reshape_rank0
// CHECK-SAME: (%[[S:.*]]: tensor<f64>, %[[T:.*]]: tensor<1x1xf64>)
// CHECK: %[[UP:.*]] = ember.reshape %[[S]] : tensor<f64> -> tensor<1x1xf64>
// CHECK: %[[DOWN:.*]] = ember.reshape %[[T]] : tensor<1x1xf64> -> tensor<f64>
// CHECK: return %[[UP]], %[[DOWN]]
func.func @reshape_rank0(%s: tensor<f64>, %t: tensor<1x1xf64>) -> (tensor<1x1xf64>, tensor<f64>) {
  %0 = ember.reshape %s : tensor<f64> -> tensor<1x1xf64>
  %1 = ember.reshape %t : tensor<1x1xf64> -> tensor<f64>
  return %0, %1 : tensor<1x1xf64>, tensor<f64>
}

//===----------------------------------------------------------------------===//
// ember.transpose
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[Y:.*]]: tensor<2x3x4xi64>)
// CHECK: %[[T:.*]] = ember.transpose %[[X]] [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK: ember.transpose %[[Y]] [2, 0, 1] : tensor<2x3x4xi64> -> tensor<4x2x3xi64>
// CHECK: return %[[T]]
func.func @transpose(%x: tensor<2x3xf32>, %y: tensor<2x3x4xi64>) -> tensor<3x2xf32> {
  %0 = ember.transpose %x [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %1 = ember.transpose %y [2, 0, 1] : tensor<2x3x4xi64> -> tensor<4x2x3xi64>
  return %0 : tensor<3x2xf32>
}

// CHECK-LABEL: func.func @transpose_rank0
// CHECK: ember.transpose %{{.*}} [] : tensor<f32> -> tensor<f32>
func.func @transpose_rank0(%x: tensor<f32>) -> tensor<f32> {
  %0 = ember.transpose %x [] : tensor<f32> -> tensor<f32>
  return %0 : tensor<f32>
}

//===----------------------------------------------------------------------===//
// ember.slice, ember.slice_scatter
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<4x6xf32>, %[[S:[a-z0-9]+]]: tensor<4x3xf32>
// CHECK: %[[A:.*]] = ember.slice %[[X]] offsets = [0, 1] strides = [1, 2] : tensor<4x6xf32> -> tensor<4x3xf32>
// CHECK: ember.slice_scatter %[[X]], %[[S]] offsets = [0, 1] strides = [1, 2] : (tensor<4x6xf32>, tensor<4x3xf32>) -> tensor<4x6xf32>
// CHECK: ember.slice %{{.*}} offsets = [2] strides = [1] : tensor<3xi64> -> tensor<1xi64>
func.func @slice(%x: tensor<4x6xf32>, %s: tensor<4x3xf32>, %i: tensor<3xi64>) -> tensor<4x3xf32> {
  %0 = ember.slice %x offsets = [0, 1] strides = [1, 2] : tensor<4x6xf32> -> tensor<4x3xf32>
  %1 = ember.slice_scatter %x, %s offsets = [0, 1] strides = [1, 2] : (tensor<4x6xf32>, tensor<4x3xf32>) -> tensor<4x6xf32>
  %2 = ember.slice %i offsets = [2] strides = [1] : tensor<3xi64> -> tensor<1xi64>
  return %0 : tensor<4x3xf32>
}

//===----------------------------------------------------------------------===//
// ember.broadcast_to
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @broadcast_to
// CHECK-SAME: (%[[V:.*]]: tensor<3xf32>, %[[C:.*]]: tensor<4x1xf64>, %[[S:.*]]: tensor<i64>, %[[M:.*]]: tensor<1x3xi1>)
// CHECK: %[[LEAD:.*]] = ember.broadcast_to %[[V]] : tensor<3xf32> -> tensor<2x3xf32>
// CHECK: ember.broadcast_to %[[C]] : tensor<4x1xf64> -> tensor<4x5xf64>
// CHECK: ember.broadcast_to %[[S]] : tensor<i64> -> tensor<2x2xi64>
// CHECK: ember.broadcast_to %[[M]] : tensor<1x3xi1> -> tensor<5x2x3xi1>
// CHECK: return %[[LEAD]]
func.func @broadcast_to(%v: tensor<3xf32>, %c: tensor<4x1xf64>, %s: tensor<i64>, %m: tensor<1x3xi1>) -> tensor<2x3xf32> {
  %0 = ember.broadcast_to %v : tensor<3xf32> -> tensor<2x3xf32>
  %1 = ember.broadcast_to %c : tensor<4x1xf64> -> tensor<4x5xf64>
  %2 = ember.broadcast_to %s : tensor<i64> -> tensor<2x2xi64>
  %3 = ember.broadcast_to %m : tensor<1x3xi1> -> tensor<5x2x3xi1>
  return %0 : tensor<2x3xf32>
}

//===----------------------------------------------------------------------===//
// ember.sum
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @sum
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[I:.*]]: tensor<2x3x4xi64>)
// CHECK: %[[S:.*]] = ember.sum %[[X]] dims = [1] : tensor<2x3xf32> -> tensor<2xf32>
// CHECK: ember.sum %[[X]] dims = [0, 1] keepdim : tensor<2x3xf32> -> tensor<1x1xf32>
// CHECK: ember.sum %[[I]] dims = [2, 0] : tensor<2x3x4xi64> -> tensor<3xi64>
// CHECK: ember.sum %[[I]] dims = [1] keepdim : tensor<2x3x4xi64> -> tensor<2x1x4xi64>
// CHECK: return %[[S]]
func.func @sum(%x: tensor<2x3xf32>, %i: tensor<2x3x4xi64>) -> tensor<2xf32> {
  %0 = ember.sum %x dims = [1] : tensor<2x3xf32> -> tensor<2xf32>
  %1 = ember.sum %x dims = [0, 1] keepdim : tensor<2x3xf32> -> tensor<1x1xf32>
  %2 = ember.sum %i dims = [2, 0] : tensor<2x3x4xi64> -> tensor<3xi64>
  %3 = ember.sum %i dims = [1] keepdim : tensor<2x3x4xi64> -> tensor<2x1x4xi64>
  return %0 : tensor<2xf32>
}

// CHECK-LABEL: func.func @sum_all_to_rank0
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf64>)
// CHECK: %[[S:.*]] = ember.sum %[[X]] dims = [0, 1, 2] : tensor<2x3x4xf64> -> tensor<f64>
// CHECK: return %[[S]]
func.func @sum_all_to_rank0(%x: tensor<2x3x4xf64>) -> tensor<f64> {
  %0 = ember.sum %x dims = [0, 1, 2] : tensor<2x3x4xf64> -> tensor<f64>
  return %0 : tensor<f64>
}

// An empty dims list is an identity sum.
// CHECK-LABEL: func.func @sum_no_dims
// CHECK: ember.sum %{{.*}} dims = [] : tensor<2x3xf32> -> tensor<2x3xf32>
func.func @sum_no_dims(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ember.sum %x dims = [] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

//===----------------------------------------------------------------------===//
// A small graph
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<16x8xf32>, %[[B:.*]]: tensor<16xf32>)
// CHECK: %[[L:.*]] = ember.linear %[[X]], %[[W]], %[[B]]
// CHECK: %[[R:.*]] = ember.relu %[[L]] : tensor<4x16xf32>
// CHECK: %[[S:.*]] = ember.sum %[[R]] dims = [1] : tensor<4x16xf32> -> tensor<4xf32>
// CHECK: return %[[S]]
func.func @mlp(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %1 = ember.relu %0 : tensor<4x16xf32>
  %2 = ember.sum %1 dims = [1] : tensor<4x16xf32> -> tensor<4xf32>
  return %2 : tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// ember.sigmoid, ember.tanh
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @sigmoid_tanh
// CHECK: %[[S:.*]] = ember.sigmoid %{{.*}} : tensor<64x128xf32>
// CHECK: %[[T:.*]] = ember.tanh %[[S]] : tensor<64x128xf32>
// CHECK: ember.erf %[[T]] : tensor<64x128xf32>
func.func @sigmoid_tanh(%x: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %0 = ember.sigmoid %x : tensor<64x128xf32>
  %1 = ember.tanh %0 : tensor<64x128xf32>
  %2 = ember.erf %1 : tensor<64x128xf32>
  return %2 : tensor<64x128xf32>
}

//===----------------------------------------------------------------------===//
// ember.exp, ember.log
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @exp_log
// CHECK-SAME: (%[[X:.*]]: tensor<64x10xf32>, %[[D:.*]]: tensor<3xf64>, %[[H:.*]]: tensor<4xf16>, %[[BF:.*]]: tensor<4xbf16>, %[[S:.*]]: tensor<f32>)
// CHECK: %[[E:.*]] = ember.exp %[[X]] : tensor<64x10xf32>
// CHECK: %[[L:.*]] = ember.log %[[E]] : tensor<64x10xf32>
// CHECK: ember.exp %[[D]] : tensor<3xf64>
// CHECK: ember.log %[[D]] : tensor<3xf64>
// CHECK: ember.exp %[[H]] : tensor<4xf16>
// CHECK: ember.log %[[BF]] : tensor<4xbf16>
// CHECK: ember.exp %[[S]] : tensor<f32>
// CHECK: return %[[L]]
func.func @exp_log(%x: tensor<64x10xf32>, %d: tensor<3xf64>, %h: tensor<4xf16>,
                   %bf: tensor<4xbf16>, %s: tensor<f32>) -> tensor<64x10xf32> {
  %0 = ember.exp %x : tensor<64x10xf32>
  %1 = ember.log %0 : tensor<64x10xf32>
  %2 = ember.exp %d : tensor<3xf64>
  %3 = ember.log %d : tensor<3xf64>
  %4 = ember.exp %h : tensor<4xf16>
  %5 = ember.log %bf : tensor<4xbf16>
  %6 = ember.exp %s : tensor<f32>
  return %1 : tensor<64x10xf32>
}

//===----------------------------------------------------------------------===//
// ember.max, ember.min
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @max_min
// CHECK-SAME: (%[[X:.*]]: tensor<64x10xf32>, %[[I:.*]]: tensor<2x3x4xi64>, %[[B:.*]]: tensor<2x3xi8>, %[[D:.*]]: tensor<2x3xf64>)
// CHECK: %[[M:.*]] = ember.max %[[X]] dims = [1] keepdim : tensor<64x10xf32> -> tensor<64x1xf32>
// CHECK: ember.min %[[X]] dims = [0] : tensor<64x10xf32> -> tensor<10xf32>
// CHECK: ember.max %[[I]] dims = [2, 0] : tensor<2x3x4xi64> -> tensor<3xi64>
// CHECK: ember.min %[[I]] dims = [1] keepdim : tensor<2x3x4xi64> -> tensor<2x1x4xi64>
// CHECK: ember.max %[[B]] dims = [0, 1] : tensor<2x3xi8> -> tensor<i8>
// CHECK: ember.min %[[B]] dims = [1] : tensor<2x3xi8> -> tensor<2xi8>
// CHECK: ember.min %[[D]] dims = [0, 1] keepdim : tensor<2x3xf64> -> tensor<1x1xf64>
// CHECK: ember.max %[[D]] dims = [] : tensor<2x3xf64> -> tensor<2x3xf64>
// CHECK: return %[[M]]
func.func @max_min(%x: tensor<64x10xf32>, %i: tensor<2x3x4xi64>, %b: tensor<2x3xi8>,
                   %d: tensor<2x3xf64>) -> tensor<64x1xf32> {
  %0 = ember.max %x dims = [1] keepdim : tensor<64x10xf32> -> tensor<64x1xf32>
  %1 = ember.min %x dims = [0] : tensor<64x10xf32> -> tensor<10xf32>
  %2 = ember.max %i dims = [2, 0] : tensor<2x3x4xi64> -> tensor<3xi64>
  %3 = ember.min %i dims = [1] keepdim : tensor<2x3x4xi64> -> tensor<2x1x4xi64>
  %4 = ember.max %b dims = [0, 1] : tensor<2x3xi8> -> tensor<i8>
  %5 = ember.min %b dims = [1] : tensor<2x3xi8> -> tensor<2xi8>
  %6 = ember.min %d dims = [0, 1] keepdim : tensor<2x3xf64> -> tensor<1x1xf64>
  %7 = ember.max %d dims = [] : tensor<2x3xf64> -> tensor<2x3xf64>
  return %0 : tensor<64x1xf32>
}

//===----------------------------------------------------------------------===//
// ember.argmax
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @argmax
// CHECK-SAME: (%[[X:.*]]: tensor<64x10xf32>, %[[I:.*]]: tensor<2x3x4xi64>, %[[B:.*]]: tensor<5xi8>, %[[H:.*]]: tensor<2x3xf16>)
// CHECK: %[[A:.*]] = ember.argmax %[[X]] dim = 1 : tensor<64x10xf32> -> tensor<64xi64>
// CHECK: ember.argmax %[[X]] dim = 0 keepdim : tensor<64x10xf32> -> tensor<1x10xi64>
// CHECK: ember.argmax %[[I]] dim = 1 : tensor<2x3x4xi64> -> tensor<2x4xi64>
// CHECK: ember.argmax %[[I]] dim = 2 keepdim : tensor<2x3x4xi64> -> tensor<2x3x1xi64>
// CHECK: ember.argmax %[[B]] dim = 0 : tensor<5xi8> -> tensor<i64>
// CHECK: ember.argmax %[[H]] dim = 1 : tensor<2x3xf16> -> tensor<2xi64>
// CHECK: return %[[A]]
func.func @argmax(%x: tensor<64x10xf32>, %i: tensor<2x3x4xi64>, %b: tensor<5xi8>,
                  %h: tensor<2x3xf16>) -> tensor<64xi64> {
  %0 = ember.argmax %x dim = 1 : tensor<64x10xf32> -> tensor<64xi64>
  %1 = ember.argmax %x dim = 0 keepdim : tensor<64x10xf32> -> tensor<1x10xi64>
  %2 = ember.argmax %i dim = 1 : tensor<2x3x4xi64> -> tensor<2x4xi64>
  %3 = ember.argmax %i dim = 2 keepdim : tensor<2x3x4xi64> -> tensor<2x3x1xi64>
  %4 = ember.argmax %b dim = 0 : tensor<5xi8> -> tensor<i64>
  %5 = ember.argmax %h dim = 1 : tensor<2x3xf16> -> tensor<2xi64>
  return %0 : tensor<64xi64>
}

//===----------------------------------------------------------------------===//
// Comparisons: ember.eq, ne, lt, le, gt, ge
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @compare
// CHECK-SAME: (%[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4x8xf32>, %[[I:.*]]: tensor<64xi64>, %[[U:.*]]: tensor<3xi8>, %[[P:.*]]: tensor<2xi1>, %[[S:.*]]: tensor<f64>)
// CHECK: %[[EQ:.*]] = ember.eq %[[A]], %[[B]] : tensor<4x8xf32> -> tensor<4x8xi1>
// CHECK: ember.ne %[[A]], %[[B]] : tensor<4x8xf32> -> tensor<4x8xi1>
// CHECK: ember.lt %[[I]], %[[I]] : tensor<64xi64> -> tensor<64xi1>
// CHECK: ember.le %[[U]], %[[U]] : tensor<3xi8> -> tensor<3xi1>
// CHECK: ember.gt %[[P]], %[[P]] : tensor<2xi1> -> tensor<2xi1>
// CHECK: ember.ge %[[S]], %[[S]] : tensor<f64> -> tensor<i1>
// CHECK: return %[[EQ]]
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

//===----------------------------------------------------------------------===//
// ember.select
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @select
// CHECK-SAME: (%[[C:.*]]: tensor<4x8xi1>, %[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4x8xf32>, %[[I:.*]]: tensor<4x8xi64>, %[[SC:.*]]: tensor<i1>, %[[SB:.*]]: tensor<i1>)
// CHECK: %[[R:.*]] = ember.select %[[C]], %[[A]], %[[B]] : tensor<4x8xi1>, tensor<4x8xf32>
// CHECK: ember.select %[[C]], %[[I]], %[[I]] : tensor<4x8xi1>, tensor<4x8xi64>
// CHECK: ember.select %[[SC]], %[[SB]], %[[SC]] : tensor<i1>, tensor<i1>
// CHECK: return %[[R]]
func.func @select(%c: tensor<4x8xi1>, %a: tensor<4x8xf32>, %b: tensor<4x8xf32>,
                  %i: tensor<4x8xi64>, %sc: tensor<i1>, %sb: tensor<i1>) -> tensor<4x8xf32> {
  %0 = ember.select %c, %a, %b : tensor<4x8xi1>, tensor<4x8xf32>
  %1 = ember.select %c, %i, %i : tensor<4x8xi1>, tensor<4x8xi64>
  %2 = ember.select %sc, %sb, %sc : tensor<i1>, tensor<i1>
  return %0 : tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// ember.cast
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @cast
// CHECK-SAME: (%[[M:.*]]: tensor<64xi1>, %[[X:.*]]: tensor<2x3xf32>, %[[I:.*]]: tensor<2x3xi64>, %[[B:.*]]: tensor<5xi8>, %[[S:.*]]: tensor<f64>)
// CHECK: %[[F:.*]] = ember.cast %[[M]] : tensor<64xi1> -> tensor<64xf32>
// CHECK: ember.cast %[[X]] : tensor<2x3xf32> -> tensor<2x3xi64>
// CHECK: ember.cast %[[I]] : tensor<2x3xi64> -> tensor<2x3xbf16>
// CHECK: ember.cast %[[B]] : tensor<5xi8> -> tensor<5xi32>
// CHECK: ember.cast %[[S]] : tensor<f64> -> tensor<f16>
// CHECK: ember.cast %[[X]] : tensor<2x3xf32> -> tensor<2x3xi1>
// CHECK: ember.cast %[[X]] : tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK: return %[[F]]
func.func @cast(%m: tensor<64xi1>, %x: tensor<2x3xf32>, %i: tensor<2x3xi64>, %b: tensor<5xi8>,
                %s: tensor<f64>) -> tensor<64xf32> {
  %0 = ember.cast %m : tensor<64xi1> -> tensor<64xf32>
  %1 = ember.cast %x : tensor<2x3xf32> -> tensor<2x3xi64>
  %2 = ember.cast %i : tensor<2x3xi64> -> tensor<2x3xbf16>
  %3 = ember.cast %b : tensor<5xi8> -> tensor<5xi32>
  %4 = ember.cast %s : tensor<f64> -> tensor<f16>
  %5 = ember.cast %x : tensor<2x3xf32> -> tensor<2x3xi1>
  %6 = ember.cast %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @linear_relu
// CHECK-SAME:    (%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<2x8xf32>, %[[B:.*]]: tensor<2xf32>)
// CHECK:         ember.linear_relu %[[X]], %[[W]], %[[B]] : (tensor<4x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK:         ember.linear_relu %[[X]], %[[W]] : (tensor<4x8xf32>, tensor<2x8xf32>) -> tensor<4x2xf32>
func.func @linear_relu(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>, %b: tensor<2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %0 = ember.linear_relu %x, %w, %b : (tensor<4x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %1 = ember.linear_relu %x, %w : (tensor<4x8xf32>, tensor<2x8xf32>) -> tensor<4x2xf32>
  return %0, %1 : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// CHECK-LABEL: func.func @conv2d
// CHECK-SAME:    (%[[X:.*]]: tensor<2x4x9x9xf32>, %[[W:.*]]: tensor<6x2x3x3xf32>, %[[B:.*]]: tensor<6xf32>, %[[DY:.*]]: tensor<2x6x5x5xf32>)
// CHECK:         ember.conv2d %[[X]], %[[W]], %[[B]] stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 2 : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x5x5xf32>
// CHECK:         ember.conv2d %[[X]], %[[W]] stride = [1, 2] padding = [0, 1] dilation = [2, 1] groups = 2 : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>) -> tensor<2x6x5x5xf32>
// CHECK:         ember.conv2d_grad_input %[[DY]], %[[W]] stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 2 : (tensor<2x6x5x5xf32>, tensor<6x2x3x3xf32>) -> tensor<2x4x9x9xf32>
// CHECK:         ember.conv2d_grad_weight %[[X]], %[[DY]] stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 2 : (tensor<2x4x9x9xf32>, tensor<2x6x5x5xf32>) -> tensor<6x2x3x3xf32>
func.func @conv2d(%x: tensor<2x4x9x9xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>, %dy: tensor<2x6x5x5xf32>) -> (tensor<2x6x5x5xf32>, tensor<2x6x5x5xf32>, tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>) {
  %0 = ember.conv2d %x, %w, %b stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 2 : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x5x5xf32>
  %1 = ember.conv2d %x, %w stride = [1, 2] padding = [0, 1] dilation = [2, 1] groups = 2 : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>) -> tensor<2x6x5x5xf32>
  %2 = ember.conv2d_grad_input %dy, %w stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 2 : (tensor<2x6x5x5xf32>, tensor<6x2x3x3xf32>) -> tensor<2x4x9x9xf32>
  %3 = ember.conv2d_grad_weight %x, %dy stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 2 : (tensor<2x4x9x9xf32>, tensor<2x6x5x5xf32>) -> tensor<6x2x3x3xf32>
  return %0, %1, %2, %3 : tensor<2x6x5x5xf32>, tensor<2x6x5x5xf32>, tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>
}

// -----

// CHECK-LABEL: func.func @conv2d_relu
// CHECK-SAME:    (%[[X:.*]]: tensor<2x4x9x9xf32>, %[[W:.*]]: tensor<6x2x3x3xf32>, %[[B:.*]]: tensor<6xf32>)
// CHECK:         ember.conv2d_relu %[[X]], %[[W]], %[[B]] stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 2 : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x5x5xf32>
// CHECK:         ember.conv2d_relu %[[X]], %[[W]] stride = [1, 2] padding = [0, 1] dilation = [2, 1] groups = 2 : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>) -> tensor<2x6x5x5xf32>
func.func @conv2d_relu(%x: tensor<2x4x9x9xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> (tensor<2x6x5x5xf32>, tensor<2x6x5x5xf32>) {
  %0 = ember.conv2d_relu %x, %w, %b stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 2 : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x5x5xf32>
  %1 = ember.conv2d_relu %x, %w stride = [1, 2] padding = [0, 1] dilation = [2, 1] groups = 2 : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>) -> tensor<2x6x5x5xf32>
  return %0, %1 : tensor<2x6x5x5xf32>, tensor<2x6x5x5xf32>
}

// -----

// CHECK-LABEL: func.func @max_pool2d
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x9x9xf32>, %[[DY:.*]]: tensor<2x3x5x5xf32>)
// CHECK:         ember.max_pool2d %[[X]] kernel = [3, 3] stride = [2, 2] padding = [1, 1] dilation = [1, 1] : tensor<2x3x9x9xf32> -> tensor<2x3x5x5xf32>
// CHECK:         ember.max_pool2d_grad %[[DY]], %[[X]] kernel = [3, 3] stride = [2, 2] padding = [1, 1] dilation = [1, 1] : (tensor<2x3x5x5xf32>, tensor<2x3x9x9xf32>) -> tensor<2x3x9x9xf32>
func.func @max_pool2d(%x: tensor<2x3x9x9xf32>, %dy: tensor<2x3x5x5xf32>) -> (tensor<2x3x5x5xf32>, tensor<2x3x9x9xf32>) {
  %0 = ember.max_pool2d %x kernel = [3, 3] stride = [2, 2] padding = [1, 1] dilation = [1, 1] : tensor<2x3x9x9xf32> -> tensor<2x3x5x5xf32>
  %1 = ember.max_pool2d_grad %dy, %x kernel = [3, 3] stride = [2, 2] padding = [1, 1] dilation = [1, 1] : (tensor<2x3x5x5xf32>, tensor<2x3x9x9xf32>) -> tensor<2x3x9x9xf32>
  return %0, %1 : tensor<2x3x5x5xf32>, tensor<2x3x9x9xf32>
}

// -----

// CHECK-LABEL: func.func @random_uniform
// CHECK:         ember.random_uniform %{{.*}}, %{{.*}} : (tensor<i64>, tensor<i64>) -> tensor<4x5xf32>
func.func @random_uniform(%seed: tensor<i64>, %offset: tensor<i64>) -> tensor<4x5xf32> {
  %0 = ember.random_uniform %seed, %offset : (tensor<i64>, tensor<i64>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

// CHECK-LABEL: func.func @all_reduce
// CHECK:         %[[A:.*]] = ember.all_reduce %{{.*}} : tensor<7xf32>
// CHECK:         ember.all_reduce %[[A]] : tensor<7xf32>
// CHECK:         ember.all_reduce %{{.*}} : tensor<f64>
func.func @all_reduce(%g: tensor<7xf32>, %s: tensor<f64>) -> (tensor<7xf32>, tensor<f64>) {
  %0 = ember.all_reduce %g : tensor<7xf32>
  %1 = "ember.all_reduce"(%0) : (tensor<7xf32>) -> tensor<7xf32>
  %2 = ember.all_reduce %s : tensor<f64>
  return %1, %2 : tensor<7xf32>, tensor<f64>
}
