// RUN: ember-opt %s --ember-graph-pipeline --ember-to-linalg-pipeline \
// RUN:   --ember-cpu-bufferize-pipeline --ember-gpu-map-pipeline \
// RUN:   | FileCheck %s --check-prefix=KERNELS
// RUN: ember-opt %s --ember-gpu-pipeline=chip=sm_90 | FileCheck %s --check-prefix=PTX90
// RUN: ember-opt %s --ember-gpu-pipeline=chip=sm_80 | FileCheck %s --check-prefix=PTX80

// The NVIDIA path, no GPU needed: the host function launches outlined
// kernels (bare memref arguments), all in one gpu.module, which becomes one
// PTX module from LLVM's NVPTX back end.

// KERNELS-LABEL: func.func @layer
// KERNELS-SAME:    (%{{.*}}: memref<4x8xf32>, %{{.*}}: memref<16x8xf32>, %{{.*}}: memref<16xf32>, %{{.*}}: memref<4x16xf32>)
// KERNELS:         gpu.launch_func @{{.*}}::@{{.*}} blocks in
// KERNELS-NOT:     linalg.
// KERNELS:         return
// The layer (matmul, bias, ReLU) is one kernel in one gpu.module
// (ember-gpu-map-linalg; ember-gpu-merge-kernel-modules), its loop bounds
// constants inside it (gpu-launch-sink-index-computations): only buffers
// are parameters, none aliasing another (ember-gpu-noalias-arguments).
// KERNELS:       gpu.module @layer_kernel
// KERNELS:         gpu.func @layer_kernel(%{{.*}}: memref<16xf32> {llvm.noalias}, %{{.*}}: memref<4x8xf32> {llvm.noalias}, %{{.*}}: memref<16x8xf32> {llvm.noalias}, %{{.*}}: memref<4x16xf32> {llvm.noalias}) kernel
// KERNELS-NOT:     gpu.func
// KERNELS-NOT:   gpu.module

// PTX90:         gpu.binary @{{.*}} [#gpu.object<#nvvm.target<chip = "sm_90">, {{.*}}assembly = "{{.*}}.target sm_90{{.*}}.visible .entry{{.*}}ld.global.nc
// PTX90-NOT:     gpu.module
// PTX90-NOT:     gpu.binary
// PTX80:         gpu.binary @{{.*}} [#gpu.object<#nvvm.target<chip = "sm_80">, {{.*}}assembly = "{{.*}}.target sm_80
func.func @layer(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %1 = ember.relu %0 : tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}
