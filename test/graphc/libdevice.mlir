// PTX for exp and log links CUDA's libdevice from the toolkit Ember knows
// (EMBER_CUDA_PATH, else the build's, /usr/local/cuda), never from the
// caller's CUDA_HOME/CUDA_PATH; where it is missing, a graph that needs it
// is an error naming the file, and one that does not still compiles.
// REQUIRES: ptxas
// RUN: rm -rf %t.split && split-file %s %t.split
// RUN: env -u CUDA_HOME -u CUDA_PATH -u CUDA_ROOT graphc %t.split/explog.mlir --target=cuda --emit=ptx -o %t.ptx
// RUN: FileCheck %s --input-file=%t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o /dev/null
// RUN: env -u CUDA_HOME -u CUDA_PATH -u CUDA_ROOT graphc %t.split/explog.mlir --target=cuda --chip=sm_80 --emit=ptx -o %t80.ptx
// RUN: %ptxas -arch=sm_80 %t80.ptx -o /dev/null
// A graph of several kernels is one PTX module with distinct entry names:
// the whole --emit=ptx output assembles as it is.
// RUN: graphc %t.split/layer.mlir --target=cuda --emit=ptx -o %tlayer.ptx
// RUN: FileCheck %s --check-prefix=LAYER --input-file=%tlayer.ptx
// RUN: %ptxas -arch=sm_90 %tlayer.ptx -o /dev/null
// RUN: graphc %t.split/layer.mlir --target=cuda --chip=sm_80 --emit=ptx -o %tlayer80.ptx
// RUN: %ptxas -arch=sm_80 %tlayer80.ptx -o /dev/null
// RUN: rm -rf %t.nocuda && mkdir %t.nocuda
// RUN: env CUDA_HOME=/usr/local/cuda EMBER_CUDA_PATH=%t.nocuda not graphc %t.split/explog.mlir --target=cuda --emit=ptx 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: sh -c 'EMBER_CUDA_PATH=%t.nocuda graphc %t.split/explog.mlir --target=cuda --emit=ptx >/dev/null 2>&1; test $? -eq 6'
// RUN: env EMBER_CUDA_PATH=%t.nocuda graphc %t.split/relu.mlir --target=cuda --emit=ptx | FileCheck %s --check-prefix=RELU

// libdevice's code is linked in: no call to an undefined __nv_ function.
// CHECK:     .entry explog_kernel
// CHECK-NOT: .extern .func {{.*}}__nv_
// CHECK-NOT: call{{.*}}__nv_

// MISSING: graphc: this graph's GPU kernels call __nv_{{expf|logf}}, which needs CUDA's libdevice, and {{.*}}.nocuda/nvvm/libdevice/libdevice.10.bc is not there
// MISSING-SAME: set EMBER_CUDA_PATH

// RELU: .entry relu_kernel

// A tiled matmul with bias and ReLU (workgroup memory, barriers), then a
// sum: two kernels in one module, one .version.
// LAYER:     .version
// LAYER-NOT: .version
// LAYER:     .entry layer_kernel(
// LAYER:     .shared .align {{[0-9]+}} .b8
// LAYER:     bar.sync 0
// LAYER:     fma.rn.f32
// LAYER-NOT: .version
// LAYER:     .entry layer_kernel_0(
// LAYER-NOT: .version

//--- explog.mlir
func.func @explog(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = ember.exp %x : tensor<4x8xf32>
  %l = ember.log %e : tensor<4x8xf32>
  return %l : tensor<4x8xf32>
}

//--- relu.mlir
func.func @relu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ember.relu %x : tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

//--- layer.mlir
func.func @layer(%x: tensor<128x256xf32>, %w: tensor<256x256xf32>, %b: tensor<256xf32>) -> tensor<f32> {
  %0 = ember.linear %x, %w, %b : (tensor<128x256xf32>, tensor<256x256xf32>, tensor<256xf32>) -> tensor<128x256xf32>
  %1 = ember.relu %0 : tensor<128x256xf32>
  %2 = ember.sum %1 dims = [0, 1] : tensor<128x256xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
