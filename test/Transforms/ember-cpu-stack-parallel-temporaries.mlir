// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-stack-parallel-temporaries))' | FileCheck %s

// A panel's packing buffer, directly in a parallel loop's body: on the stack.
// CHECK-LABEL: func.func @panel
// CHECK:         scf.forall
// CHECK:           memref.alloca() {alignment = 64 : i64} : memref<784x32xf32>
// CHECK-NOT:       memref.alloc(
// CHECK-NOT:       memref.dealloc
func.func @panel(%out: memref<16x784x32xf32>) {
  scf.forall (%i) in (16) {
    %t = memref.alloc() {alignment = 64 : i64} : memref<784x32xf32>
    %v = memref.subview %out[%i, 0, 0] [1, 784, 32] [1, 1, 1] : memref<16x784x32xf32> to memref<784x32xf32, strided<[32, 1], offset: ?>>
    memref.copy %t, %v : memref<784x32xf32> to memref<784x32xf32, strided<[32, 1], offset: ?>>
    memref.dealloc %t : memref<784x32xf32>
  }
  return
}

// -----

// Must not fire: outside a parallel loop; too large (over 256 KiB); dynamic;
// inside a sequential loop nested in the parallel one (an alloca there
// would grow the stack every inner iteration).
// CHECK-LABEL: func.func @left_alone
// CHECK:         memref.alloc() : memref<8xf32>
// CHECK:         scf.forall
// CHECK:           memref.alloc() : memref<1024x128xf32>
// CHECK:           memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:           scf.for
// CHECK:             memref.alloc() : memref<4xf32>
// CHECK-NOT:     memref.alloca
func.func @left_alone(%n: index, %out: memref<8xf32>) {
  %top = memref.alloc() : memref<8xf32>
  memref.copy %top, %out : memref<8xf32> to memref<8xf32>
  memref.dealloc %top : memref<8xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.forall (%i) in (4) {
    %big = memref.alloc() : memref<1024x128xf32>
    memref.dealloc %big : memref<1024x128xf32>
    %dyn = memref.alloc(%n) : memref<?xf32>
    memref.dealloc %dyn : memref<?xf32>
    scf.for %j = %c0 to %c4 step %c1 {
      %inner = memref.alloc() : memref<4xf32>
      memref.dealloc %inner : memref<4xf32>
    }
  }
  return
}
