// ember.all_reduce in a GPU graph: the host plan sums the buffer in place
// between the kernels that write and read it (an `allreduce` step, which the
// runtime hands to the collective backend: NCCL). Nothing folds across it:
// the copy of an argument it sums stays a kernel of its own before it, and
// the reader reads the summed buffer, not the argument.
// RUN: rm -rf %t && split-file %s %t
// RUN: graphc %t/grads.mlir --target=cuda --emit=artifact -o - | FileCheck %s --check-prefix=GRADS
// RUN: graphc %t/arg.mlir --target=cuda --emit=artifact -o - | FileCheck %s --check-prefix=ARG
// RUN: graphc %t/arg.mlir --target=cuda --emit=gpu-kernels | FileCheck %s --check-prefix=ARGIR

// GRADS:      ember-gpu-plan 2
// GRADS-NEXT: args 3
// GRADS:      launch 0 1 1 1 256 1 1 3 b0 b1 b2
// GRADS-NEXT: allreduce 2 42 float32
// GRADS-NEXT: launch 1 1 1 1 256 1 1 1 b2
// GRADS-NEXT: allreduce 2 42 float32
// GRADS-NEXT: end

// ARG:        args 2
// ARG:        alloc 2 120
// ARG-NEXT:   launch 0 1 1 1 256 1 1 2 b0 b2
// ARG-NEXT:   allreduce 2 15 float64
// ARG-NEXT:   launch 1 1 1 1 256 1 1 3 b2 b0 b1
// ARG-NEXT:   free 2
// ARG-NEXT:   end

// ARGIR-LABEL: func.func @arg
// ARGIR:       %[[T:.*]] = memref.alloc
// ARGIR:       gpu.launch_func @arg_kernel::@arg_kernel {{.*}} args(%arg0 : memref<3x5xf64>, %[[T]] : memref<3x5xf64>)
// ARGIR:       call @ember_all_reduce_f64
// ARGIR:       gpu.launch_func @arg_kernel::@arg_kernel_0 {{.*}} args(%[[T]] : memref<3x5xf64>, %arg0 : memref<3x5xf64>, %arg1 : memref<3x5xf64>)

//--- grads.mlir
func.func @grads(%a: tensor<6x7xf32>, %b: tensor<6x7xf32>) -> tensor<6x7xf32> {
  %g = ember.mul %a, %b : tensor<6x7xf32>
  %s = ember.all_reduce %g : tensor<6x7xf32>
  %h = ember.mul %s, %s : tensor<6x7xf32>
  %t = ember.all_reduce %h : tensor<6x7xf32>
  return %t : tensor<6x7xf32>
}

//--- arg.mlir
func.func @arg(%a: tensor<3x5xf64>) -> tensor<3x5xf64> {
  %s = ember.all_reduce %a : tensor<3x5xf64>
  %t = ember.add %s, %a : tensor<3x5xf64>
  return %t : tensor<3x5xf64>
}
