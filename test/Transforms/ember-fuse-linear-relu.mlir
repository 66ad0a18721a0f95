// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fuse-linear-relu))' | FileCheck %s

// Fires: the linear's only user is the relu.
// CHECK-LABEL: func.func @fuse
// CHECK-SAME:    (%[[X:.*]]: tensor<64x784xf32>, %[[W:.*]]: tensor<512x784xf32>, %[[B:.*]]: tensor<512xf32>)
// CHECK:         %[[R:.*]] = ember.linear_relu %[[X]], %[[W]], %[[B]] : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
// CHECK-NOT:     ember.linear %
// CHECK-NOT:     ember.relu
// CHECK:         return %[[R]]
func.func @fuse(%x: tensor<64x784xf32>, %w: tensor<512x784xf32>, %b: tensor<512xf32>) -> tensor<64x512xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
  %1 = ember.relu %0 : tensor<64x512xf32>
  return %1 : tensor<64x512xf32>
}

// -----

// Fires without a bias too.
// CHECK-LABEL: func.func @fuse_no_bias
// CHECK:         ember.linear_relu %{{.*}}, %{{.*}} : (tensor<4x8xf64>, tensor<2x8xf64>) -> tensor<4x2xf64>
func.func @fuse_no_bias(%x: tensor<4x8xf64>, %w: tensor<2x8xf64>) -> tensor<4x2xf64> {
  %0 = ember.linear %x, %w : (tensor<4x8xf64>, tensor<2x8xf64>) -> tensor<4x2xf64>
  %1 = ember.relu %0 : tensor<4x2xf64>
  return %1 : tensor<4x2xf64>
}

// -----

// Must not fire: the pre-activation is also returned.
// CHECK-LABEL: func.func @linear_used_twice
// CHECK:         %[[L:.*]] = ember.linear
// CHECK:         %[[R:.*]] = ember.relu %[[L]]
// CHECK-NOT:     ember.linear_relu
// CHECK:         return %[[R]], %[[L]]
func.func @linear_used_twice(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %0 = ember.linear %x, %w : (tensor<4x8xf32>, tensor<2x8xf32>) -> tensor<4x2xf32>
  %1 = ember.relu %0 : tensor<4x2xf32>
  return %1, %0 : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// Must not fire: the relu's input is not a linear (a matmul, an add).
// CHECK-LABEL: func.func @not_a_linear
// CHECK:         ember.matmul
// CHECK:         ember.relu
// CHECK:         ember.add
// CHECK:         ember.relu
// CHECK-NOT:     ember.linear_relu
func.func @not_a_linear(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>) -> (tensor<4x2xf32>, tensor<4x8xf32>) {
  %0 = ember.matmul %x, %w : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  %1 = ember.relu %0 : tensor<4x2xf32>
  %2 = ember.add %x, %x : tensor<4x8xf32>
  %3 = ember.relu %2 : tensor<4x8xf32>
  return %1, %3 : tensor<4x2xf32>, tensor<4x8xf32>
}

// -----

// Two layers: both fuse (the Quickstart's stack).
// CHECK-LABEL: func.func @stack
// CHECK-COUNT-2: ember.linear_relu
// CHECK:         ember.linear %
func.func @stack(%x: tensor<64x784xf32>, %w1: tensor<512x784xf32>, %b1: tensor<512xf32>, %w2: tensor<512x512xf32>, %b2: tensor<512xf32>, %w3: tensor<10x512xf32>, %b3: tensor<10xf32>) -> tensor<64x10xf32> {
  %0 = ember.linear %x, %w1, %b1 : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
  %1 = ember.relu %0 : tensor<64x512xf32>
  %2 = ember.linear %1, %w2, %b2 : (tensor<64x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<64x512xf32>
  %3 = ember.relu %2 : tensor<64x512xf32>
  %4 = ember.linear %3, %w3, %b3 : (tensor<64x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<64x10xf32>
  return %4 : tensor<64x10xf32>
}
