// RUN: ember-opt %s -split-input-file -verify-diagnostics --ember-cpu-thread-count | FileCheck %s

// Every omp.parallel without num_threads asks the runtime, once per region
// entry; the declaration is added once.
// CHECK-LABEL: module
// CHECK:         func.func private @ember_num_threads() -> i32
// CHECK-NOT:     func.func private @ember_num_threads
// CHECK-LABEL:   func.func @two_regions
// CHECK:           %[[N0:.*]] = call @ember_num_threads() : () -> i32
// CHECK-NEXT:      omp.parallel num_threads(%[[N0]] : i32)
// CHECK:           %[[N1:.*]] = call @ember_num_threads() : () -> i32
// CHECK-NEXT:      omp.parallel num_threads(%[[N1]] : i32)
func.func @two_regions() {
  omp.parallel {
    omp.terminator
  }
  omp.parallel {
    omp.terminator
  }
  return
}

// -----

// Must not fire: a region that already has a thread count keeps it, and a
// module with no other region gets no declaration.
// CHECK-LABEL: module
// CHECK-NOT:     ember_num_threads
// CHECK:         %[[C4:.*]] = arith.constant 4 : i32
// CHECK:         omp.parallel num_threads(%[[C4]] : i32)
func.func @explicit_count() {
  %c4 = arith.constant 4 : i32
  omp.parallel num_threads(%c4 : i32) {
    omp.terminator
  }
  return
}

// -----

// Must not fire: no parallel region, no declaration.
// CHECK-LABEL: module
// CHECK-NOT:     ember_num_threads
func.func @serial() {
  return
}

// -----

// An existing declaration with the right type is reused.
// CHECK-LABEL: module
// CHECK-COUNT-1: func.func private @ember_num_threads() -> i32
// CHECK:         call @ember_num_threads()
func.func private @ember_num_threads() -> i32
func.func @reuse() {
  omp.parallel {
    omp.terminator
  }
  return
}

// -----

// A user symbol of that name with another type is an error, not a
// miscompile.
// expected-error @+1 {{'ember_num_threads' is declared with the wrong type}}
module {
  func.func private @ember_num_threads() -> i64
  func.func @clash() {
    omp.parallel {
      omp.terminator
    }
    return
  }
}

// -----

// Ember's threads take a loop's iterations as they come and do not wait
// for each other at the end: the worksharing loop becomes dynamically
// scheduled and loses its barrier (nowait), in a region with an explicit
// thread count too.
// CHECK-LABEL: func.func @worksharing_loop
// CHECK:         omp.parallel num_threads(%{{.*}} : i32) {
// CHECK-NEXT:      omp.wsloop nowait schedule(dynamic) {
// CHECK:         omp.parallel num_threads(%{{.*}} : i32) {
// CHECK-NEXT:      omp.wsloop nowait schedule(dynamic) {
func.func @worksharing_loop(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : i32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel num_threads(%c2 : i32) {
    omp.wsloop schedule(static) {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// A region with work after its loop would need a barrier the runtime does
// not have: an error, not a race.
func.func @work_after_the_loop(%n: index, %m: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  // expected-error @+1 {{cannot run this parallel region on Ember's threads: it must hold one worksharing loop}}
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        omp.yield
      }
    }
    memref.store %f, %m[%c0] : memref<1xf32>
    omp.terminator
  }
  return
}

// -----

// So would a barrier of its own.
func.func @barrier() {
  // expected-error @+1 {{cannot run this parallel region on Ember's threads}}
  omp.parallel {
    omp.barrier
    omp.terminator
  }
  return
}
