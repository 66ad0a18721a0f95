// RUN: ember-opt %s --ember-cpu-pipeline | FileCheck %s --check-prefix=LLVM
// RUN: ember-opt %s --ember-cpu-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=IR

// Large kernels run on threads: the Quickstart's first layer, its weight
// transpose packed into the product's column panels, becomes one OpenMP
// region whose thread count comes from the runtime, each panel's
// temporary on the thread's stack (ember-cpu-stack-parallel-temporaries: no
// heap allocation an OpenMP thread could be refused), freed per iteration;
// the small classifier (and its transpose) stays serial.

// LLVM-LABEL: llvm.func @ember_num_threads() -> i32
// LLVM-LABEL: llvm.func @layers
// LLVM:         %[[N0:.*]] = llvm.call @ember_num_threads() : () -> i32
// LLVM-NEXT:    omp.parallel num_threads(%[[N0]] : i32)
// LLVM:         omp.wsloop
// LLVM:         %[[SP:.*]] = llvm.intr.stacksave
// LLVM-NOT:     _mlir_memref_to_llvm_alloc
// LLVM:         llvm.alloca %{{.*}} x f32 {alignment = 64 : i64}
// LLVM-NOT:     _mlir_memref_to_llvm_alloc
// LLVM:         llvm.intr.stackrestore %[[SP]]
// LLVM-NOT:     _mlir_memref_to_llvm_alloc
// LLVM:         omp.terminator
// LLVM-NOT:     omp.parallel
// LLVM:         llvm.return

// IR-LABEL: define void @layers
// IR-COUNT-1: call void {{.*}}@__kmpc_fork_call
// IR-NOT:     __kmpc_fork_call
// IR:         ret void
func.func @layers(%x: tensor<64x784xf32>, %w1: tensor<512x784xf32>, %b1: tensor<512xf32>,
                  %w2: tensor<10x512xf32>, %b2: tensor<10xf32>) -> tensor<64x10xf32> {
  %h = ember.linear_relu %x, %w1, %b1 : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
  %y = ember.linear %h, %w2, %b2 : (tensor<64x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<64x10xf32>
  return %y : tensor<64x10xf32>
}
