//===- EmberBase.td - Ember dialect definition -------------*- tablegen -*-===//
//
// Part of Ember. The `ember` dialect: the graph-level IR the frontend records.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DIALECT_EMBER_IR_EMBERBASE_TD
#define EMBER_DIALECT_EMBER_IR_EMBERBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/Traits.td"
include "mlir/IR/AttrTypeBase.td"

def Ember_Dialect : Dialect {
  let name = "ember";
  let cppNamespace = "::mlir::ember";
  let hasConstantMaterializer = 1;
  let summary = "Tensor-level graph operations recorded by the Ember frontend.";
  let description = [{
    The `ember` dialect is the graph IR of Ember, a lazy tensor framework. The
    C++ frontend records one `ember` op per tensor operation; a recorded graph
    becomes a `func.func` of `ember` ops, which graph passes (canonicalisation,
    fusion) rewrite and `convert-ember-to-linalg` lowers to `linalg`, `tensor`
    and `arith` on tensors.

    Every value is a statically shaped ranked tensor. Ops are strict about
    shapes: elementwise ops take operands of one type, and broadcasting is an
    explicit `ember.broadcast_to` (the frontend inserts it, following PyTorch's
    broadcasting rules). Weights follow PyTorch's layouts (`ember.linear` takes
    `weight` as `[out_features, in_features]`).

    ```mlir
    func.func @mlp(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
      %0 = ember.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
      %1 = ember.relu %0 : tensor<4x16xf32>
      return %1 : tensor<4x16xf32>
    }
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

/// Element types a tensor of the graph may hold. Floating-point first;
/// integers (int64, uint8 stored as i8) and booleans (i1) are carried too.
def Ember_ElementType : AnyTypeOf<[F32, F64, F16, BF16, I64, I32, I8, I1]>;
/// Element types that arithmetic is defined on (everything but i1).
def Ember_NumericType : AnyTypeOf<[F32, F64, F16, BF16, I64, I32, I8]>;

def Ember_Tensor : StaticShapeTensorOf<[Ember_ElementType]>;
def Ember_NumericTensor : StaticShapeTensorOf<[Ember_NumericType]>;
def Ember_FloatTensor : StaticShapeTensorOf<[F32, F64, F16, BF16]>;

//===----------------------------------------------------------------------===//
// Base op class
//===----------------------------------------------------------------------===//

class Ember_Op<string mnemonic, list<Trait> traits = []>
    : Op<Ember_Dialect, mnemonic, traits>;

#endif // EMBER_DIALECT_EMBER_IR_EMBERBASE_TD
