// RUN: ember-opt %s --ember-cpu-pipeline | FileCheck %s --check-prefix=LLVM
// RUN: ember-opt %s --ember-cpu-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=IR

// Large kernels run on threads: the Quickstart's first layer (and its
// weight transpose) become OpenMP regions whose thread count comes from the
// runtime; the small classifier stays serial.

// LLVM-LABEL: llvm.func @ember_num_threads() -> i32
// LLVM-LABEL: llvm.func @layers
// LLVM:         %[[N0:.*]] = llvm.call @ember_num_threads() : () -> i32
// LLVM-NEXT:    omp.parallel num_threads(%[[N0]] : i32)
// LLVM:         omp.wsloop
// LLVM:         %[[N1:.*]] = llvm.call @ember_num_threads() : () -> i32
// LLVM-NEXT:    omp.parallel num_threads(%[[N1]] : i32)
// LLVM-NOT:     omp.parallel
// LLVM:         llvm.return

// IR-LABEL: define void @layers
// IR-COUNT-2: call void {{.*}}@__kmpc_fork_call
// IR-NOT:     __kmpc_fork_call
// IR:         ret void
func.func @layers(%x: tensor<64x784xf32>, %w1: tensor<512x784xf32>, %b1: tensor<512xf32>,
                  %w2: tensor<10x512xf32>, %b2: tensor<10xf32>) -> tensor<64x10xf32> {
  %h = ember.linear_relu %x, %w1, %b1 : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
  %y = ember.linear %h, %w2, %b2 : (tensor<64x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<64x10xf32>
  return %y : tensor<64x10xf32>
}
