// RUN: ember-opt %s -split-input-file --ember-gpu-merge-kernel-modules | FileCheck %s

// Fires: what gpu-kernel-outlining makes, one gpu.module per kernel and
// every kernel named after the host function. All kernels move into the
// first module, each named after the module it came from; every launch
// follows; the emptied modules are gone.
// CHECK-LABEL: func.func @graph
// CHECK:         gpu.launch_func @graph_kernel::@graph_kernel blocks
// CHECK:         gpu.launch_func @graph_kernel::@graph_kernel_0 blocks
// CHECK:         gpu.launch_func @graph_kernel::@graph_kernel_1 blocks
// CHECK:         gpu.launch_func @graph_kernel::@graph_kernel blocks
// CHECK:       gpu.module @graph_kernel {
// CHECK-NEXT:    gpu.func @graph_kernel(%{{.*}}: memref<4xf32>) kernel
// CHECK:         gpu.func @graph_kernel_0(%{{.*}}: memref<4xf32>, %{{.*}}: f32) kernel
// CHECK:         gpu.func @graph_kernel_1(%{{.*}}: memref<2xf32>) kernel
// CHECK:       }
// CHECK-NOT:   gpu.module
module attributes {gpu.container_module} {
  func.func @graph(%arg0: memref<4xf32>, %arg1: memref<2xf32>) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %cst = arith.constant 2.0 : f32
    gpu.launch_func @graph_kernel::@graph_kernel blocks in (%c4, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg0 : memref<4xf32>)
    gpu.launch_func @graph_kernel_0::@graph_kernel blocks in (%c4, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg0 : memref<4xf32>, %cst : f32)
    gpu.launch_func @graph_kernel_1::@graph_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg1 : memref<2xf32>)
    gpu.launch_func @graph_kernel::@graph_kernel blocks in (%c4, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg0 : memref<4xf32>)
    return
  }
  gpu.module @graph_kernel {
    gpu.func @graph_kernel(%arg0: memref<4xf32>) kernel {
      %bx = gpu.block_id x
      %v = memref.load %arg0[%bx] : memref<4xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %arg0[%bx] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @graph_kernel_0 {
    gpu.func @graph_kernel(%arg0: memref<4xf32>, %arg1: f32) kernel {
      %bx = gpu.block_id x
      memref.store %arg1, %arg0[%bx] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @graph_kernel_1 {
    gpu.func @graph_kernel(%arg0: memref<2xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Fires: a module holding several symbols names each <module>_<symbol>,
// and references inside it (a call to its helper) follow.
// CHECK-LABEL: func.func @two
// CHECK:         gpu.launch_func @a::@a blocks
// CHECK:         gpu.launch_func @a::@b_k blocks
// CHECK:       gpu.module @a {
// CHECK:         gpu.func @a(
// CHECK:         func.func @b_helper()
// CHECK:         gpu.func @b_k(
// CHECK-NEXT:      func.call @b_helper() : () -> ()
// CHECK-NOT:   gpu.module
module attributes {gpu.container_module} {
  func.func @two(%arg0: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @a::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg0 : memref<4xf32>)
    gpu.launch_func @b::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg0 : memref<4xf32>)
    return
  }
  gpu.module @a {
    gpu.func @k(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @b {
    func.func @helper() {
      return
    }
    gpu.func @k(%arg0: memref<4xf32>) kernel {
      func.call @helper() : () -> ()
      gpu.return
    }
  }
}

// -----

// Must not fire: a single gpu.module stays as it is, its kernel's name too.
// CHECK-LABEL: func.func @one
// CHECK:         gpu.launch_func @one_kernel::@k blocks
// CHECK:       gpu.module @one_kernel {
// CHECK-NEXT:    gpu.func @k(
module attributes {gpu.container_module} {
  func.func @one(%arg0: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @one_kernel::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg0 : memref<4xf32>)
    return
  }
  gpu.module @one_kernel {
    gpu.func @k(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Must not fire: modules for different targets stay apart.
// CHECK-LABEL: func.func @targets
// CHECK:         gpu.launch_func @m90::@k blocks
// CHECK:         gpu.launch_func @m80::@k blocks
// CHECK:       gpu.module @m90 [#nvvm.target<chip = "sm_90">] {
// CHECK-NEXT:    gpu.func @k(
// CHECK:       gpu.module @m80 [#nvvm.target<chip = "sm_80">] {
// CHECK-NEXT:    gpu.func @k(
module attributes {gpu.container_module} {
  func.func @targets(%arg0: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @m90::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg0 : memref<4xf32>)
    gpu.launch_func @m80::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg0 : memref<4xf32>)
    return
  }
  gpu.module @m90 [#nvvm.target<chip = "sm_90">] {
    gpu.func @k(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @m80 [#nvvm.target<chip = "sm_80">] {
    gpu.func @k(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
}
