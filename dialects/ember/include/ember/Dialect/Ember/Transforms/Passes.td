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

#endif // EMBER_DIALECT_EMBER_TRANSFORMS_PASSES_TD
