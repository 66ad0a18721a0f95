// RUN: ember-opt %s -ember-compute-half-in-f32 -split-input-file | FileCheck %s

// Ops on f16 and bf16 compute in f32: half operands are cast up, each half
// result is the f32 result cast down (one rounding per op, as PyTorch's CPU
// kernels round).

// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[A:.*]]: tensor<4xf16>, %[[B:.*]]: tensor<4xf16>)
// CHECK: %[[A32:.*]] = ember.cast %[[A]] : tensor<4xf16> -> tensor<4xf32>
// CHECK: %[[B32:.*]] = ember.cast %[[B]] : tensor<4xf16> -> tensor<4xf32>
// CHECK: %[[M:.*]] = ember.mul %[[A32]], %[[B32]] : tensor<4xf32>
// CHECK: %[[M16:.*]] = ember.cast %[[M]] : tensor<4xf32> -> tensor<4xf16>
// The next op reads the rounded product, cast up again.
// CHECK: %[[M32:.*]] = ember.cast %[[M16]] : tensor<4xf16> -> tensor<4xf32>
// CHECK: %[[S:.*]] = ember.add %[[M32]], %{{.*}} : tensor<4xf32>
// CHECK: %[[R:.*]] = ember.cast %[[S]] : tensor<4xf32> -> tensor<4xf16>
// CHECK: return %[[R]]
func.func @elementwise(%a: tensor<4xf16>, %b: tensor<4xf16>) -> tensor<4xf16> {
  %0 = ember.mul %a, %b : tensor<4xf16>
  %1 = ember.add %0, %a : tensor<4xf16>
  return %1 : tensor<4xf16>
}

// -----

// Products and reductions accumulate in f32 and round once; attributes and
// non-half results are kept.
// CHECK-LABEL: func.func @reductions
// CHECK: %[[L:.*]] = ember.linear %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<5x3xf32>) -> tensor<2x5xf32>
// CHECK: ember.cast %[[L]] : tensor<2x5xf32> -> tensor<2x5xbf16>
// CHECK: %[[S:.*]] = ember.sum %{{.*}} dims = [1] : tensor<2x5xf32> -> tensor<2xf32>
// CHECK: ember.cast %[[S]] : tensor<2xf32> -> tensor<2xbf16>
// CHECK: %[[G:.*]] = ember.gt %{{.*}}, %{{.*}} : tensor<2xf32> -> tensor<2xi1>
// CHECK: return %{{.*}}, %[[G]]
func.func @reductions(%x: tensor<2x3xbf16>, %w: tensor<5x3xbf16>, %t: tensor<2xbf16>) -> (tensor<2xbf16>, tensor<2xi1>) {
  %0 = ember.linear %x, %w : (tensor<2x3xbf16>, tensor<5x3xbf16>) -> tensor<2x5xbf16>
  %1 = ember.sum %0 dims = [1] : tensor<2x5xbf16> -> tensor<2xbf16>
  %2 = ember.gt %1, %t : tensor<2xbf16> -> tensor<2xi1>
  return %1, %2 : tensor<2xbf16>, tensor<2xi1>
}

// -----

// Casts between a half type and anything but f32 go through f32; f32 <->
// half and half <-> half casts stay direct.
// CHECK-LABEL: func.func @casts
// CHECK-SAME: (%[[D:.*]]: tensor<3xf64>, %[[H:.*]]: tensor<3xf16>, %[[F:.*]]: tensor<3xf32>)
// CHECK: %[[D32:.*]] = ember.cast %[[D]] : tensor<3xf64> -> tensor<3xf32>
// CHECK: %[[DH:.*]] = ember.cast %[[D32]] : tensor<3xf32> -> tensor<3xf16>
// CHECK: %[[H32:.*]] = ember.cast %[[H]] : tensor<3xf16> -> tensor<3xf32>
// CHECK: %[[HI:.*]] = ember.cast %[[H32]] : tensor<3xf32> -> tensor<3xi64>
// CHECK: %[[HB:.*]] = ember.cast %[[H]] : tensor<3xf16> -> tensor<3xbf16>
// CHECK: %[[FH:.*]] = ember.cast %[[F]] : tensor<3xf32> -> tensor<3xf16>
// CHECK: return %[[DH]], %[[HI]], %[[HB]], %[[FH]]
func.func @casts(%d: tensor<3xf64>, %h: tensor<3xf16>, %f: tensor<3xf32>) -> (tensor<3xf16>, tensor<3xi64>, tensor<3xbf16>, tensor<3xf16>) {
  %0 = ember.cast %d : tensor<3xf64> -> tensor<3xf16>
  %1 = ember.cast %h : tensor<3xf16> -> tensor<3xi64>
  %2 = ember.cast %h : tensor<3xf16> -> tensor<3xbf16>
  %3 = ember.cast %f : tensor<3xf32> -> tensor<3xf16>
  return %0, %1, %2, %3 : tensor<3xf16>, tensor<3xi64>, tensor<3xbf16>, tensor<3xf16>
}

// -----

// Must not fire: no half type anywhere, and half constants stay.
// CHECK-LABEL: func.func @untouched
// CHECK-NEXT: ember.constant dense<1.000000e+00> : tensor<2xf16>
// CHECK-NEXT: ember.add %{{.*}}, %{{.*}} : tensor<2xf32>
// CHECK-NEXT: return
func.func @untouched(%a: tensor<2xf32>) -> (tensor<2xf16>, tensor<2xf32>) {
  %c = ember.constant dense<1.0> : tensor<2xf16>
  %0 = ember.add %a, %a : tensor<2xf32>
  return %c, %0 : tensor<2xf16>, tensor<2xf32>
}
