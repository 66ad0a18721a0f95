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

#endif // EMBER_DIALECT_EMBER_TRANSFORMS_PASSES_TD
