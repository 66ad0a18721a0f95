// RUN: ember-opt %s --ember-cpu-pipeline \
// RUN:   | FileCheck %s --check-prefix=LLVM --implicit-check-not=memref. \
// RUN:       --implicit-check-not=tensor --implicit-check-not=unrealized_conversion_cast \
// RUN:       --implicit-check-not=llvm.struct
// RUN: ember-opt %s --ember-cpu-pipeline | mlir-translate --mlir-to-llvmir \
// RUN:   | FileCheck %s --check-prefix=IR
// RUN: ember-opt %s --ember-graph-pipeline | FileCheck %s --check-prefix=GRAPH
// RUN: ember-opt %s --ember-to-linalg-pipeline \
// RUN:   | FileCheck %s --check-prefix=LINALG --implicit-check-not=ember.
// RUN: ember-opt %s --ember-to-linalg-pipeline --ember-cpu-bufferize-pipeline \
// RUN:   | FileCheck %s --check-prefix=BUF --implicit-check-not=ember. \
// RUN:       --implicit-check-not=tensor
// RUN: ember-opt %s --ember-graph-pipeline --ember-to-linalg-pipeline \
// RUN:   --ember-cpu-vectorize-pipeline --ember-cpu-bufferize-pipeline \
// RUN:   --ember-cpu-to-llvm-pipeline | FileCheck %s --check-prefix=LLVM
// RUN: ember-opt %s --ember-to-linalg-pipeline --ember-cpu-vectorize-pipeline \
// RUN:   | FileCheck %s --check-prefix=VEC

// The CPU pipeline, whole and stage by stage. Prefixes, one per RUN line:
//   LLVM    --ember-cpu-pipeline: LLVM dialect with the bare-pointer ABI (and
//           the same from the four stages chained by hand)
//   IR      the same translated to LLVM IR
//   GRAPH   --ember-graph-pipeline: ember after canonicalize and cse
//   LINALG  --ember-to-linalg-pipeline: linalg on tensors, no ember ops left
//   BUF     ... then --ember-cpu-bufferize-pipeline: memrefs, no tensors;
//           results become out-parameters
//   VEC     ... --ember-cpu-vectorize-pipeline: the matmul as register tiles

//===----------------------------------------------------------------------===//
// linear + relu + sum
//===----------------------------------------------------------------------===//

// The graph pipeline fuses the linear and the relu.
// GRAPH-LABEL: func.func @mlp
// GRAPH: ember.linear_relu
// GRAPH-NOT: ember.relu
// GRAPH: ember.sum

// LINALG-LABEL: func.func @mlp
// LINALG-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<16x8xf32>, %[[B:.*]]: tensor<16xf32>) -> tensor<4xf32>
// LINALG: %[[BB:.*]] = linalg.broadcast ins(%[[B]] : tensor<16xf32>)
// LINALG: %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<16x8xf32>)
// LINALG: %[[LIN:.*]] = linalg.matmul ins(%[[X]], %[[WT]] : tensor<4x8xf32>, tensor<8x16xf32>) outs(%[[BB]] : tensor<4x16xf32>)
// LINALG: %[[RELU:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// LINALG-SAME: ins(%[[LIN]] : tensor<4x16xf32>)
// LINALG: arith.maximumf
// LINALG: %[[SUM:.*]] = linalg.reduce ins(%[[RELU]] : tensor<4x16xf32>) outs(%{{.*}} : tensor<4xf32>) dimensions = [1]
// LINALG: return %[[SUM]] : tensor<4xf32>

// The result becomes a trailing out-parameter; the function returns nothing.
// BUF-LABEL: func.func @mlp
// BUF-SAME: (%[[X:.*]]: memref<4x8xf32>, %[[W:.*]]: memref<16x8xf32>, %[[B:.*]]: memref<16xf32>, %[[OUT:.*]]: memref<4xf32>)
// BUF-NOT: ->
// BUF: %[[TMP:.*]] = memref.alloc() {{.*}}: memref<4x16xf32>
// BUF: linalg.broadcast ins(%[[B]] : memref<16xf32>) outs(%[[TMP]] : memref<4x16xf32>)
// BUF: linalg.transpose ins(%[[W]] : memref<16x8xf32>)
// BUF: linalg.matmul ins(%[[X]], %{{.*}} : memref<4x8xf32>, memref<8x16xf32>) outs(%[[TMP]] : memref<4x16xf32>)
// BUF: linalg.generic {{.*}} outs(%[[TMP]] : memref<4x16xf32>)
// BUF: linalg.fill ins(%{{.*}} : f32) outs(%[[OUT]] : memref<4xf32>)
// BUF: linalg.reduce ins(%[[TMP]] : memref<4x16xf32>) outs(%[[OUT]] : memref<4xf32>) dimensions = [1]
// BUF: memref.dealloc %[[TMP]]
// BUF: return{{$}}

// Bare-pointer ABI: one !llvm.ptr per memref, the out-parameter last, no
// result.
// LLVM-LABEL: llvm.func @mlp
// LLVM-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) {
// LLVM: llvm.call @_mlir_memref_to_llvm_alloc
// LLVM: %[[TMP:.*]] = llvm.call @_mlir_memref_to_llvm_alloc
// LLVM: llvm.intr.fmuladd({{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// LLVM: llvm.intr.maximum({{.*}}) {fastmathFlags = #llvm.fastmath<nsz>} : (vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// LLVM: llvm.fadd
// LLVM: llvm.call @_mlir_memref_to_llvm_free
// LLVM: llvm.return{{$}}

// IR-LABEL: define void @mlp(ptr %{{.*}}, ptr %{{.*}}, ptr %{{.*}}, ptr %{{.*}})
// IR: call ptr @_mlir_memref_to_llvm_alloc
// IR: call <16 x float> @llvm.fmuladd.v16f32
// IR: call nsz <16 x float> @llvm.maximum.v16f32
// IR: call void @_mlir_memref_to_llvm_free
// IR: ret void
// One 4x16 register tile (both sizes divide the problem) whose accumulator
// starts as the broadcast bias, a K loop whose body is a single 4x16x1
// contraction on that accumulator (carried in registers), and the ReLU
// applied to the accumulator before its one write: the fused linear+relu is
// a single loop nest.
// VEC-LABEL: func.func @mlp
// VEC: %[[BIAS:.*]] = vector.transfer_read %{{.*}} : tensor<16xf32>, vector<16xf32>
// VEC: %[[ACC0:.*]] = vector.broadcast %[[BIAS]] : vector<16xf32> to vector<4x16xf32>
// VEC: %[[ACC:.*]] = scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args(%[[A:.*]] = %[[ACC0]]) -> (vector<4x16xf32>)
// VEC: vector.contract {{.*}} %[[A]] : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// VEC: scf.yield
// VEC: %[[RELU:.*]] = arith.maximumf %[[ACC]], %{{.*}} : vector<4x16xf32>
// VEC: vector.transfer_write %[[RELU]]
func.func @mlp(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4xf32> {
  %0 = ember.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %1 = ember.relu %0 : tensor<4x16xf32>
  %2 = ember.sum %1 dims = [1] : tensor<4x16xf32> -> tensor<4xf32>
  return %2 : tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// Graph clean-up before lowering: folds, a splat constant and a reshape
//===----------------------------------------------------------------------===//

// The broadcast splat folds into a constant; the two reshapes become one.
// GRAPH-LABEL: func.func @shift
// GRAPH-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// GRAPH: %[[C:.*]] = ember.constant dense<1.000000e+00> : tensor<2x3xf32>
// GRAPH-NOT: ember.broadcast_to
// GRAPH: %[[A:.*]] = ember.add %[[X]], %[[C]] : tensor<2x3xf32>
// GRAPH: %[[R:.*]] = ember.reshape %[[A]] : tensor<2x3xf32> -> tensor<6xf32>
// GRAPH-NOT: ember.reshape
// GRAPH: return %[[R]]

// LINALG-LABEL: func.func @shift
// LINALG: linalg.generic
// LINALG: arith.addf
// LINALG: tensor.collapse_shape {{.*}} : tensor<2x3xf32> into tensor<6xf32>

// BUF-LABEL: func.func @shift
// BUF-SAME: (%{{.*}}: memref<2x3xf32>, %[[OUT:.*]]: memref<6xf32>)
// BUF: memref.collapse_shape
// BUF: memref.copy %{{.*}}, %[[OUT]]
// BUF: return{{$}}

// LLVM-LABEL: llvm.func @shift
// LLVM-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) {
// LLVM: llvm.fadd
// LLVM: llvm.intr.memcpy
// LLVM: llvm.return{{$}}

// IR-LABEL: define void @shift(ptr %{{.*}}, ptr %{{.*}})
// IR: fadd float
// IR: call void @llvm.memcpy
// IR: ret void
func.func @shift(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  %c = ember.constant dense<1.0> : tensor<3xf32>
  %b = ember.broadcast_to %c : tensor<3xf32> -> tensor<2x3xf32>
  %0 = ember.add %x, %b : tensor<2x3xf32>
  %1 = ember.reshape %0 : tensor<2x3xf32> -> tensor<3x2xf32>
  %2 = ember.reshape %1 : tensor<3x2xf32> -> tensor<6xf32>
  return %2 : tensor<6xf32>
}
