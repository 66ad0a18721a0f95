//===- Passes.td - Ember conversion passes -----------------*- tablegen -*-===//
//
// Part of Ember. Lowerings out of the `ember` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_CONVERSION_PASSES_TD
#define EMBER_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// EmberToLinalg
//===----------------------------------------------------------------------===//

def ConvertEmberToLinalgPass : Pass<"convert-ember-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower ember ops to linalg, tensor and arith ops on tensors";
  let description = [{
    Rewrites every `ember` op into destination-passing `linalg` ops on tensors
    (plus `tensor` reshapes and `arith` constants), the form that tiling,
    fusion, vectorisation and bufferisation upstream expect. Elementwise ops
    become `linalg.generic` with parallel iterators, so that
    `linalg-fuse-elementwise-ops` can merge chains of them; `ember.matmul`
    and `ember.linear` become contractions whose init holds zero or the
    broadcast bias, so the bias add is part of the matmul's accumulator.

    Before:
    ```mlir
    %0 = ember.relu %x : tensor<4xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<4xf32>
    %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
           ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %zero = arith.constant 0.0 : f32
      %m = arith.maximumf %in, %zero : f32
      linalg.yield %m : f32
    } -> tensor<4xf32>
    ```
    It is a full conversion: any `ember` op left over is an error, but for
    `ember.all_reduce`, which bufferization turns into a call to the runtime.
  }];
  let options = [
    Option<"noViews", "no-views", "bool", /*default=*/"false",
           "ember.slice and ember.slice_scatter as linalg.generic copies "
           "over the whole result, not tensor.extract_slice and "
           "tensor.insert_slice (views of a buffer once bufferized, which "
           "the GPU plan cannot address yet)">,
    Option<"winograd", "winograd", "bool", /*default=*/"false",
           "3x3 convolutions of stride 1 with at least 8 input channels "
           "(and their input gradients) by Winograd's F(2x2, 3x3): 16 "
           "products of C multiply-adds for each 2x2 block of outputs "
           "instead of 36, between passes of additions (the CPU's "
           "pipeline sets it)">,
    Option<"winogradPanelWidth", "winograd-panel-width", "int64_t",
           /*default=*/"0",
           "with `winograd`: the transformed filters as column panels of "
           "this width, read as they are by the CPU's register tiles (the "
           "CPU's pipeline passes two vectors of f32 lanes); 0: plain "
           "[C, F] matrices">,
    Option<"winogradBlockBytes", "winograd-block-bytes", "int64_t",
           /*default=*/"0",
           "with `winograd`: an image whose transformed tiles (16 (C + F) "
           "floats each) take more than this is done in bands of rows of "
           "tiles (the CPU's pipeline passes its L2's size); 0: whole images">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // EMBER_CONVERSION_PASSES_TD
