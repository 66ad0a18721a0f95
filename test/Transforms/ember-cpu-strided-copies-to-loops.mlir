// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-strided-copies-to-loops))' | FileCheck %s
// RUN: ember-opt %s -split-input-file --ember-cpu-to-llvm-pipeline | FileCheck %s --check-prefix=LLVM --implicit-check-not=memrefCopy

// A copy into part of a larger buffer (a tensor inserted into a slice of
// another, bufferized) is not contiguous: it becomes a linalg.copy, which
// the CPU pipeline makes loops, not a call of MLIR's memrefCopy (which
// Ember's runtime does not have: the graph would not load).
// CHECK-LABEL: func.func @into_strided_subview
// CHECK:         linalg.copy ins(%{{.*}} : memref<1x1x4x4xf32>) outs(%{{.*}} : memref<1x1x4x4xf32, strided<[20, 20, 5, 1]>>)
// CHECK-NOT:     memref.copy
// LLVM-LABEL:  llvm.func @into_strided_subview
// LLVM:          llvm.store
func.func @into_strided_subview(%src: memref<1x1x4x4xf32>, %dst: memref<1x1x4x5xf32>) {
  %sv = memref.subview %dst[0, 0, 0, 0] [1, 1, 4, 4] [1, 1, 1, 1] : memref<1x1x4x5xf32> to memref<1x1x4x4xf32, strided<[20, 20, 5, 1]>>
  memref.copy %src, %sv : memref<1x1x4x4xf32> to memref<1x1x4x4xf32, strided<[20, 20, 5, 1]>>
  return
}

// -----

// Must not fire: a copy into a contiguous part (whole rows) stays a
// memref.copy, a memcpy.
// CHECK-LABEL: func.func @into_contiguous_subview
// CHECK:         memref.copy
// CHECK-NOT:     linalg.copy
// LLVM-LABEL:  llvm.func @into_contiguous_subview
// LLVM:          "llvm.intr.memcpy"
func.func @into_contiguous_subview(%src: memref<8x32xf32>, %dst: memref<16x32xf32>) {
  %sv = memref.subview %dst[8, 0] [8, 32] [1, 1] : memref<16x32xf32> to memref<8x32xf32, strided<[32, 1], offset: 256>>
  memref.copy %src, %sv : memref<8x32xf32> to memref<8x32xf32, strided<[32, 1], offset: 256>>
  return
}
