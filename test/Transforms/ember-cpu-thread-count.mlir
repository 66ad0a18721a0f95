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
