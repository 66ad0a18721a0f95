// RUN: not ember-opt %s -split-input-file 2>&1 | FileCheck %s

// IR the parser rejects. Each case must give a diagnostic (and no crash:
// `not` fails on a crash).

// CHECK: malformed.mlir:[[@LINE+2]]:20: error: expected ','
func.func @missing_comma(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
  %0 = ember.add %a %b : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:8: error: custom op 'ember.frobnicate' is unknown
func.func @unknown_op(%a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = ember.frobnicate %a : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:8: error: unregistered operation 'ember.frobnicate' found in dialect ('ember') that does not allow unknown operations
func.func @unknown_op_generic(%a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "ember.frobnicate"(%a) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:24: error: custom op 'ember.relu' invalid kind of type specified: expected builtin.tensor, but found 'f32'
func.func @scalar_type(%a: f32) -> f32 {
  %0 = ember.relu %a : f32
  return %0 : f32
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:27: error: custom op 'ember.add' invalid kind of type specified: expected builtin.tensor, but found 'vector<4xf32>'
func.func @vector_type(%a: vector<4xf32>) {
  %0 = ember.add %a, %a : vector<4xf32>
  return
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:23: error: custom op 'ember.neg' invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'
func.func @unranked_type(%a: tensor<*xf32>) {
  %0 = ember.neg %a : tensor<*xf32>
  return
}

// -----

// The single type of a unary op must be the operand's type.
// CHECK: malformed.mlir:[[@LINE+2]]:18: error: use of value '%a' expects different type than prior uses: 'tensor<3xf32>' vs 'tensor<2xf32>'
func.func @type_disagrees_with_operand(%a: tensor<2xf32>) -> tensor<3xf32> {
  %0 = ember.neg %a : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:30: error: custom op 'ember.matmul' invalid kind of type specified: expected builtin.function, but found 'tensor<2x2xf32>'
func.func @matmul_plain_type(%a: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %0 = ember.matmul %a, %a : tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:23: error: custom op 'ember.constant' invalid kind of attribute specified
func.func @constant_not_elements() -> tensor<2xf32> {
  %0 = ember.constant 1.0 : f32
  return %0 : tensor<2xf32>
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:19: error: use of undeclared SSA value name
func.func @undefined_value() -> tensor<2xf32> {
  %0 = ember.relu %nope : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:21: error: custom op 'ember.sum' expected 'dims'
func.func @sum_missing_dims(%a: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = ember.sum %a [1] : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:28: error: custom op 'ember.transpose' expected integer value
func.func @transpose_bad_permutation(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = ember.transpose %a [x, y] : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:42: error: expected '->'
func.func @reshape_missing_arrow(%a: tensor<2x3xf32>) -> tensor<6xf32> {
  %0 = ember.reshape %a : tensor<2x3xf32> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// CHECK: malformed.mlir:[[@LINE+2]]:23: error: expected ','
func.func @linear_missing_weight(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %0 = ember.linear %x : (tensor<2x8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// A function body cut off before its closing brace.
// CHECK: malformed.mlir:{{[0-9]+}}:{{[0-9]+}}: error: expected operation name in quotes
func.func @unterminated(%a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = ember.relu %a : tensor<2xf32>
