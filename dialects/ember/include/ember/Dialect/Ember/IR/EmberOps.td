//===- EmberOps.td - Ember dialect operations --------------*- tablegen -*-===//
//
// Part of Ember. Operations of the `ember` dialect. Each op has a one-line
// summary, a description with an IR example, honest traits and a verifier for
// whatever ODS constraints cannot say.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_DIALECT_EMBER_IR_EMBEROPS_TD
#define EMBER_DIALECT_EMBER_IR_EMBEROPS_TD

include "ember/Dialect/Ember/IR/EmberBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

def Ember_ConstantOp : Ember_Op<"constant",
    [Pure, ConstantLike, AllTypesMatch<["value", "result"]>]> {
  let summary = "A tensor whose elements are known when the graph is built.";
  let description = [{
    Produces a tensor from a dense elements attribute. The result type is the
    attribute's type.

    ```mlir
    %0 = ember.constant dense<[[0.0, 1.3], [2.8, 3.3]]> : tensor<2x2xf32>
    ```

    The frontend passes tensor data into a graph as function arguments, not
    as constants, so that graphs that differ only in values share one
    compiled artifact. Constants appear in hand-written and imported graphs.
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Ember_Tensor:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops
//===----------------------------------------------------------------------===//

class Ember_BinaryOp<string mnemonic, string what, string example>
    : Ember_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = "Elementwise " # what # " of two tensors of one type.";
  let description = [{
    Computes the elementwise }] # what # [{ of two tensors of the same shape
    and element type. Operands of different shapes must first be brought to
    one shape with `ember.broadcast_to`.

    ```mlir
    }] # example # [{

    ```
  }];
  let arguments = (ins Ember_NumericTensor:$lhs, Ember_NumericTensor:$rhs);
  let results = (outs Ember_NumericTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Ember_AddOp : Ember_BinaryOp<"add", "sum",
    "%2 = ember.add %0, %1 : tensor<2x3xf32>">;
def Ember_SubOp : Ember_BinaryOp<"sub", "difference",
    "%2 = ember.sub %0, %1 : tensor<2x3xf32>">;
def Ember_MulOp : Ember_BinaryOp<"mul", "product",
    "%2 = ember.mul %0, %1 : tensor<2x3xf32>">;
def Ember_DivOp : Ember_BinaryOp<"div", "quotient (true division for floats, truncating for integers)",
    "%2 = ember.div %0, %1 : tensor<2x3xf32>">;

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

class Ember_UnaryOp<string mnemonic, string summaryText, string example>
    : Ember_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = summaryText;
  let description = [{
    Applies the function to every element; the result has the operand's type.

    ```mlir
    }] # example # [{

    ```
  }];
  let arguments = (ins Ember_NumericTensor:$input);
  let results = (outs Ember_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Ember_NegOp : Ember_UnaryOp<"neg", "Elementwise negation.",
    "%1 = ember.neg %0 : tensor<4xf32>">;
def Ember_ReluOp : Ember_UnaryOp<"relu", "Elementwise rectified linear unit, max(x, 0).",
    "%1 = ember.relu %0 : tensor<64x512xf32>">;

class Ember_FloatUnaryOp<string mnemonic, string summaryText, string example>
    : Ember_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = summaryText;
  let description = [{
    Applies the function to every element of a floating-point tensor.

    ```mlir
    }] # example # [{

    ```
  }];
  let arguments = (ins Ember_FloatTensor:$input);
  let results = (outs Ember_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Ember_ExpOp : Ember_FloatUnaryOp<"exp", "Elementwise natural exponential.",
    "%1 = ember.exp %0 : tensor<64x10xf32>">;
def Ember_LogOp : Ember_FloatUnaryOp<"log", "Elementwise natural logarithm.",
    "%1 = ember.log %0 : tensor<64x10xf32>">;
def Ember_SqrtOp : Ember_FloatUnaryOp<"sqrt", "Elementwise square root.",
    "%1 = ember.sqrt %0 : tensor<512x784xf32>">;
def Ember_SigmoidOp : Ember_FloatUnaryOp<"sigmoid",
    "Elementwise logistic sigmoid, 1 / (1 + exp(-x)).",
    "%1 = ember.sigmoid %0 : tensor<64x128xf32>">;
def Ember_TanhOp : Ember_FloatUnaryOp<"tanh", "Elementwise hyperbolic tangent.",
    "%1 = ember.tanh %0 : tensor<64x128xf32>">;
def Ember_ErfOp : Ember_FloatUnaryOp<"erf", "Elementwise error function.",
    "%1 = ember.erf %0 : tensor<64x128xf32>">;

//===----------------------------------------------------------------------===//
// Comparisons, select and cast
//===----------------------------------------------------------------------===//

class Ember_CompareOp<string mnemonic, string relation>
    : Ember_Op<mnemonic, [Pure, SameTypeOperands]> {
  let summary = "Elementwise `lhs " # relation # " rhs`, as a boolean tensor.";
  let description = [{
    Compares two tensors of one type element by element; the result has their
    shape and element type `i1`. Floating-point comparisons are ordered
    (false when either side is NaN), except `ne`, which is true for NaN.
    `i8` holds uint8 values and compares unsigned.

    ```mlir
    %2 = ember.}] # mnemonic # [{ %0, %1 : tensor<64xi64> -> tensor<64xi1>
    ```
  }];
  let arguments = (ins Ember_Tensor:$lhs, Ember_Tensor:$rhs);
  let results = (outs StaticShapeTensorOf<[I1]>:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)";
  let hasVerifier = 1;
}

def Ember_EqOp : Ember_CompareOp<"eq", "==">;
def Ember_NeOp : Ember_CompareOp<"ne", "!=">;
def Ember_LtOp : Ember_CompareOp<"lt", "<">;
def Ember_LeOp : Ember_CompareOp<"le", "<=">;
def Ember_GtOp : Ember_CompareOp<"gt", ">">;
def Ember_GeOp : Ember_CompareOp<"ge", ">=">;

def Ember_SelectOp : Ember_Op<"select", [Pure, AllTypesMatch<["true_value", "false_value", "result"]>]> {
  let summary = "Elementwise choice between two tensors by a boolean tensor.";
  let description = [{
    `result[i] = condition[i] ? true_value[i] : false_value[i]` (PyTorch's
    `torch.where`). All operands have one shape.

    ```mlir
    %3 = ember.select %c, %a, %b : tensor<4x8xi1>, tensor<4x8xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[I1]>:$condition,
                       Ember_Tensor:$true_value, Ember_Tensor:$false_value);
  let results = (outs Ember_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $true_value `,` $false_value attr-dict `:` type($condition) `,` type($result)
  }];
  let hasVerifier = 1;
}

def Ember_CastOp : Ember_Op<"cast", [Pure]> {
  let summary = "Converts every element to another element type.";
  let description = [{
    Float to integer truncates toward zero; integer to float rounds to
    nearest; to `i1`, any nonzero value is true; `i1` to a number gives 0 or
    1. `i8` holds uint8 values (zero-extended, converted unsigned).

    ```mlir
    %1 = ember.cast %0 : tensor<64xi1> -> tensor<64xf32>
    ```
  }];
  let arguments = (ins Ember_Tensor:$input);
  let results = (outs Ember_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

def Ember_MatmulOp : Ember_Op<"matmul", [Pure]> {
  let summary = "Matrix product of two rank-2 tensors.";
  let description = [{
    `[M, K] x [K, N] -> [M, N]`, accumulated in the element type.

    ```mlir
    %2 = ember.matmul %0, %1 : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
    ```
  }];
  let arguments = (ins Ember_NumericTensor:$lhs, Ember_NumericTensor:$rhs);
  let results = (outs Ember_NumericTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

def Ember_LinearOp : Ember_Op<"linear", [Pure]> {
  let summary = "Affine layer x·Wᵀ + b with PyTorch's weight layout.";
  let description = [{
    `input` is `[M, in]`, `weight` is `[out, in]` (as `torch.nn.Linear` stores
    it) and the optional `bias` is `[out]`; the result is `[M, out]`.

    ```mlir
    %y = ember.linear %x, %w, %b : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
    %z = ember.linear %x, %w : (tensor<64x784xf32>, tensor<512x784xf32>) -> tensor<64x512xf32>
    ```
  }];
  let arguments = (ins Ember_FloatTensor:$input, Ember_FloatTensor:$weight,
                       Optional<Ember_FloatTensor>:$bias);
  let results = (outs Ember_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// LinearReluOp
//===----------------------------------------------------------------------===//

def Ember_LinearReluOp : Ember_Op<"linear_relu", [Pure]> {
  let summary = "Fused affine layer and ReLU, max(x·Wᵀ + b, 0).";
  let description = [{
    What `ember-fuse-linear-relu` makes of `ember.relu(ember.linear(...))`:
    one op, so that code generation computes the bias and the ReLU in the
    matmul's epilogue instead of in separate passes over memory. Operands
    and shapes are those of `ember.linear`.

    ```mlir
    %y = ember.linear_relu %x, %w, %b : (tensor<64x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<64x512xf32>
    ```
  }];
  let arguments = (ins Ember_FloatTensor:$input, Ember_FloatTensor:$weight,
                       Optional<Ember_FloatTensor>:$bias);
  let results = (outs Ember_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Conv2dOp, Conv2dGradInputOp, Conv2dGradWeightOp
//===----------------------------------------------------------------------===//

class Ember_Conv2dBase<string mnemonic> : Ember_Op<mnemonic, [Pure]> {
  let results = (outs Ember_FloatTensor:$result);
  let assemblyFormat = [{
    operands `stride` `=` $stride `padding` `=` $padding `dilation` `=` $dilation `groups` `=` $groups attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Ember_Conv2dOp : Ember_Conv2dBase<"conv2d"> {
  let summary = "2-D convolution (cross-correlation) with PyTorch's layouts.";
  let description = [{
    `input` is `[N, C, H, W]`, `weight` is `[F, C / groups, KH, KW]` (as
    `torch.nn.Conv2d` stores it) and the optional `bias` is `[F]`. The
    result is `[N, F, OH, OW]` with
    `OH = (H + 2 * padding[0] - dilation[0] * (KH - 1) - 1) / stride[0] + 1`
    (and likewise `OW`): the input is zero-padded by `padding` on each side,
    and output channel `f` of group `g = f / (F / groups)` reads input
    channels `g * C / groups` to `(g + 1) * C / groups - 1`. `stride`,
    `padding` and `dilation` hold the height's value then the width's.

    ```mlir
    %y = ember.conv2d %x, %w, %b stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<64x1x28x28xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<64x32x28x28xf32>
    ```
  }];
  let arguments = (ins Ember_FloatTensor:$input, Ember_FloatTensor:$weight,
                       Optional<Ember_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
}

def Ember_Conv2dReluOp : Ember_Conv2dBase<"conv2d_relu"> {
  let summary = "Fused 2-D convolution, bias and ReLU: relu(conv2d(x, w, b)).";
  let description = [{
    What `ember-fuse-conv-bias-relu` makes of
    `ember.relu(ember.conv2d(...))` when the convolution's result has no
    other user: operands, attributes and result as `ember.conv2d`'s, the
    result rectified. The lowering applies the bias and the ReLU in the one
    pass that moves the product into `[N, F, OH, OW]`.

    ```mlir
    %y = ember.conv2d_relu %x, %w, %b stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<64x1x28x28xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<64x32x28x28xf32>
    ```
  }];
  let arguments = (ins Ember_FloatTensor:$input, Ember_FloatTensor:$weight,
                       Optional<Ember_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
}

def Ember_Conv2dGradInputOp : Ember_Conv2dBase<"conv2d_grad_input"> {
  let summary = "Gradient of ember.conv2d with respect to its input.";
  let description = [{
    Given the gradient of a convolution's result `[N, F, OH, OW]` and its
    `weight` `[F, C / groups, KH, KW]`, computes the gradient of its input,
    of the result type `[N, C, H, W]` (the input's size cannot be recovered
    from `OH` when the stride exceeds 1, so the result type states it). The
    attributes are those of the convolution.

    ```mlir
    %dx = ember.conv2d_grad_input %dy, %w stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<8x16x7x7xf32>, tensor<16x3x3x3xf32>) -> tensor<8x3x14x14xf32>
    ```
  }];
  let arguments = (ins Ember_FloatTensor:$grad_output,
                       Ember_FloatTensor:$weight,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
}

def Ember_Conv2dGradWeightOp : Ember_Conv2dBase<"conv2d_grad_weight"> {
  let summary = "Gradient of ember.conv2d with respect to its weight.";
  let description = [{
    Given a convolution's `input` `[N, C, H, W]` and the gradient of its
    result `[N, F, OH, OW]`, computes the gradient of its weight, of the
    result type `[F, C / groups, KH, KW]`. The attributes are those of the
    convolution.

    ```mlir
    %dw = ember.conv2d_grad_weight %x, %dy stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<64x1x28x28xf32>, tensor<64x32x28x28xf32>) -> tensor<32x1x3x3xf32>
    ```
  }];
  let arguments = (ins Ember_FloatTensor:$input,
                       Ember_FloatTensor:$grad_output,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
}

//===----------------------------------------------------------------------===//
// MaxPool2dOp, MaxPool2dGradOp
//===----------------------------------------------------------------------===//

def Ember_MaxPool2dOp : Ember_Op<"max_pool2d", [Pure]> {
  let summary = "2-D max pooling with PyTorch's semantics.";
  let description = [{
    `input` is `[N, C, H, W]`; the result is `[N, C, OH, OW]` with
    `OH = (H + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) / stride[0] + 1`
    (likewise `OW`; PyTorch's `ceil_mode=False`). Each output is the maximum
    of its window; padding never wins (it is at most half the window, so
    every window holds an input element), and a NaN in a window is its
    maximum.

    ```mlir
    %y = ember.max_pool2d %x kernel = [2, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : tensor<64x32x28x28xf32> -> tensor<64x32x14x14xf32>
    ```
  }];
  let arguments = (ins Ember_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation);
  let results = (outs Ember_FloatTensor:$result);
  let assemblyFormat = [{
    $input `kernel` `=` $kernel `stride` `=` $stride `padding` `=` $padding `dilation` `=` $dilation attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ember_MaxPool2dGradOp : Ember_Op<"max_pool2d_grad", [Pure]> {
  let summary = "Gradient of ember.max_pool2d with respect to its input.";
  let description = [{
    Given the gradient of a max pooling's result and its `input`, computes
    the gradient of the input (of its type): each window's gradient goes to
    the element PyTorch's max_pool2d returns as that window's index (the
    first maximum in row-major order within the window, or the last NaN),
    summed where windows overlap. The attributes are those of the pooling.

    ```mlir
    %dx = ember.max_pool2d_grad %dy, %x kernel = [2, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : (tensor<64x32x14x14xf32>, tensor<64x32x28x28xf32>) -> tensor<64x32x28x28xf32>
    ```
  }];
  let arguments = (ins Ember_FloatTensor:$grad_output, Ember_FloatTensor:$input,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding, DenseI64ArrayAttr:$dilation);
  let results = (outs Ember_FloatTensor:$result);
  let assemblyFormat = [{
    operands `kernel` `=` $kernel `stride` `=` $stride `padding` `=` $padding `dilation` `=` $dilation attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// RandomUniformOp
//===----------------------------------------------------------------------===//

def Ember_RandomUniformOp : Ember_Op<"random_uniform", [Pure]> {
  let summary = "Uniform random numbers in [0, 1) from a counter-based generator.";
  let description = [{
    Element `i` (row-major) of the result is drawn by Philox4x32-10 with the
    64-bit key `seed` and the 128-bit counter `(offset + i, 0)`: the first
    32-bit word of the output, its upper 24 bits times 2^-24. The same seed
    and offset give the same numbers on every backend; the caller advances
    the offset past the elements it used for the next draw. `seed` and
    `offset` are rank-0 `i64` tensors, so that graphs differing only in them
    share a compiled artifact. (The op is pure: equal operands give equal
    numbers.)

    ```mlir
    %u = ember.random_uniform %seed, %offset : (tensor<i64>, tensor<i64>) -> tensor<64x128xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[I64]>:$seed,
                       StaticShapeTensorOf<[I64]>:$offset);
  let results = (outs StaticShapeTensorOf<[F32, F64]>:$result);
  let assemblyFormat = [{
    $seed `,` $offset attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// AllReduceOp
//===----------------------------------------------------------------------===//

def Ember_AllReduceOp : Ember_Op<"all_reduce", [SameOperandsAndResultType]> {
  let summary = "The elementwise sum of a tensor over every process of the job.";
  let description = [{
    Every process (rank) of a data-parallel job runs the same graph; the
    result is, on each of them, the sum over all ranks of their `input`s
    (MPI_Allreduce with MPI_SUM, ncclAllReduce with ncclSum). With one
    process (or none configured) it is the input. The op communicates:
    it is not pure, so it is neither removed nor merged with another, and
    every rank must reach its all-reduces in the same order (they do: the
    ranks compile the same graph). On the CPU it bufferizes in place and
    becomes a call to the runtime's `ember_all_reduce_f32` (or `_f64`),
    which hands the buffer to the collective backend the process set
    (`ember::distributed`).

    ```mlir
    %sum = ember.all_reduce %grads : tensor<669706xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[F32, F64]>:$input);
  let results = (outs StaticShapeTensorOf<[F32, F64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

def Ember_ReshapeOp : Ember_Op<"reshape", [Pure]> {
  let summary = "Reinterprets a tensor's elements, in row-major order, in a new shape.";
  let description = [{
    The result has the same element type and number of elements as the input.

    ```mlir
    %1 = ember.reshape %0 : tensor<64x1x28x28xf32> -> tensor<64x784xf32>
    ```
  }];
  let arguments = (ins Ember_Tensor:$input);
  let results = (outs Ember_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

def Ember_TransposeOp : Ember_Op<"transpose", [Pure]> {
  let summary = "Permutes the dimensions of a tensor.";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.

    ```mlir
    %1 = ember.transpose %0 [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
    ```
  }];
  let arguments = (ins Ember_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Ember_Tensor:$result);
  let assemblyFormat = "$input $permutation attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// SliceOp, SliceScatterOp
//===----------------------------------------------------------------------===//

def Ember_SliceOp : Ember_Op<"slice", [Pure]> {
  let summary = "A strided box of a tensor (PyTorch's basic indexing).";
  let description = [{
    Result element `(i0, i1, ...)` is input element
    `(offsets[0] + i0 * strides[0], offsets[1] + i1 * strides[1], ...)`; the
    result's shape gives the box's sizes. Offsets are at least 0, strides at
    least 1, and the box lies inside the input. PyTorch's `t[:, 1:5:2]`,
    `narrow`, `split` and `chunk` record it (an integer index is a slice of
    size 1 and an `ember.reshape` that drops the dimension).

    ```mlir
    %1 = ember.slice %0 offsets = [0, 1] strides = [1, 2] : tensor<4x6xf32> -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins Ember_Tensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$strides);
  let results = (outs Ember_Tensor:$result);
  let assemblyFormat = [{
    $input `offsets` `=` $offsets `strides` `=` $strides attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Ember_SliceScatterOp : Ember_Op<"slice_scatter", [Pure,
    AllTypesMatch<["dest", "result"]>]> {
  let summary = "A tensor with a strided box replaced (PyTorch's slice_scatter).";
  let description = [{
    The result is `dest` with the box that `ember.slice` with the same
    `offsets` and `strides` would read, of `source`'s shape, holding
    `source`'s elements instead. It is the value-semantics form of an
    in-place write through a view (`t[:, 1] = 0`, `index_put_`), the
    gradient of `ember.slice`, and what `cat` is built from.

    ```mlir
    %2 = ember.slice_scatter %0, %1 offsets = [0, 1] strides = [1, 2] : (tensor<4x6xf32>, tensor<4x3xf32>) -> tensor<4x6xf32>
    ```
  }];
  let arguments = (ins Ember_Tensor:$dest, Ember_Tensor:$source,
                       DenseI64ArrayAttr:$offsets, DenseI64ArrayAttr:$strides);
  let results = (outs Ember_Tensor:$result);
  let assemblyFormat = [{
    $dest `,` $source `offsets` `=` $offsets `strides` `=` $strides attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// BroadcastToOp
//===----------------------------------------------------------------------===//

def Ember_BroadcastToOp : Ember_Op<"broadcast_to", [Pure]> {
  let summary = "Expands a tensor to a larger shape by PyTorch's broadcasting rules.";
  let description = [{
    Shapes are aligned at their trailing dimensions; each input dimension must
    equal the result's or be 1, and the result may have extra leading
    dimensions.

    ```mlir
    %1 = ember.broadcast_to %0 : tensor<3xf32> -> tensor<2x3xf32>
    %3 = ember.broadcast_to %2 : tensor<4x1xf32> -> tensor<4x5xf32>
    ```
  }];
  let arguments = (ins Ember_Tensor:$input);
  let results = (outs Ember_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// SumOp
//===----------------------------------------------------------------------===//

class Ember_ReductionOp<string mnemonic, string what, string example>
    : Ember_Op<mnemonic, [Pure]> {
  let summary = what # " over the given dimensions, optionally keeping them as size 1.";
  let description = [{
    `dims` lists distinct dimensions of the input, each in `[0, rank)`. Without
    `keepdim` they are removed from the result; with it they stay, of size 1.
    Reducing every dimension without `keepdim` gives a rank-0 tensor.

    ```mlir
    }] # example # [{

    ```
  }];
  let arguments = (ins Ember_NumericTensor:$input, DenseI64ArrayAttr:$dims,
                       UnitAttr:$keepdim);
  let results = (outs Ember_NumericTensor:$result);
  let assemblyFormat = [{
    $input `dims` `=` $dims (`keepdim` $keepdim^)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ember_SumOp : Ember_ReductionOp<"sum", "Sum",
    "%1 = ember.sum %0 dims = [1] : tensor<2x3xf32> -> tensor<2xf32>\n"
    "    %2 = ember.sum %0 dims = [0, 1] keepdim : tensor<2x3xf32> -> tensor<1x1xf32>">;
def Ember_MaxOp : Ember_ReductionOp<"max", "Maximum (NaN if any element is NaN)",
    "%1 = ember.max %0 dims = [1] keepdim : tensor<64x10xf32> -> tensor<64x1xf32>">;
def Ember_MinOp : Ember_ReductionOp<"min", "Minimum (NaN if any element is NaN)",
    "%1 = ember.min %0 dims = [0] : tensor<64x10xf32> -> tensor<10xf32>">;

def Ember_ArgmaxOp : Ember_Op<"argmax", [Pure]> {
  let summary = "Index of the largest element along one dimension.";
  let description = [{
    The first index of the maximum along `dim` (NaN counts as the maximum,
    as in PyTorch), as `i64`. Without `keepdim` the dimension is removed.

    ```mlir
    %1 = ember.argmax %0 dim = 1 : tensor<64x10xf32> -> tensor<64xi64>
    ```
  }];
  let arguments = (ins Ember_NumericTensor:$input, I64Attr:$dim, UnitAttr:$keepdim);
  let results = (outs StaticShapeTensorOf<[I64]>:$result);
  let assemblyFormat = [{
    $input `dim` `=` $dim (`keepdim` $keepdim^)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // EMBER_DIALECT_EMBER_IR_EMBEROPS_TD
