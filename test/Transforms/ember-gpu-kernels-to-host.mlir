// RUN: ember-opt %s -split-input-file -verify-diagnostics --ember-gpu-kernels-to-host | FileCheck %s
// RUN: ember-opt %s -split-input-file -verify-diagnostics --ember-gpu-host-kernels-pipeline | FileCheck %s --check-prefix=LLVM

// Fires: two kernels in one gpu.module (what ember-gpu-map-pipeline
// outlines and ember-gpu-merge-kernel-modules merges) become host
// functions named after the kernels, taking the kernel's arguments,
// then blockIdx, threadIdx, gridDim, blockDim (x, y, z each), then the
// block's shared memory (none here: 0 bytes, noted on the function); the
// ids are those arguments, gpu.return is func.return. The host function
// and the gpu.modules are gone.
// CHECK-LABEL: module {
// CHECK-NOT:     gpu.
// CHECK:         func.func @ember_emu_graph_kernel(%[[A:.*]]: memref<2x3xf32>, %[[V:.*]]: f32, %[[BX:.*]]: index, %[[BY:.*]]: index, %[[BZ:.*]]: index, %[[TX:.*]]: index, %[[TY:.*]]: index, %[[TZ:.*]]: index, %[[GX:.*]]: index, %[[GY:.*]]: index, %[[GZ:.*]]: index, %[[DX:.*]]: index, %[[DY:.*]]: index, %[[DZ:.*]]: index, %{{.*}}: memref<0xi8>) attributes {ember.emu_shared_bytes = 0 : i64} {
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
// LLVM-NOT:      ember_emu_barrier
// LLVM:          llvm.func @ember_emu_graph_kernel(%{{.*}}: !llvm.ptr, %{{.*}}: f32, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: !llvm.ptr) attributes {ember.emu_shared_bytes = 0 : i64}
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

// Fires: workgroup (shared) memory and barriers, as a block-wide
// reduction has them. Each workgroup attribution is a view of the block's
// shared memory (the last argument) at an offset aligned to 16, in order;
// the function notes the total bytes (256 + 3 * 8) and that it calls the
// barrier. A private attribution is an alloca. GPU address spaces are gone
// from every type, block arguments and subviews included. Every
// gpu.barrier, in loops and branches too, calls @ember_emu_barrier,
// declared once for all kernels (the host code's shared object defines it).
// CHECK-LABEL: module {
// CHECK:         func.func private @ember_emu_barrier()
// CHECK-NOT:     func.func private @ember_emu_barrier()
// CHECK:         func.func @ember_emu_reduce(%[[OUT:[^:]*]]: memref<64xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %[[TX:[^:]*]]: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %[[SH:[^:]*]]: memref<280xi8>) attributes {ember.emu_barriers, ember.emu_shared_bytes = 280 : i64} {
// CHECK-DAG:       %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:       %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG:       %[[TILE:.*]] = memref.view %[[SH]][%[[C0]]][] : memref<280xi8> to memref<64xf32>
// CHECK-DAG:       %[[COUNT:.*]] = memref.view %[[SH]][%[[C256]]][] : memref<280xi8> to memref<3xi64>
// CHECK-DAG:       %[[MINE:.*]] = memref.alloca() : memref<2xf32>
// CHECK:           memref.store %{{.*}}, %[[TILE]][%[[TX]]] : memref<64xf32>
// CHECK:           call @ember_emu_barrier() : () -> ()
// CHECK:           scf.for
// CHECK:             scf.if
// CHECK:               memref.load %[[TILE]]
// CHECK:             call @ember_emu_barrier() : () -> ()
// CHECK:           memref.subview %[[TILE]][0] [8] [1] : memref<64xf32> to memref<8xf32, strided<[1]>>
// CHECK:           memref.store %{{.*}}, %[[MINE]]
// CHECK:           memref.store %{{.*}}, %[[COUNT]]
// CHECK:           return
// CHECK:         func.func @ember_emu_other(%{{.*}}: memref<64xf32>, {{.*}}, %{{.*}}: memref<0xi8>) attributes {ember.emu_barriers, ember.emu_shared_bytes = 0 : i64}
// CHECK-NOT:     #gpu.address_space
// LLVM:          llvm.func @ember_emu_barrier() attributes {sym_visibility = "private"}
// LLVM:          llvm.func @ember_emu_reduce({{.*}}, %{{.*}}: !llvm.ptr) attributes {ember.emu_barriers, ember.emu_shared_bytes = 280 : i64}
// LLVM:            llvm.call @ember_emu_barrier() : () -> ()
module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @reduce(%out: memref<64xf32>)
        workgroup(%tile: memref<64xf32, #gpu.address_space<workgroup>>,
                  %count: memref<3xi64, #gpu.address_space<workgroup>>)
        private(%mine: memref<2xf32, #gpu.address_space<private>>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c6 = arith.constant 6 : index
      %c32 = arith.constant 32 : index
      %one = arith.constant 1 : i64
      %tx = gpu.thread_id x
      %v = memref.load %out[%tx] : memref<64xf32>
      memref.store %v, %tile[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      scf.for %i = %c0 to %c6 step %c1 {
        %active = arith.cmpi ult, %tx, %c32 : index
        scf.if %active {
          %j = arith.addi %tx, %c32 : index
          %a = memref.load %tile[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
          %b = memref.load %tile[%j] : memref<64xf32, #gpu.address_space<workgroup>>
          %s = arith.addf %a, %b : f32
          memref.store %s, %tile[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
      }
      %head = memref.subview %tile[0] [8] [1] : memref<64xf32, #gpu.address_space<workgroup>> to memref<8xf32, strided<[1]>, #gpu.address_space<workgroup>>
      %h = memref.load %head[%c0] : memref<8xf32, strided<[1]>, #gpu.address_space<workgroup>>
      memref.store %h, %mine[%c0] : memref<2xf32, #gpu.address_space<private>>
      memref.store %one, %count[%c0] : memref<3xi64, #gpu.address_space<workgroup>>
      memref.store %h, %out[%tx] : memref<64xf32>
      gpu.return
    }
    gpu.func @other(%out: memref<64xf32>) kernel {
      gpu.barrier
      gpu.return
    }
  }
}

// -----

// Must not fire: dynamic shared memory (its size is the launch's, which
// the emulated device does not take).
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    gpu.func @graph_kernel(%arg0: memref<4xf32>) kernel {
      // expected-error @+1 {{cannot compile 'gpu.dynamic_shared_memory' for the host (the emulated device knows thread and block ids, gpu.barrier, gpu.shuffle and gpu.return)}}
      %shared = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      gpu.return
    }
  }
}

// -----

// Must not fire: a workgroup attribution without a static shape has no
// place in the block's shared memory.
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    // expected-error @+1 {{cannot compile kernel @graph_kernel for the host: workgroup attribution 0 ('memref<?xf32, #gpu.address_space<workgroup>>') is not a static-shape memref of whole-byte integers or floats, identity layout, of at most 4 GiB}}
    gpu.func @graph_kernel(%arg0: memref<4xf32>) workgroup(%tile: memref<?xf32, #gpu.address_space<workgroup>>) kernel {
      gpu.return
    }
  }
}

// -----

// Must not fire: nor does an attribution of i1, whose bytes the host and
// the GPU may lay out differently.
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    // expected-error @+1 {{cannot compile kernel @graph_kernel for the host: private attribution 0 ('memref<4xi1, #gpu.address_space<private>>') is not a static-shape memref}}
    gpu.func @graph_kernel(%arg0: memref<4xf32>) private(%flags: memref<4xi1, #gpu.address_space<private>>) kernel {
      gpu.return
    }
  }
}

// -----

// Must not fire: a kernel named @barrier would be the barrier's function.
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    // expected-error @+1 {{cannot compile kernel @barrier for the host: its function would be @ember_emu_barrier, the emulated barrier}}
    gpu.func @barrier(%arg0: memref<4xf32>) kernel {
      gpu.barrier
      gpu.return
    }
  }
}

// -----

// Must not fire: nor a kernel named @shuffle, the warp shuffle's.
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    // expected-error @+1 {{cannot compile kernel @shuffle for the host: its function would be @ember_emu_shuffle, the emulated shuffle}}
    gpu.func @shuffle(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Fires: a warp shuffle of an f32 calls @ember_emu_shuffle with its bits,
// the offset, the width and the mode (xor 0, up 1, down 2, idx 3); the low
// 32 bits of the i64 it returns are the value, bit 32 `valid`. The function
// says it synchronises (the emulated device runs its threads as fibers).
// CHECK-LABEL: module {
// CHECK:         func.func private @ember_emu_shuffle(i32, i32, i32, i32) -> i64
// CHECK:         func.func @ember_emu_graph_kernel(%[[OUT:[^:]*]]: memref<64xf32>, %[[FLAGS:[^:]*]]: memref<64xi1>, %[[V:[^:]*]]: f32, %[[I:[^:]*]]: i32,
// CHECK-SAME:      ember.emu_barriers
// CHECK:           %[[BITS:.*]] = arith.bitcast %[[V]] : f32 to i32
// CHECK:           %[[DOWN:.*]] = arith.constant 2 : i32
// CHECK:           %[[R:.*]] = call @ember_emu_shuffle(%[[BITS]], %[[I]], %{{.*}}, %[[DOWN]]) : (i32, i32, i32, i32) -> i64
// CHECK:           %[[LOW:.*]] = arith.trunci %[[R]] : i64 to i32
// CHECK:           %[[F:.*]] = arith.bitcast %[[LOW]] : i32 to f32
// CHECK:           %[[HIGH:.*]] = arith.shrui %[[R]], %{{.*}} : i64
// CHECK:           %[[VALID:.*]] = arith.trunci %[[HIGH]] : i64 to i1
// CHECK:           memref.store %[[F]], %[[OUT]]
// CHECK:           memref.store %[[VALID]], %[[FLAGS]]
// CHECK:           %[[IDX:.*]] = arith.constant 3 : i32
// CHECK:           call @ember_emu_shuffle(%[[I]], %[[I]], %{{.*}}, %[[IDX]])
// LLVM:          llvm.func @ember_emu_shuffle(i32, i32, i32, i32) -> i64
// LLVM:          llvm.func @ember_emu_graph_kernel(
// LLVM:            llvm.call @ember_emu_shuffle(
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    gpu.func @graph_kernel(%out: memref<64xf32>, %flags: memref<64xi1>, %v: f32, %i: i32) kernel {
      %t = gpu.thread_id x
      %c32 = arith.constant 32 : i32
      %r, %valid = gpu.shuffle down %v, %i, %c32 : f32
      memref.store %r, %out[%t] : memref<64xf32>
      memref.store %valid, %flags[%t] : memref<64xi1>
      %j, %jvalid = gpu.shuffle idx %i, %i, %c32 : i32
      gpu.return
    }
  }
}

// -----

// Fires: a tensor-core mma (m16n8k8, TF32) passes its A, B and C fragments
// through stack arrays made once at the function's entry, calls
// @ember_emu_mma_tf32_m16n8k8 (the emulated warp's mma), and reads D back.
// CHECK-LABEL: module {
// CHECK:         func.func private @ember_emu_mma_tf32_m16n8k8(memref<4xf32>, memref<2xf32>, memref<4xf32>, memref<4xf32>)
// CHECK:         func.func @ember_emu_graph_kernel(
// CHECK-SAME:      ember.emu_barriers
// CHECK-NEXT:      %[[A:.*]] = memref.alloca() : memref<4xf32>
// CHECK-NEXT:      %[[B:.*]] = memref.alloca() : memref<2xf32>
// CHECK-NEXT:      %[[C:.*]] = memref.alloca() : memref<4xf32>
// CHECK-NEXT:      %[[D:.*]] = memref.alloca() : memref<4xf32>
// CHECK:           scf.for
// CHECK:             vector.extract %{{.*}}[3, 0] : f32 from vector<4x1xf32>
// CHECK-NEXT:        memref.store %{{.*}}, %[[A]][%{{.*}}]
// CHECK:             vector.extract %{{.*}}[1, 0] : f32 from vector<2x1xf32>
// CHECK-NEXT:        memref.store %{{.*}}, %[[B]][%{{.*}}]
// CHECK:             vector.extract %{{.*}}[1, 1] : f32 from vector<2x2xf32>
// CHECK-NEXT:        memref.store %{{.*}}, %[[C]][%{{.*}}]
// CHECK-NEXT:        call @ember_emu_mma_tf32_m16n8k8(%[[A]], %[[B]], %[[C]], %[[D]])
// CHECK:             memref.load %[[D]][%{{.*}}]
// CHECK:             vector.insert %{{.*}}, %{{.*}} [1, 1] : f32 into vector<2x2xf32>
// LLVM:          llvm.func @ember_emu_mma_tf32_m16n8k8(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    gpu.func @graph_kernel(%out: memref<4xf32>, %x: f32, %n: index) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %a = vector.broadcast %x : f32 to vector<4x1xf32>
      %b = vector.broadcast %x : f32 to vector<2x1xf32>
      %c = vector.broadcast %x : f32 to vector<2x2xf32>
      %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %c) -> (vector<2x2xf32>) {
        %d = nvgpu.mma.sync (%a, %b, %acc) {mmaShape = [16, 8, 8], tf32Enabled} : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        scf.yield %d : vector<2x2xf32>
      }
      %e = vector.extract %r[1, 1] : f32 from vector<2x2xf32>
      memref.store %e, %out[%c0] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// Must not fire: an mma the emulated device does not run (f16 inputs).
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    gpu.func @graph_kernel(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf16>) kernel {
      // expected-error @+1 {{cannot compile 'nvgpu.mma.sync' for the host (the emulated device runs nvgpu.mma.sync m16n8k8 with tf32Enabled on f32 fragments, and no other nvgpu op)}}
      %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf16>) -> vector<2x2xf16>
      gpu.return
    }
  }
}

// -----

// Must not fire: the emulated device shuffles 32 bits.
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    gpu.func @graph_kernel(%v: f64, %i: i32) kernel {
      %c32 = arith.constant 32 : i32
      // expected-error @+1 {{cannot compile 'gpu.shuffle' of 'f64' for the host (the emulated device shuffles i32 and f32)}}
      %r, %valid = gpu.shuffle xor %v, %i, %c32 : f64
      gpu.return
    }
  }
}

// -----

// Must not fire: shared memory allocated in the body (each host thread
// would get its own).
module attributes {gpu.container_module} {
  gpu.module @graph_kernel {
    gpu.func @graph_kernel(%arg0: memref<4xf32>) kernel {
      // expected-error @+1 {{cannot compile 'memref.alloca' for the host: it makes workgroup or private GPU memory (only the kernel's attributions can be)}}
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
