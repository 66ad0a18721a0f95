//===- Passes.td - Ember's compiler-level transforms -------*- tablegen -*-===//
//
// Part of Ember. Passes that prepare upstream IR (linalg, tensor, func) for
// the next stage; graph-level ember passes live with the dialect.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TRANSFORMS_PASSES_TD
#define EMBER_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Bufferization preparation
//===----------------------------------------------------------------------===//

def EmberDistinctResultsPass : Pass<"ember-distinct-results", "::mlir::func::FuncOp"> {
  let summary = "Give every tensor a function returns its own value";
  let description = [{
    Each result of a compiled graph becomes an out-parameter of its own
    (`buffer-results-to-out-params`), so no two results may be the same
    value. CSE and folding can merge two requested results into one value;
    this pass copies the repeats (`linalg.copy` into a fresh tensor) so that
    every returned operand is distinct. Function arguments returned as
    results are left alone: bufferization copies those anyway.

    Before:
    ```mlir
    return %0, %0 : tensor<4xf32>, tensor<4xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<4xf32>
    %c = linalg.copy ins(%0 : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    return %0, %c : tensor<4xf32>, tensor<4xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // EMBER_TRANSFORMS_PASSES_TD
