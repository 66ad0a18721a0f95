// RUN: ember-opt %s -split-input-file -verify-diagnostics --ember-gpu-kernels-to-host | FileCheck %s
// RUN: ember-opt %s -split-input-file -verify-diagnostics --ember-gpu-host-kernels-pipeline | FileCheck %s --check-prefix=LLVM

// Fires: two kernels in one gpu.module (what ember-gpu-map-pipeline
// outlines and ember-gpu-merge-kernel-modules merges) become host
// functions named after the kernels, taking the kernel's arguments
// and then blockIdx, threadIdx, gridDim, blockDim (x, y, z each); the ids
// are those arguments, gpu.return is func.return. The host function and
// the gpu.modules are gone.
// CHECK-LABEL: module {
// CHECK-NOT:     gpu.
// CHECK:         func.func @ember_emu_graph_kernel(%[[A:.*]]: memref<2x3xf32>, %[[V:.*]]: f32, %[[BX:.*]]: index, %[[BY:.*]]: index, %[[BZ:.*]]: index, %[[TX:.*]]: index, %[[TY:.*]]: index, %[[TZ:.*]]: index, %[[GX:.*]]: index, %[[GY:.*]]: index, %[[GZ:.*]]: index, %[[DX:.*]]: index, %[[DY:.*]]: index, %[[DZ:.*]]: index) {
// CHECK-NEXT:      %[[I:.*]] = arith.muli %[[BX]], %[[DX]] : index
// CHECK-NEXT:      %[[J:.*]] = arith.addi %[[I]], %[[TX]] : index
// CHECK-NEXT:      %[[K:.*]] = arith.addi %[[BY]], %[[GY]] : index
// CHECK-NEXT:      memref.store %[[V]], %[[A]][%[[J]], %[[K]]] : memref<2x3xf32>
// CHECK-NEXT:      return
// CHECK-NEXT:    }
// CHECK:         func.func @ember_emu_graph_kernel_0(%[[B:[^:]*]]: memref<2xf32>, %[[UB:[^:]*]]: index, %[[BX0:[^:]*]]: index, %{{.*}}: index
// CHECK:           scf.for %{{.*}} = %{{.*}} to %[[UB]]
// CHECK:             memref.load %[[B]][%[[BX0]]]
// CHECK:           return
// CHECK-NOT:     func.func @graph
// CHECK-NOT:     gpu.

// The same, lowered for the host: bare pointers, i64 ids.
// LLVM:          llvm.func @ember_emu_graph_kernel(%{{.*}}: !llvm.ptr, %{{.*}}: f32, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64)
// LLVM:          llvm.func @ember_emu_graph_kernel_0(%{{.*}}: !llvm.ptr, %{{.*}}: i64,
// LLVM-NOT:      gpu.
module attributes {gpu.container_module} {
  func.func @graph(%arg0: memref<2x3xf32>, %arg1: memref<2xf32>) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %cst = arith.constant 1.0 : f32
    gpu.launch_func @graph_kernel::@graph_kernel blocks in (%c2, %c3, %c1) threads in (%c1, %c1, %c1) args(%arg0 : memref<2x3xf32>, %cst : f32)
    gpu.launch_func @graph_kernel::@graph_kernel_0 blocks in (%c2, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg1 : memref<2xf32>, %c3 : index)
    return
  }
  gpu.module @graph_kernel {
    gpu.func @graph_kernel(%arg0: memref<2x3xf32>, %arg1: f32) kernel {
      %bx = gpu.block_id x
      %by = gpu.block_id y
      %tx = gpu.thread_id x
      %gy = gpu.grid_dim y
      %dx = gpu.block_dim x
      %0 = arith.muli %bx, %dx : index
      %1 = arith.addi %0, %tx : index
      %2 = arith.addi %by, %gy : index
      memref.store %arg1, %arg0[%1, %2] : memref<2x3xf32>
      gpu.return
    }
    gpu.func @graph_kernel_0(%arg0: memref<2xf32>, %arg1: index) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %bx = gpu.block_id x
      scf.for %i = %c0 to %arg1 step %c1 {
        %v = memref.load %arg0[%bx] : memref<2xf32>
        %w = arith.addf %v, %v : f32
        memref.store %w, %arg0[%bx] : memref<2xf32>
      }
      gpu.return
    }
  }
}

// -----

// Fires: kernels of several gpu.modules, named after the kernels (each
// module's, in order), not the modules.
// CHECK-LABEL: module {
// CHECK:         func.func @ember_emu_first(%{{.*}}: memref<4xf32>, %{{.*}}: index
// CHECK:         func.func @ember_emu_second(%{{.*}}: memref<4xf32>, %{{.*}}: index
// CHECK:         func.func @ember_emu_third(%{{.*}}: memref<4xf32>, %{{.*}}: index
// CHECK-NOT:     gpu.
// LLVM:          llvm.func @ember_emu_first(
// LLVM:          llvm.func @ember_emu_second(
// LLVM:          llvm.func @ember_emu_third(
module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @first(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
    gpu.func @second(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @n {
    gpu.func @third(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Must not fire: two kernels of one name in different gpu.modules (what
// gpu-kernel-outlining makes before ember-gpu-merge-kernel-modules) would
// be two host functions of one name.
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    // expected-note @+1 {{the other kernel}}
    gpu.func @graph_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @graph_kernel_0 {
    // expected-error @+1 {{cannot compile kernel @graph_kernel for the host: another gpu.module has a kernel of that name (run ember-gpu-merge-kernel-modules first)}}
    gpu.func @graph_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Must not fire: a barrier synchronises the threads of a block, which the
// emulated device runs one after another.
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    gpu.func @graph_kernel(%arg0: memref<4xf32>) kernel {
      // expected-error @+1 {{cannot compile 'gpu.barrier' for the host (the emulated device runs one thread at a time)}}
      gpu.barrier
      gpu.return
    }
  }
}

// -----

// Must not fire: workgroup (shared) memory.
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    // expected-error @+1 {{cannot compile kernel @graph_kernel for the host: it has workgroup or private attributions}}
    gpu.func @graph_kernel(%arg0: memref<4xf32>) workgroup(%tile: memref<4xf32, #gpu.address_space<workgroup>>) kernel {
      gpu.return
    }
  }
}

// -----

// Must not fire: shared memory allocated in the body.
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    gpu.func @graph_kernel(%arg0: memref<4xf32>) kernel {
      // expected-error @+1 {{cannot compile 'memref.alloca' for the host: it uses workgroup or private GPU memory}}
      %tile = memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
      gpu.return
    }
  }
}

// -----

// Must not fire: a kernel module with another symbol beside the kernel.
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    gpu.func @graph_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
    // expected-error @+1 {{cannot compile 'func.func' in gpu.module @graph_kernel for the host: a kernel module must hold gpu.func kernels and nothing else}}
    func.func @helper() {
      return
    }
  }
}
