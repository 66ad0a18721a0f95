// RUN: ember-opt %s -split-input-file -verify-diagnostics

// One case per verifier branch in EmberOps.cpp, then failures of the ODS
// constraints (types, traits, attributes).

//===----------------------------------------------------------------------===//
// ember.matmul
//===----------------------------------------------------------------------===//

func.func @matmul_lhs_rank3(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'ember.matmul' op expects rank-2 operands, got [2, 3, 4] and [4, 5]}}
  %0 = ember.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_rhs_rank1(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'ember.matmul' op expects rank-2 operands, got [2, 3] and [3]}}
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @matmul_operand_element_types(%a: tensor<2x3xf32>, %b: tensor<3x4xf64>) {
  // expected-error @+1 {{'ember.matmul' op expects one element type for operands and result}}
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf64>) -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_result_element_type(%a: tensor<2x3xi64>, %b: tensor<3x4xi64>) {
  // expected-error @+1 {{'ember.matmul' op expects one element type for operands and result}}
  %0 = ember.matmul %a, %b : (tensor<2x3xi64>, tensor<3x4xi64>) -> tensor<2x4xi32>
  return
}

// -----

func.func @matmul_contracting(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'ember.matmul' op contracting dimensions differ: [2, 3] x [4, 5]}}
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_result_shape(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{'ember.matmul' op result shape should be [2, 5], got [5, 2]}}
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<5x2xf32>
  return
}

// -----

func.func @matmul_result_rank(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{'ember.matmul' op result shape should be [2, 5], got [10]}}
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<10xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ember.linear
//===----------------------------------------------------------------------===//

func.func @linear_input_rank(%x: tensor<8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{'ember.linear' op expects a rank-2 input and weight, got [8] and [4, 8]}}
  %0 = ember.linear %x, %w : (tensor<8xf32>, tensor<4x8xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<2x8xf32>, %w: tensor<4x8x1xf32>) {
  // expected-error @+1 {{'ember.linear' op expects a rank-2 input and weight, got [2, 8] and [4, 8, 1]}}
  %0 = ember.linear %x, %w : (tensor<2x8xf32>, tensor<4x8x1xf32>) -> tensor<2x4xf32>
  return
}

// -----

// The weight is [out, in]; passing it as [in, out] is the usual mistake.
func.func @linear_in_features(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{'ember.linear' op input features 8 do not match weight [8, 4] (weight is [out_features, in_features])}}
  %0 = ember.linear %x, %w : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_weight_element_type(%x: tensor<2x8xf32>, %w: tensor<4x8xf64>) {
  // expected-error @+1 {{'ember.linear' op expects one element type for operands and result}}
  %0 = ember.linear %x, %w : (tensor<2x8xf32>, tensor<4x8xf64>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_result_element_type(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{'ember.linear' op expects one element type for operands and result}}
  %0 = ember.linear %x, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf16>
  return
}

// -----

func.func @linear_bias_size(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{'ember.linear' op bias should be [4], got [5]}}
  %0 = ember.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<5xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_bias_rank(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<1x4xf32>) {
  // expected-error @+1 {{'ember.linear' op bias should be [4], got [1, 4]}}
  %0 = ember.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_bias_element_type(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{'ember.linear' op expects one element type for operands and result}}
  %0 = ember.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf64>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_result_shape(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'ember.linear' op result shape should be [2, 4], got [2, 8]}}
  %0 = ember.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ember.reshape
//===----------------------------------------------------------------------===//

func.func @reshape_element_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.reshape' op cannot reshape [2, 3] (6 elements) into [4, 2] (8 elements)}}
  %0 = ember.reshape %x : tensor<2x3xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @reshape_from_rank0_element_count(%x: tensor<f32>) {
  // expected-error @+1 {{'ember.reshape' op cannot reshape [] (1 elements) into [2] (2 elements)}}
  %0 = ember.reshape %x : tensor<f32> -> tensor<2xf32>
  return
}

// -----

func.func @reshape_element_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.reshape' op cannot change the element type}}
  %0 = ember.reshape %x : tensor<2x3xf32> -> tensor<6xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ember.slice, ember.slice_scatter
//===----------------------------------------------------------------------===//

func.func @slice_element_type(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{'ember.slice' op cannot change the element type}}
  %0 = ember.slice %x offsets = [0, 0] strides = [1, 1] : tensor<4x6xf32> -> tensor<2x2xf64>
  return
}

// -----

func.func @slice_rank(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{'ember.slice' op expects the result (rank 2), offsets (1) and strides (2) to match the rank 2 of [4, 6]}}
  %0 = ember.slice %x offsets = [0] strides = [1, 1] : tensor<4x6xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_negative_offset(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{'ember.slice' op dimension 1: offset -1 and stride 1 should be >= 0 and >= 1}}
  %0 = ember.slice %x offsets = [0, -1] strides = [1, 1] : tensor<4x6xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_zero_stride(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{'ember.slice' op dimension 0: offset 0 and stride 0 should be >= 0 and >= 1}}
  %0 = ember.slice %x offsets = [0, 0] strides = [0, 1] : tensor<4x6xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_outside(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{'ember.slice' op dimension 1: a box of 4 elements at offset 1 with stride 2 does not fit in size 6 of [4, 6]}}
  %0 = ember.slice %x offsets = [0, 1] strides = [1, 2] : tensor<4x6xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @slice_stride_overflow(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{'ember.slice' op dimension 1: a box of 3 elements at offset 1 with stride 9223372036854775807 does not fit in size 6 of [4, 6]}}
  %0 = ember.slice %x offsets = [0, 1] strides = [1, 9223372036854775807] : tensor<4x6xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @slice_scatter_outside(%x: tensor<4x6xf32>, %s: tensor<5x1xf32>) {
  // expected-error @+1 {{'ember.slice_scatter' op dimension 0: a box of 5 elements at offset 0 with stride 1 does not fit in size 4 of [4, 6]}}
  %0 = ember.slice_scatter %x, %s offsets = [0, 0] strides = [1, 1] : (tensor<4x6xf32>, tensor<5x1xf32>) -> tensor<4x6xf32>
  return
}

// -----

func.func @slice_scatter_source_rank(%x: tensor<4x6xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'ember.slice_scatter' op expects the source (rank 1), offsets (2) and strides (2) to match the rank 2 of [4, 6]}}
  %0 = ember.slice_scatter %x, %s offsets = [0, 0] strides = [1, 1] : (tensor<4x6xf32>, tensor<4xf32>) -> tensor<4x6xf32>
  return
}

// -----

func.func @slice_scatter_result_type(%x: tensor<4x6xf32>, %s: tensor<4x1xf32>) {
  // expected-error @+1 {{'ember.slice_scatter' op failed to verify that all of {dest, result} have same type}}
  %0 = ember.slice_scatter %x, %s offsets = [0, 0] strides = [1, 1] : (tensor<4x6xf32>, tensor<4x1xf32>) -> tensor<4x6xf64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ember.transpose
//===----------------------------------------------------------------------===//

func.func @transpose_permutation_length(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.transpose' op permutation has 3 entries for a rank-2 input}}
  %0 = ember.transpose %x [1, 0, 2] : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @transpose_repeated_entry(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.transpose' op permutation [0, 0] is not a permutation of [0, 2)}}
  %0 = ember.transpose %x [0, 0] : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @transpose_entry_out_of_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.transpose' op permutation [2, 0] is not a permutation of [0, 2)}}
  %0 = ember.transpose %x [2, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @transpose_negative_entry(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.transpose' op permutation [-1, 0] is not a permutation of [0, 2)}}
  %0 = ember.transpose %x [-1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @transpose_element_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.transpose' op cannot change the element type}}
  %0 = ember.transpose %x [1, 0] : tensor<2x3xf32> -> tensor<3x2xf64>
  return
}

// -----

func.func @transpose_result_shape(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ember.transpose' op result shape should be [4, 2, 3], got [4, 3, 2]}}
  %0 = ember.transpose %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ember.broadcast_to
//===----------------------------------------------------------------------===//

func.func @broadcast_to_element_type(%x: tensor<3xf32>) {
  // expected-error @+1 {{'ember.broadcast_to' op cannot change the element type}}
  %0 = ember.broadcast_to %x : tensor<3xf32> -> tensor<2x3xi1>
  return
}

// -----

func.func @broadcast_to_lower_rank(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.broadcast_to' op cannot broadcast [2, 3] to the lower-rank shape [3]}}
  %0 = ember.broadcast_to %x : tensor<2x3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @broadcast_to_bad_dim(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.broadcast_to' op cannot broadcast [2, 3] to [4, 3]: dimension 0 is 2, not 1 or 4}}
  %0 = ember.broadcast_to %x : tensor<2x3xf32> -> tensor<4x3xf32>
  return
}

// -----

// Shapes align at the trailing dimension: [3] does not broadcast to [3, 2].
func.func @broadcast_to_leading_alignment(%x: tensor<3xf32>) {
  // expected-error @+1 {{'ember.broadcast_to' op cannot broadcast [3] to [3, 2]: dimension 0 is 3, not 1 or 2}}
  %0 = ember.broadcast_to %x : tensor<3xf32> -> tensor<3x2xf32>
  return
}

// -----

// A dimension may not shrink to 1.
func.func @broadcast_to_shrink(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.broadcast_to' op cannot broadcast [2, 3] to [2, 1]: dimension 1 is 3, not 1 or 1}}
  %0 = ember.broadcast_to %x : tensor<2x3xf32> -> tensor<2x1xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ember.sum
//===----------------------------------------------------------------------===//

func.func @sum_element_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.sum' op cannot change the element type}}
  %0 = ember.sum %x dims = [1] : tensor<2x3xf32> -> tensor<2xf64>
  return
}

// -----

func.func @sum_dim_out_of_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.sum' op dimension 2 is out of range for a rank-2 input}}
  %0 = ember.sum %x dims = [2] : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @sum_dim_negative(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.sum' op dimension -1 is out of range for a rank-2 input}}
  %0 = ember.sum %x dims = [-1] : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @sum_rank0_any_dim(%x: tensor<f32>) {
  // expected-error @+1 {{'ember.sum' op dimension 0 is out of range for a rank-0 input}}
  %0 = ember.sum %x dims = [0] : tensor<f32> -> tensor<f32>
  return
}

// -----

func.func @sum_dim_repeated(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.sum' op dimension 1 is listed twice}}
  %0 = ember.sum %x dims = [1, 0, 1] : tensor<2x3xf32> -> tensor<f32>
  return
}

// -----

func.func @sum_result_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.sum' op result shape should be [2], got [3]}}
  %0 = ember.sum %x dims = [1] : tensor<2x3xf32> -> tensor<3xf32>
  return
}

// -----

// Without keepdim the reduced dimension is dropped, not kept as 1.
func.func @sum_result_shape_without_keepdim(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.sum' op result shape should be [2], got [2, 1]}}
  %0 = ember.sum %x dims = [1] : tensor<2x3xf32> -> tensor<2x1xf32>
  return
}

// -----

// With keepdim the reduced dimension stays, of size 1.
func.func @sum_result_shape_with_keepdim(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.sum' op result shape should be [2, 1], got [2]}}
  %0 = ember.sum %x dims = [1] keepdim : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @sum_all_result_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.sum' op result shape should be [], got [1]}}
  %0 = ember.sum %x dims = [0, 1] : tensor<2x3xf32> -> tensor<1xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ODS constraints
//===----------------------------------------------------------------------===//

// The custom form has one type, so mismatched operands need the generic form.
func.func @add_mismatched_types(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) {
  // expected-error @+1 {{'ember.add' op requires the same type for all operands and results}}
  %0 = "ember.add"(%a, %b) : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @mul_mismatched_element_types(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{'ember.mul' op requires the same type for all operands and results}}
  %0 = "ember.mul"(%a, %b) : (tensor<4xf32>, tensor<4xf64>) -> tensor<4xf32>
  return
}

// -----

func.func @relu_result_type(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.relu' op requires the same type for all operands and results}}
  %0 = "ember.relu"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf64>
  return
}

// -----

func.func @relu_dynamic_shape(%a: tensor<?x3xf32>) {
  // expected-error @+1 {{'ember.relu' op operand #0 must be statically shaped tensor of}}
  %0 = ember.relu %a : tensor<?x3xf32>
  return
}

// -----

func.func @reshape_dynamic_result(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.reshape' op result #0 must be statically shaped tensor of}}
  %0 = ember.reshape %a : tensor<2x3xf32> -> tensor<?xf32>
  return
}

// -----

func.func @add_i1(%a: tensor<2xi1>) {
  // expected-error @+1 {{'ember.add' op operand #0 must be statically shaped tensor of 32-bit float or 64-bit float or 16-bit float or bfloat16 type or 64-bit signless integer or 32-bit signless integer or 8-bit signless integer values, but got 'tensor<2xi1>'}}
  %0 = ember.add %a, %a : tensor<2xi1>
  return
}

// -----

func.func @sum_i1(%a: tensor<2xi1>) {
  // expected-error @+1 {{'ember.sum' op operand #0 must be statically shaped tensor of}}
  %0 = ember.sum %a dims = [0] : tensor<2xi1> -> tensor<i1>
  return
}

// -----

func.func @linear_integers(%x: tensor<2x4xi64>, %w: tensor<3x4xi64>) {
  // expected-error @+1 {{'ember.linear' op operand #0 must be statically shaped tensor of 32-bit float or 64-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x4xi64>'}}
  %0 = ember.linear %x, %w : (tensor<2x4xi64>, tensor<3x4xi64>) -> tensor<2x3xi64>
  return
}

// -----

func.func @transpose_unsupported_element_type(%a: tensor<2x3xi16>) {
  // expected-error @+1 {{'ember.transpose' op operand #0 must be statically shaped tensor of}}
  %0 = ember.transpose %a [1, 0] : tensor<2x3xi16> -> tensor<3x2xi16>
  return
}

// -----

func.func @transpose_missing_permutation(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.transpose' op requires attribute 'permutation'}}
  %0 = "ember.transpose"(%a) : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @sum_missing_dims(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.sum' op requires attribute 'dims'}}
  %0 = "ember.sum"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @constant_type_mismatch() {
  // expected-error @+1 {{'ember.constant' op failed to verify that all of {value, result} have same type}}
  %0 = "ember.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  return
}

// -----

func.func @constant_unsupported_element_type() {
  // expected-error @+1 {{'ember.constant' op result #0 must be statically shaped tensor of}}
  %0 = ember.constant dense<1> : tensor<2xi16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ember.max, ember.min (verifyReduction, shared with ember.sum)
//===----------------------------------------------------------------------===//

func.func @max_element_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.max' op cannot change the element type}}
  %0 = ember.max %x dims = [1] : tensor<2x3xf32> -> tensor<2xf64>
  return
}

// -----

func.func @min_element_type(%x: tensor<2x3xi64>) {
  // expected-error @+1 {{'ember.min' op cannot change the element type}}
  %0 = ember.min %x dims = [1] : tensor<2x3xi64> -> tensor<2xi32>
  return
}

// -----

func.func @max_dim_out_of_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.max' op dimension 2 is out of range for a rank-2 input}}
  %0 = ember.max %x dims = [2] : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @min_dim_negative(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.min' op dimension -1 is out of range for a rank-2 input}}
  %0 = ember.min %x dims = [-1] : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @max_dim_repeated(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.max' op dimension 0 is listed twice}}
  %0 = ember.max %x dims = [0, 0] : tensor<2x3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @min_dim_repeated(%x: tensor<2x3xi8>) {
  // expected-error @+1 {{'ember.min' op dimension 1 is listed twice}}
  %0 = ember.min %x dims = [1, 0, 1] : tensor<2x3xi8> -> tensor<i8>
  return
}

// -----

// Without keepdim the reduced dimension is dropped, not kept as 1.
func.func @max_result_shape_without_keepdim(%x: tensor<64x10xf32>) {
  // expected-error @+1 {{'ember.max' op result shape should be [64], got [64, 1]}}
  %0 = ember.max %x dims = [1] : tensor<64x10xf32> -> tensor<64x1xf32>
  return
}

// -----

// With keepdim the reduced dimension stays, of size 1.
func.func @max_result_shape_with_keepdim(%x: tensor<64x10xf32>) {
  // expected-error @+1 {{'ember.max' op result shape should be [64, 1], got [64]}}
  %0 = ember.max %x dims = [1] keepdim : tensor<64x10xf32> -> tensor<64xf32>
  return
}

// -----

func.func @min_result_shape(%x: tensor<64x10xf32>) {
  // expected-error @+1 {{'ember.min' op result shape should be [10], got [64]}}
  %0 = ember.min %x dims = [0] : tensor<64x10xf32> -> tensor<64xf32>
  return
}

// -----

func.func @min_result_shape_with_keepdim(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ember.min' op result shape should be [1, 3, 1], got [3]}}
  %0 = ember.min %x dims = [0, 2] keepdim : tensor<2x3x4xf32> -> tensor<3xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ember.argmax
//===----------------------------------------------------------------------===//

func.func @argmax_dim_out_of_range(%x: tensor<64x10xf32>) {
  // expected-error @+1 {{'ember.argmax' op dimension 2 is out of range for a rank-2 input}}
  %0 = ember.argmax %x dim = 2 : tensor<64x10xf32> -> tensor<64xi64>
  return
}

// -----

func.func @argmax_dim_negative(%x: tensor<64x10xf32>) {
  // expected-error @+1 {{'ember.argmax' op dimension -1 is out of range for a rank-2 input}}
  %0 = ember.argmax %x dim = -1 : tensor<64x10xf32> -> tensor<64xi64>
  return
}

// -----

func.func @argmax_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{'ember.argmax' op dimension 0 is out of range for a rank-0 input}}
  %0 = ember.argmax %x dim = 0 : tensor<f32> -> tensor<i64>
  return
}

// -----

func.func @argmax_result_shape(%x: tensor<64x10xf32>) {
  // expected-error @+1 {{'ember.argmax' op result shape should be [64], got [10]}}
  %0 = ember.argmax %x dim = 1 : tensor<64x10xf32> -> tensor<10xi64>
  return
}

// -----

// Without keepdim the dimension is dropped, not kept as 1.
func.func @argmax_result_shape_without_keepdim(%x: tensor<64x10xf32>) {
  // expected-error @+1 {{'ember.argmax' op result shape should be [64], got [64, 1]}}
  %0 = ember.argmax %x dim = 1 : tensor<64x10xf32> -> tensor<64x1xi64>
  return
}

// -----

// With keepdim the dimension stays, of size 1.
func.func @argmax_result_shape_with_keepdim(%x: tensor<2x3x4xi64>) {
  // expected-error @+1 {{'ember.argmax' op result shape should be [2, 1, 4], got [2, 4]}}
  %0 = ember.argmax %x dim = 1 keepdim : tensor<2x3x4xi64> -> tensor<2x4xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Comparisons, ember.select, ember.cast
//===----------------------------------------------------------------------===//

func.func @eq_result_shape(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{'ember.eq' op result shape [8, 4] differs from the operands' [4, 8]}}
  %0 = ember.eq %a, %a : tensor<4x8xf32> -> tensor<8x4xi1>
  return
}

// -----

func.func @lt_result_rank0(%a: tensor<3xi64>) {
  // expected-error @+1 {{'ember.lt' op result shape [] differs from the operands' [3]}}
  %0 = ember.lt %a, %a : tensor<3xi64> -> tensor<i1>
  return
}

// -----

func.func @ge_result_shape(%a: tensor<3xi8>) {
  // expected-error @+1 {{'ember.ge' op result shape [1, 3] differs from the operands' [3]}}
  %0 = ember.ge %a, %a : tensor<3xi8> -> tensor<1x3xi1>
  return
}

// -----

func.func @select_condition_shape(%c: tensor<8x4xi1>, %a: tensor<4x8xf32>) {
  // expected-error @+1 {{'ember.select' op condition shape [8, 4] differs from the values' [4, 8]}}
  %0 = ember.select %c, %a, %a : tensor<8x4xi1>, tensor<4x8xf32>
  return
}

// -----

// A rank-0 condition does not broadcast.
func.func @select_condition_rank0(%c: tensor<i1>, %a: tensor<4xi64>) {
  // expected-error @+1 {{'ember.select' op condition shape [] differs from the values' [4]}}
  %0 = ember.select %c, %a, %a : tensor<i1>, tensor<4xi64>
  return
}

// -----

func.func @cast_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ember.cast' op cannot change the shape: [2, 3] vs [3, 2]}}
  %0 = ember.cast %x : tensor<2x3xf32> -> tensor<3x2xi64>
  return
}

// -----

func.func @cast_rank(%x: tensor<6xi1>) {
  // expected-error @+1 {{'ember.cast' op cannot change the shape: [6] vs [1, 6]}}
  %0 = ember.cast %x : tensor<6xi1> -> tensor<1x6xi1>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ODS constraints of the new ops
//===----------------------------------------------------------------------===//

func.func @exp_integers(%a: tensor<4xi64>) {
  // expected-error @+1 {{'ember.exp' op operand #0 must be statically shaped tensor of 32-bit float or 64-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi64>'}}
  %0 = ember.exp %a : tensor<4xi64>
  return
}

// -----

func.func @log_i1(%a: tensor<4xi1>) {
  // expected-error @+1 {{'ember.log' op operand #0 must be statically shaped tensor of 32-bit float or 64-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi1>'}}
  %0 = ember.log %a : tensor<4xi1>
  return
}

// -----

func.func @exp_result_type(%a: tensor<4xf32>) {
  // expected-error @+1 {{'ember.exp' op requires the same type for all operands and results}}
  %0 = "ember.exp"(%a) : (tensor<4xf32>) -> tensor<4xf64>
  return
}

// -----

func.func @max_i1(%a: tensor<2xi1>) {
  // expected-error @+1 {{'ember.max' op operand #0 must be statically shaped tensor of}}
  %0 = ember.max %a dims = [0] : tensor<2xi1> -> tensor<i1>
  return
}

// -----

func.func @argmax_result_i32(%x: tensor<64x10xf32>) {
  // expected-error @+1 {{'ember.argmax' op result #0 must be statically shaped tensor of 64-bit signless integer values, but got 'tensor<64xi32>'}}
  %0 = ember.argmax %x dim = 1 : tensor<64x10xf32> -> tensor<64xi32>
  return
}

// -----

func.func @argmax_i1(%x: tensor<4xi1>) {
  // expected-error @+1 {{'ember.argmax' op operand #0 must be statically shaped tensor of}}
  %0 = ember.argmax %x dim = 0 : tensor<4xi1> -> tensor<i64>
  return
}

// -----

func.func @argmax_missing_dim(%x: tensor<4xf32>) {
  // expected-error @+1 {{'ember.argmax' op requires attribute 'dim'}}
  %0 = "ember.argmax"(%x) : (tensor<4xf32>) -> tensor<i64>
  return
}

// -----

func.func @gt_result_not_i1(%a: tensor<4xf32>) {
  // expected-error @+1 {{'ember.gt' op result #0 must be statically shaped tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = ember.gt %a, %a : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

// The custom form has one operand type, so mismatched operands need the
// generic form.
func.func @ne_mismatched_operands(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{'ember.ne' op requires all operands to have the same type}}
  %0 = "ember.ne"(%a, %b) : (tensor<4xf32>, tensor<4xf64>) -> tensor<4xi1>
  return
}

// -----

func.func @select_condition_not_i1(%c: tensor<4xi8>, %a: tensor<4xf32>) {
  // expected-error @+1 {{'ember.select' op operand #0 must be statically shaped tensor of 1-bit signless integer values, but got 'tensor<4xi8>'}}
  %0 = ember.select %c, %a, %a : tensor<4xi8>, tensor<4xf32>
  return
}

// -----

func.func @select_mismatched_values(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{'ember.select' op failed to verify that all of {true_value, false_value, result} have same type}}
  %0 = "ember.select"(%c, %a, %b) : (tensor<4xi1>, tensor<4xf32>, tensor<4xf64>) -> tensor<4xf32>
  return
}

// -----

func.func @select_result_type(%c: tensor<4xi1>, %a: tensor<4xi64>) {
  // expected-error @+1 {{'ember.select' op failed to verify that all of {true_value, false_value, result} have same type}}
  %0 = "ember.select"(%c, %a, %a) : (tensor<4xi1>, tensor<4xi64>, tensor<4xi64>) -> tensor<4xi32>
  return
}

// -----

func.func @cast_unsupported_element_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'ember.cast' op result #0 must be statically shaped tensor of}}
  %0 = ember.cast %x : tensor<4xf32> -> tensor<4xi16>
  return
}

// -----

// linear_relu shares ember.linear's verifier.
func.func @linear_relu_features(%x: tensor<4x8xf32>, %w: tensor<2x7xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'ember.linear_relu' op input features 8 do not match weight [2, 7] (weight is [out_features, in_features])}}
  %0 = ember.linear_relu %x, %w : (tensor<4x8xf32>, tensor<2x7xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @linear_relu_bias(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>, %b: tensor<3xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'ember.linear_relu' op bias should be [2], got [3]}}
  %0 = ember.linear_relu %x, %w, %b : (tensor<4x8xf32>, tensor<2x8xf32>, tensor<3xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @sigmoid_of_int(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'ember.sigmoid' op operand #0 must be statically shaped tensor of 32-bit float or 64-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi32>'}}
  %0 = ember.sigmoid %a : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @tanh_of_int(%a: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{'ember.tanh' op operand #0 must be statically shaped tensor of 32-bit float or 64-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi64>'}}
  %0 = ember.tanh %a : tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @erf_of_int(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'ember.erf' op operand #0 must be statically shaped tensor of 32-bit float or 64-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi32>'}}
  %0 = ember.erf %a : tensor<4xi32>
  return %0 : tensor<4xi32>
}

//===----------------------------------------------------------------------===//
// ember.conv2d, ember.conv2d_grad_input, ember.conv2d_grad_weight
//===----------------------------------------------------------------------===//

// -----

func.func @conv2d_stride_count(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d' op stride should have 2 values (height, width), got [1]}}
  %0 = ember.conv2d %x, %w stride = [1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @conv2d_zero_stride(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d' op stride [0, 1] should be at least 1}}
  %0 = ember.conv2d %x, %w stride = [0, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @conv2d_negative_padding(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d' op padding [0, -1] should be at least 0}}
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [0, -1] dilation = [1, 1] groups = 1 : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @conv2d_zero_groups(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d' op groups should be at least 1, got 0}}
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 0 : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @conv2d_input_rank(%x: tensor<2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d' op expects a rank-4 input, got [2, 5, 5]}}
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @conv2d_element_types(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf64>) {
  // expected-error @+1 {{'ember.conv2d' op expects one element type for operands and result}}
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf64>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @conv2d_groups_divide(%x: tensor<1x3x5x5xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d' op input channels 3 and output channels 4 should both be multiples of groups 2}}
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 2 : (tensor<1x3x5x5xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x3x3xf32>
  return
}

// -----

func.func @conv2d_channels_per_group(%x: tensor<1x4x5x5xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d' op weight [4, 4, 3, 3] should have 2 input channels per group (input [1, 4, 5, 5], groups 2)}}
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 2 : (tensor<1x4x5x5xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return
}

// -----

func.func @conv2d_kernel_too_large(%x: tensor<1x2x2x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d' op the kernel [3, 3] (dilation [1, 1]) is larger than the padded input [2, 5] (padding [0, 0])}}
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<1x2x2x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x1x3xf32>
  return
}

// -----

func.func @conv2d_output_shape(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d' op result shape should be [1, 3, 3, 3] for input [1, 2, 5, 5] and weight [3, 2, 3, 3], got [1, 3, 5, 5]}}
  %0 = ember.conv2d %x, %w stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x5x5xf32>
  return
}

// -----

func.func @conv2d_bias_shape(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{'ember.conv2d' op bias should be [3], got [2]}}
  %0 = ember.conv2d %x, %w, %b stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>, tensor<2xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

// ember.conv2d_relu checks what ember.conv2d checks.
func.func @conv2d_relu_bias_shape(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{'ember.conv2d_relu' op bias should be [3], got [2]}}
  %0 = ember.conv2d_relu %x, %w, %b stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>, tensor<2xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @conv2d_relu_result_shape(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d_relu' op result shape should be [1, 3, 3, 3] for input [1, 2, 5, 5] and weight [3, 2, 3, 3], got [1, 3, 5, 5]}}
  %0 = ember.conv2d_relu %x, %w stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x5x5xf32>
  return
}

// -----

func.func @conv2d_grad_input_shape(%dy: tensor<1x3x3x3xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d_grad_input' op grad_output shape should be [1, 3, 4, 4] for input [1, 2, 6, 6] and weight [3, 2, 3, 3], got [1, 3, 3, 3]}}
  %0 = ember.conv2d_grad_input %dy, %w stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<1x3x3x3xf32>, tensor<3x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return
}

// -----

func.func @conv2d_grad_weight_shape(%x: tensor<1x2x5x5xf32>, %dy: tensor<1x3x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d_grad_weight' op weight [3, 4, 3, 3] should have 2 input channels per group (input [1, 2, 5, 5], groups 1)}}
  %0 = ember.conv2d_grad_weight %x, %dy stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<1x2x5x5xf32>, tensor<1x3x3x3xf32>) -> tensor<3x4x3x3xf32>
  return
}

// -----

func.func @conv2d_window_overflow(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{'ember.conv2d' op the window's extent overflows 64 bits}}
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [0, 0] dilation = [4611686018427387904, 1] groups = 1 : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return
}

//===----------------------------------------------------------------------===//
// ember.max_pool2d, ember.max_pool2d_grad
//===----------------------------------------------------------------------===//

// -----

func.func @max_pool2d_kernel_count(%x: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{'ember.max_pool2d' op kernel should have 2 values (height, width), got [2]}}
  %0 = ember.max_pool2d %x kernel = [2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return
}

// -----

func.func @max_pool2d_zero_kernel(%x: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{'ember.max_pool2d' op kernel [0, 2] should be at least 1}}
  %0 = ember.max_pool2d %x kernel = [0, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return
}

// -----

func.func @max_pool2d_rank(%x: tensor<2x4x4xf32>) {
  // expected-error @+1 {{'ember.max_pool2d' op expects rank-4 tensors, got [2, 4, 4] and [2, 2, 2]}}
  %0 = ember.max_pool2d %x kernel = [2, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : tensor<2x4x4xf32> -> tensor<2x2x2xf32>
  return
}

// -----

func.func @max_pool2d_padding_over_half(%x: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{'ember.max_pool2d' op padding [2, 0] should be at most half the window [2, 2] (dilation [1, 1])}}
  %0 = ember.max_pool2d %x kernel = [2, 2] stride = [2, 2] padding = [2, 0] dilation = [1, 1] : tensor<1x2x4x4xf32> -> tensor<1x2x4x2xf32>
  return
}

// -----

func.func @max_pool2d_window_too_large(%x: tensor<1x2x2x4xf32>) {
  // expected-error @+1 {{'ember.max_pool2d' op the window [3, 2] (dilation [1, 1]) is larger than the padded input [2, 4] (padding [0, 0])}}
  %0 = ember.max_pool2d %x kernel = [3, 2] stride = [1, 1] padding = [0, 0] dilation = [1, 1] : tensor<1x2x2x4xf32> -> tensor<1x2x1x3xf32>
  return
}

// -----

func.func @max_pool2d_result_shape(%x: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{'ember.max_pool2d' op result shape should be [1, 2, 2, 2] for input [1, 2, 4, 4], got [1, 2, 3, 3]}}
  %0 = ember.max_pool2d %x kernel = [2, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : tensor<1x2x4x4xf32> -> tensor<1x2x3x3xf32>
  return
}

// -----

func.func @max_pool2d_grad_result_type(%dy: tensor<1x2x2x2xf32>, %x: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{'ember.max_pool2d_grad' op result type should be the input's, 'tensor<1x2x4x4xf32>', got 'tensor<1x2x4x5xf32>'}}
  %0 = ember.max_pool2d_grad %dy, %x kernel = [2, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x5xf32>
  return
}

// -----

func.func @max_pool2d_grad_output_shape(%dy: tensor<1x2x3x3xf32>, %x: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{'ember.max_pool2d_grad' op grad_output shape should be [1, 2, 2, 2] for input [1, 2, 4, 4], got [1, 2, 3, 3]}}
  %0 = ember.max_pool2d_grad %dy, %x kernel = [2, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : (tensor<1x2x3x3xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return
}

// -----

// Dilation 2 over a 1-wide input with padding 1: the window's two
// elements sit at -1 and 1, both outside.
func.func @max_pool2d_empty_window(%x: tensor<1x2x4x1xf32>) {
  // expected-error @+1 {{'ember.max_pool2d' op window 0 along dim 3 holds no element of input [1, 2, 4, 1]}}
  %0 = ember.max_pool2d %x kernel = [1, 2] stride = [1, 2] padding = [0, 1] dilation = [1, 2] : tensor<1x2x4x1xf32> -> tensor<1x2x4x1xf32>
  return
}

// -----

func.func @random_uniform_seed_rank(%seed: tensor<2xi64>, %offset: tensor<i64>) {
  // expected-error @+1 {{'ember.random_uniform' op seed and offset should be rank-0 tensors, got 'tensor<2xi64>'}}
  %0 = ember.random_uniform %seed, %offset : (tensor<2xi64>, tensor<i64>) -> tensor<4xf32>
  return
}

// -----

func.func @random_uniform_int_result(%seed: tensor<i64>, %offset: tensor<i64>) {
  // expected-error @+1 {{'ember.random_uniform' op result #0 must be statically shaped tensor of 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = ember.random_uniform %seed, %offset : (tensor<i64>, tensor<i64>) -> tensor<4xi32>
  return
}

// -----

func.func @all_reduce_int(%g: tensor<4xi64>) {
  // expected-error @+1 {{'ember.all_reduce' op operand #0 must be statically shaped tensor of 32-bit float or 64-bit float values, but got 'tensor<4xi64>'}}
  %0 = ember.all_reduce %g : tensor<4xi64>
  return
}

// -----

func.func @all_reduce_types(%g: tensor<4xf32>) {
  // expected-error @+1 {{'ember.all_reduce' op requires the same type for all operands and results}}
  %0 = "ember.all_reduce"(%g) : (tensor<4xf32>) -> tensor<5xf32>
  return
}
