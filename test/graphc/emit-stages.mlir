// Every --emit stage of graphc on one small MLP layer, for both targets.
// RUN: graphc %s --emit=ember | FileCheck %s --check-prefix=EMBER
// RUN: graphc %s --emit=linalg | FileCheck %s --check-prefix=LINALG
// RUN: graphc %s --emit=vectorized | FileCheck %s --check-prefix=VEC
// RUN: graphc %s --emit=bufferized | FileCheck %s --check-prefix=BUF
// RUN: graphc %s --emit=llvm-dialect | FileCheck %s --check-prefix=LLVMD
// RUN: graphc %s --emit=llvm | FileCheck %s --check-prefix=LLVM
// RUN: graphc %s --emit=asm | FileCheck %s --check-prefix=ASM
// RUN: graphc %s --emit=asm --cpu=haswell | FileCheck %s --check-prefix=AVX2
// RUN: not graphc %s --emit=asm --cpu=no-such-cpu 2>&1 | FileCheck %s --check-prefix=BADCPU
// RUN: sh -c 'graphc %s --emit=asm --cpu=no-such-cpu 2>/dev/null; test $? -eq 5'
// RUN: graphc %s --emit=obj -o %t.o && od -c -N 4 %t.o | FileCheck %s --check-prefix=ELF
// RUN: graphc %s --emit=so -o %t.so && od -c -N 4 %t.so | FileCheck %s --check-prefix=ELF
// RUN: graphc %s -o %t.ember && od -c -N 8 %t.ember | FileCheck %s --check-prefix=ARTIFACT
// RUN: graphc %s --target=cuda --emit=gpu-kernels | FileCheck %s --check-prefix=KERNELS
// RUN: graphc %s --target=cuda --emit=ptx | FileCheck %s --check-prefix=PTX
// RUN: graphc %s --target=cuda --chip=sm_80 --emit=ptx | FileCheck %s --check-prefix=PTX80
// RUN: graphc %s --target=cuda --emit=artifact -o %t.cuda.ember && od -c -N 8 %t.cuda.ember | FileCheck %s --check-prefix=ARTIFACT
// RUN: graphc %s --target=cuda --emit=artifact -o - | FileCheck %s --check-prefix=PLAN
// RUN: not grep -a -q '^hostcode' %t.cuda.ember
// RUN: rm -rf %t.emu && graphc %s --target=cuda --emulated -o %t.emu.ember --dump-ir-after-all=%t.emu && grep -a -o '^hostcode [0-9]*' %t.emu.ember | FileCheck %s --check-prefix=EMULATED
// RUN: ls %t.emu/emit-stages.mlir-0 | FileCheck %s --check-prefix=EMUDUMPS
// RUN: FileCheck %s --check-prefix=EMUIR --input-file=%t.emu/emit-stages.mlir-0/06-host-kernels.ll
// RUN: not graphc %s --emulated -o %t.x 2>&1 | FileCheck %s --check-prefix=EMUCPU
// RUN: not graphc %s --target=cuda --emit=ptx --emulated 2>&1 | FileCheck %s --check-prefix=EMUCPU
// RUN: ember-opt %s --emit-bytecode -o %t.mlirbc && graphc %t.mlirbc --emit=ember | FileCheck %s --check-prefix=EMBER
// RUN: rm -rf %t.dumps && graphc %s --emit=llvm -o /dev/null --dump-ir-after-all=%t.dumps && ls %t.dumps/emit-stages.mlir-0 | FileCheck %s --check-prefix=DUMPS

// The fusion is visible at the first stage.
// EMBER-LABEL: func.func @layer
// EMBER:         ember.linear_relu
// EMBER-NOT:     ember.relu

// LINALG:        linalg.matmul
// LINALG-NOT:    ember.
// VEC:           vector.contract
// BUF:           func.func @layer({{.*}}memref<4x16xf32>)
// LLVMD:         llvm.func @layer(%{{.*}}: !llvm.ptr
// LLVM:          define void @ember_entry(ptr
// ASM:           ember_entry:
// For an AVX2 CPU: 256-bit FMAs, no AVX-512 register.
// AVX2:          vfmadd{{.*}}%ymm
// AVX2-NOT:      %zmm
// BADCPU:        graphc: unknown CPU 'no-such-cpu'
// ELF:           177   E   L   F
// ARTIFACT:      E   M   B   E   R   A   R   T
// KERNELS:       gpu.launch_func
// KERNELS:       gpu.module
// PTX:           .target sm_90
// The whole layer (matmul, bias, ReLU) is one kernel.
// PTX:           .entry layer_kernel(
// PTX-NOT:       .version
// PTX-NOT:       .entry
// PTX80:         .target sm_80
// --emulated: the kernels for the host ride in the plan.
// EMULATED:      hostcode {{[1-9][0-9]*}}
// EMUDUMPS:      06-host-kernels.ll
// EMUDUMPS-NEXT: 06-host-kernels.mlir
// EMUDUMPS-NEXT: 06-plan.txt
// EMUIR:         define void @ember_emu_kernel_0(ptr
// EMUCPU:        graphc: --emulated compiles the kernels of a CUDA artifact for the emulated device: use it with --target=cuda --emit=artifact

// One PTX module for the graph, then its kernels, each with its own name.
// PLAN:          ember-gpu-plan 2
// PLAN-NEXT:     args 4
// PLAN-NEXT:     module {{[1-9][0-9]*}}
// PLAN:          .entry layer_kernel(
// PLAN-NOT:      module
// PLAN:          kernel layer_kernel 0
// PLAN-NOT:      kernel
// PLAN:          launch 0 1 1 1 256 1 1 4 b2 b0 b1 b3
// PLAN-NOT:      launch
// PLAN:          end

// DUMPS:         00-input.mlir
// DUMPS:         01-ember.mlir
// DUMPS:         07-llvm-ir-opt.ll
// DUMPS:         passes
func.func @layer(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %1 = ember.relu %0 : tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}
