// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-gpu-wrap-sequential))' | FileCheck %s

// Fires: scalar work (a sum to a rank-0 buffer, then arithmetic on it) has
// no parallel loop; it moves into one of a single iteration. Allocation,
// constants and the existing parallel loop stay.
// CHECK-LABEL: func.func @scalar_work
// CHECK:         memref.alloc
// CHECK:         scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c4{{.*}}) step
// CHECK:         scf.parallel (%{{.*}}) = (%[[Z:.*]]) to (%[[O:.*]]) step (%[[O]])
// CHECK:           memref.store
// CHECK:           scf.for
// CHECK:           memref.load
// CHECK:           arith.mulf
// CHECK:           memref.store
// CHECK:         memref.dealloc
// CHECK:         return
func.func @scalar_work(%x: memref<4xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %t = memref.alloc() : memref<4xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %v = memref.load %x[%i] : memref<4xf32>
    memref.store %v, %t[%i] : memref<4xf32>
    scf.reduce
  }
  memref.store %zero, %out[] : memref<f32>
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %t[%i] : memref<4xf32>
    %acc = memref.load %out[] : memref<f32>
    %s = arith.addf %acc, %v : f32
    memref.store %s, %out[] : memref<f32>
  }
  %r = memref.load %out[] : memref<f32>
  %m = arith.mulf %r, %two : f32
  memref.store %m, %out[] : memref<f32>
  memref.dealloc %t : memref<4xf32>
  return
}

// -----

// Must not fire: only parallel loops and memory management.
// CHECK-LABEL: func.func @already_parallel
// CHECK-COUNT-1: scf.parallel
// CHECK-NOT:     scf.parallel
func.func @already_parallel(%x: memref<4xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %v = memref.load %x[%i] : memref<4xf32>
    memref.store %v, %y[%i] : memref<4xf32>
    scf.reduce
  }
  memref.copy %x, %y : memref<4xf32> to memref<4xf32>
  return
}

// -----

// Must not fire on a run whose value is used after it (the load, whose
// result the store after the allocation reads): it stays on the host, where
// plan extraction reports it.
// CHECK-LABEL: func.func @escaping_value
// CHECK-NOT:     scf.parallel
// CHECK:         memref.load
// CHECK-NEXT:    memref.alloc
func.func @escaping_value(%x: memref<f32>, %y: memref<f32>) {
  %v = memref.load %x[] : memref<f32>
  %alloc = memref.alloc() : memref<f32>
  memref.store %v, %y[] : memref<f32>
  memref.dealloc %alloc : memref<f32>
  return
}
