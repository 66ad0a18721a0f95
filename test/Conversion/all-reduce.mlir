// RUN: ember-opt %s --split-input-file --convert-ember-to-linalg \
// RUN:   | FileCheck %s --check-prefix=LINALG
// RUN: ember-opt %s --split-input-file --ember-to-linalg-pipeline \
// RUN:   --ember-cpu-bufferize-pipeline | FileCheck %s --check-prefix=BUF
// RUN: ember-opt %s --split-input-file --ember-cpu-pipeline \
// RUN:   | FileCheck %s --check-prefix=LLVM

// ember.all_reduce survives the lowering to linalg (nothing there
// communicates), with the runtime function it will call declared once per
// element type. Once bufferized, a fresh buffer is summed in place: the call
// gets its address (a memref<1xf32> view, the bare-pointer ABI) and the
// element count, and the consumer reads the same buffer (here the output:
// nothing is copied).

// LINALG-LABEL: module
// LINALG: func.func private @ember_all_reduce_f32(memref<1xf32>, i64)
// LINALG-NOT: func.func private @ember_all_reduce_f32
// LINALG-LABEL: func.func @grads
// LINALG: %[[G:.*]] = linalg.generic
// LINALG: %[[S:.*]] = ember.all_reduce %[[G]] : tensor<6x7xf32>
// LINALG: ember.all_reduce %{{.*}} : tensor<6x7xf32>

// BUF-LABEL: func.func @grads
// BUF-SAME: %[[OUT:[a-z0-9]+]]: memref<6x7xf32>)
// BUF-NOT: memref.alloc
// BUF-NOT: memref.copy
// BUF: %[[N:.*]] = arith.constant 42 : i64
// BUF: linalg.generic {{.*}} outs(%[[OUT]] : memref<6x7xf32>)
// BUF: %[[P:.*]] = memref.reinterpret_cast %[[OUT]] to offset: [0], sizes: [1], strides: [1] : memref<6x7xf32> to memref<1xf32>
// BUF: call @ember_all_reduce_f32(%[[P]], %[[N]]) : (memref<1xf32>, i64) -> ()
// BUF: linalg.generic {{.*}} ins(%[[OUT]] : memref<6x7xf32>) outs(%[[OUT]] : memref<6x7xf32>)
// BUF: call @ember_all_reduce_f32(%[[P]], %[[N]])
// BUF-NEXT: return

// LLVM: llvm.func @ember_all_reduce_f32(!llvm.ptr, i64)
// LLVM: llvm.call @ember_all_reduce_f32(%{{.*}}, %{{.*}}) : (!llvm.ptr, i64) -> ()
// LLVM: llvm.call @ember_all_reduce_f32(%{{.*}}, %{{.*}}) : (!llvm.ptr, i64) -> ()
func.func @grads(%a: tensor<6x7xf32>, %b: tensor<6x7xf32>) -> tensor<6x7xf32> {
  %g = ember.mul %a, %b : tensor<6x7xf32>
  %s = ember.all_reduce %g : tensor<6x7xf32>
  %h = ember.mul %s, %s : tensor<6x7xf32>
  // Not merged with the first: each all_reduce communicates.
  %t = ember.all_reduce %h : tensor<6x7xf32>
  return %t : tensor<6x7xf32>
}

// -----

// The caller's buffers are not written: an argument (or a view of one) is
// summed in a copy (ember-read-only-arguments makes the analysis copy it).
// f64 has its own entry point.

// LINALG-LABEL: module
// LINALG: func.func private @ember_all_reduce_f64(memref<1xf64>, i64)
// LINALG-NOT: @ember_all_reduce_f32

// BUF-LABEL: func.func @argument
// BUF-SAME: (%[[ARG:.*]]: memref<3x5xf64>
// BUF: %[[V:.*]] = memref.collapse_shape %[[ARG]]
// BUF: %[[C:.*]] = memref.alloc() {{.*}}: memref<15xf64>
// BUF: memref.copy %[[V]], %[[C]]
// BUF: %[[P:.*]] = memref.reinterpret_cast %[[C]]
// BUF: call @ember_all_reduce_f64(%[[P]], %{{.*}}) : (memref<1xf64>, i64) -> ()
// BUF: ins(%[[C]]

// LLVM-LABEL: llvm.func @ember_all_reduce_f64(!llvm.ptr, i64)
func.func @argument(%g: tensor<3x5xf64>) -> tensor<15xf64> {
  %f = ember.reshape %g : tensor<3x5xf64> -> tensor<15xf64>
  %s = ember.all_reduce %f : tensor<15xf64>
  %r = ember.neg %s : tensor<15xf64>
  return %r : tensor<15xf64>
}

// -----

// A graph without all_reduce declares nothing.

// LINALG-LABEL: module
// LINALG-NOT: ember_all_reduce
// LINALG: func.func @none
func.func @none(%a: tensor<4xf32>) -> tensor<4xf32> {
  %r = ember.neg %a : tensor<4xf32>
  return %r : tensor<4xf32>
}
