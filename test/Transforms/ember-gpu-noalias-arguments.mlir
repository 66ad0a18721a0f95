// RUN: ember-opt %s --ember-gpu-noalias-arguments | FileCheck %s

// Kernel buffer arguments no other argument of any launch repeats or views
// get llvm.noalias. Must not fire: a buffer and its view (@viewed), a buffer
// repeated by one of two launches (@twice), a kernel launched nowhere.
// CHECK: gpu.func @distinct(%{{.*}}: memref<4xf32> {llvm.noalias}, %{{.*}}: memref<4xf32> {llvm.noalias}) kernel
// CHECK: gpu.func @viewed(%{{.*}}: memref<4xf32> {llvm.noalias}, %{{.*}}: memref<4xf32>, %{{.*}}: memref<2x2xf32>) kernel
// CHECK: gpu.func @twice(%{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32>) kernel
// CHECK: gpu.func @unlaunched(%{{.*}}: memref<4xf32>) kernel
module attributes {gpu.container_module} {
  func.func @f(%a: memref<4xf32>, %b: memref<4xf32>, %c: memref<2x2xf32>) {
    %c1 = arith.constant 1 : index
    %view = memref.collapse_shape %c [[0, 1]] : memref<2x2xf32> into memref<4xf32>
    gpu.launch_func @k::@distinct blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>, %b : memref<4xf32>)
    gpu.launch_func @k::@viewed blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>, %view : memref<4xf32>, %c : memref<2x2xf32>)
    gpu.launch_func @k::@twice blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>, %b : memref<4xf32>)
    gpu.launch_func @k::@twice blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%b : memref<4xf32>, %b : memref<4xf32>)
    return
  }
  gpu.module @k {
    gpu.func @distinct(%x: memref<4xf32>, %y: memref<4xf32>) kernel { gpu.return }
    gpu.func @viewed(%x: memref<4xf32>, %y: memref<4xf32>, %z: memref<2x2xf32>) kernel { gpu.return }
    gpu.func @twice(%x: memref<4xf32>, %y: memref<4xf32>) kernel { gpu.return }
    gpu.func @unlaunched(%x: memref<4xf32>) kernel { gpu.return }
  }
}
