// RUN: ember-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ember-read-only-arguments))' | FileCheck %s
// RUN: ember-opt %s -split-input-file --ember-to-linalg-pipeline --ember-cpu-bufferize-pipeline | FileCheck %s --check-prefix=BUF

// Every tensor argument of a function with a body is read-only for
// bufferization; other arguments and declarations are left alone.
// CHECK-LABEL: func.func @marks
// CHECK-SAME: (%{{.*}}: tensor<4xf32> {bufferization.writable = false}, %{{.*}}: index, %{{.*}}: tensor<2x3xf32> {bufferization.writable = false})
// CHECK-LABEL: func.func private @external
// CHECK-SAME: (tensor<4xf32>)
func.func @marks(%a: tensor<4xf32>, %i: index, %b: tensor<2x3xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
func.func private @external(tensor<4xf32>)

// -----

// Why: a box written into an input is written into a copy, never into the
// caller's buffer (a slice_scatter of a leaf tensor, as index_put_ records).
// BUF-LABEL: func.func @scatter_into_input
// BUF-SAME: (%[[D:[a-z0-9]+]]: memref<4x6xf32>, %[[S:[a-z0-9]+]]: memref<2x6xf32>, %[[OUT:[a-z0-9]+]]: memref<4x6xf32>)
// BUF-NOT: memref.subview %[[D]]
// BUF: memref.copy %[[D]], %[[OUT]]
// BUF: %[[V:.*]] = memref.subview %[[OUT]][1, 0] [2, 6] [1, 1]
// BUF: memref.copy %[[S]], %[[V]]
func.func @scatter_into_input(%d: tensor<4x6xf32>, %s: tensor<2x6xf32>) -> tensor<4x6xf32> {
  %0 = ember.slice_scatter %d, %s offsets = [1, 0] strides = [1, 1] : (tensor<4x6xf32>, tensor<2x6xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}
