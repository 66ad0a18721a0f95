//===- Passes.td - Graph-level ember passes ----------------*- tablegen -*-===//
//
// Part of Ember. Rewrites of ember IR before it is lowered.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DIALECT_EMBER_TRANSFORMS_PASSES_TD
#define EMBER_DIALECT_EMBER_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Fusion
//===----------------------------------------------------------------------===//

def EmberFuseLinearReluPass : Pass<"ember-fuse-linear-relu", "::mlir::func::FuncOp"> {
  let summary = "Fold ember.relu(ember.linear(...)) into ember.linear_relu";
  let description = [{
    Fires only when the linear result has exactly one use (the relu): a
    linear whose pre-activation value is also needed elsewhere stays, since
    fusing would have to compute it twice.

    Before:
    ```mlir
    %0 = ember.linear %x, %w, %b : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
    %1 = ember.relu %0 : tensor<64x512xf32>
    ```
    After:
    ```mlir
    %1 = ember.linear_relu %x, %w, %b : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
    ```
  }];
  let dependentDialects = ["::mlir::ember::EmberDialect"];
}

def EmberFuseConvBiasReluPass : Pass<"ember-fuse-conv-bias-relu", "::mlir::func::FuncOp"> {
  let summary = "Fold ember.relu(ember.conv2d(...)) into ember.conv2d_relu";
  let description = [{
    The convolution's counterpart of `ember-fuse-linear-relu`: fires only
    when the convolution's result has exactly one use (the relu), with or
    without a bias. A convolution whose result is also needed elsewhere (a
    training step's ReLU mask reads it) stays, since fusing would have to
    compute it twice. The lowering applies the bias and the ReLU in the pass
    that moves the product into `[N, F, OH, OW]`; at inference a max pooling
    then reads the product itself (`ember-fuse-elementwise`).

    Before:
    ```mlir
    %0 = ember.conv2d %x, %w, %b stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<64x1x28x28xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<64x32x28x28xf32>
    %1 = ember.relu %0 : tensor<64x32x28x28xf32>
    ```
    After:
    ```mlir
    %1 = ember.conv2d_relu %x, %w, %b stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<64x1x28x28xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<64x32x28x28xf32>
    ```
  }];
  let dependentDialects = ["::mlir::ember::EmberDialect"];
}

//===----------------------------------------------------------------------===//
// Half types
//===----------------------------------------------------------------------===//

def EmberComputeHalfInF32Pass : Pass<"ember-compute-half-in-f32", "::mlir::func::FuncOp"> {
  let summary = "Compute ops on f16 and bf16 tensors in f32, rounding each result";
  let description = [{
    Float16 and bfloat16 are storage types in Ember: every op (but
    `ember.cast` and `ember.constant`) with an f16 or bf16 operand or result
    is rewritten to take its half operands converted to f32 and to compute
    in f32, and each of its half results becomes an `ember.cast` of the f32
    result back to the half type. That is what PyTorch's CPU kernels do
    for these types: an elementwise op rounds once, as a native half op
    would; reductions and products accumulate in f32 and round once at the
    end. A cast between a half type and anything but f32 goes through f32
    (as c10::Half and c10::BFloat16 convert). No op is left computing on a
    half type, so no backend needs half arithmetic.

    Before:
    ```mlir
    %0 = ember.add %a, %b : tensor<4xf16>
    ```
    After:
    ```mlir
    %0 = ember.cast %a : tensor<4xf16> -> tensor<4xf32>
    %1 = ember.cast %b : tensor<4xf16> -> tensor<4xf32>
    %2 = ember.add %0, %1 : tensor<4xf32>
    %3 = ember.cast %2 : tensor<4xf32> -> tensor<4xf16>
    ```
  }];
  let dependentDialects = ["::mlir::ember::EmberDialect"];
}

#endif // EMBER_DIALECT_EMBER_TRANSFORMS_PASSES_TD
