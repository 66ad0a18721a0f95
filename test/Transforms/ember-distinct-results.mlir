// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-distinct-results))' | FileCheck %s
// RUN: ember-opt %s -split-input-file --ember-cpu-pipeline | FileCheck %s --check-prefix=PIPE

// A value returned twice: the second use gets its own copy.
// CHECK-LABEL: func.func @twice
// CHECK:         %[[V:.*]] = linalg.generic
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK:         %[[C:.*]] = linalg.copy ins(%[[V]] : tensor<4xf32>) outs(%[[E]] : tensor<4xf32>)
// CHECK:         return %[[V]], %[[C]]
// PIPE-LABEL:  llvm.func @twice(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
func.func @twice(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = ember.relu %x : tensor<4xf32>
  %1 = ember.relu %x : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4xf32>
  return %g, %g : tensor<4xf32>, tensor<4xf32>
}

// -----

// Must not fire: distinct values, and function arguments (returned twice).
// CHECK-LABEL: func.func @distinct
// CHECK-NOT:     linalg.copy
// CHECK:         return %arg0, %arg0, %arg1
// PIPE-LABEL:  llvm.func @distinct
func.func @distinct(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  return %x, %x, %y : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// The case that CSE creates from two identical requested results.
// PIPE-LABEL:  llvm.func @merged
// PIPE-COUNT-2: llvm.store
func.func @merged(%x: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = ember.neg %x : tensor<f32>
  %1 = ember.neg %x : tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}
