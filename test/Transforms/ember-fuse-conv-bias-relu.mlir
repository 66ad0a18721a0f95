// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fuse-conv-bias-relu))' | FileCheck %s

// Fires: the convolution's only user is the relu.
// CHECK-LABEL: func.func @fuse
// CHECK-SAME:    (%[[X:.*]]: tensor<64x1x28x28xf32>, %[[W:.*]]: tensor<32x1x3x3xf32>, %[[B:.*]]: tensor<32xf32>)
// CHECK:         %[[R:.*]] = ember.conv2d_relu %[[X]], %[[W]], %[[B]] stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<64x1x28x28xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<64x32x28x28xf32>
// CHECK-NOT:     ember.conv2d %
// CHECK-NOT:     ember.relu
// CHECK:         return %[[R]]
func.func @fuse(%x: tensor<64x1x28x28xf32>, %w: tensor<32x1x3x3xf32>, %b: tensor<32xf32>) -> tensor<64x32x28x28xf32> {
  %0 = ember.conv2d %x, %w, %b stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<64x1x28x28xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<64x32x28x28xf32>
  %1 = ember.relu %0 : tensor<64x32x28x28xf32>
  return %1 : tensor<64x32x28x28xf32>
}

// -----

// Fires without a bias, and keeps the attributes (strides, groups).
// CHECK-LABEL: func.func @fuse_no_bias
// CHECK:         ember.conv2d_relu %{{.*}}, %{{.*}} stride = [2, 1] padding = [0, 1] dilation = [1, 2] groups = 2 : (tensor<1x4x9x9xf64>, tensor<6x2x3x3xf64>) -> tensor<1x6x4x7xf64>
func.func @fuse_no_bias(%x: tensor<1x4x9x9xf64>, %w: tensor<6x2x3x3xf64>) -> tensor<1x6x4x7xf64> {
  %0 = ember.conv2d %x, %w stride = [2, 1] padding = [0, 1] dilation = [1, 2] groups = 2 : (tensor<1x4x9x9xf64>, tensor<6x2x3x3xf64>) -> tensor<1x6x4x7xf64>
  %1 = ember.relu %0 : tensor<1x6x4x7xf64>
  return %1 : tensor<1x6x4x7xf64>
}

// -----

// Must not fire: the pre-activation is also returned (a training step's
// ReLU mask reads it).
// CHECK-LABEL: func.func @conv_used_twice
// CHECK:         %[[C:.*]] = ember.conv2d %
// CHECK:         %[[R:.*]] = ember.relu %[[C]]
// CHECK-NOT:     ember.conv2d_relu
// CHECK:         return %[[R]], %[[C]]
func.func @conv_used_twice(%x: tensor<1x1x5x5xf32>, %w: tensor<2x1x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<1x1x5x5xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x3x3xf32>
  %1 = ember.relu %0 : tensor<1x2x3x3xf32>
  return %1, %0 : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}

// -----

// Must not fire: the relu reads something other than a convolution (a
// convolution's gradient, or a convolution through another op).
// CHECK-LABEL: func.func @not_a_convolution
// CHECK:         ember.conv2d_grad_input
// CHECK:         ember.relu
// CHECK:         ember.conv2d %
// CHECK:         ember.neg
// CHECK:         ember.relu
// CHECK-NOT:     ember.conv2d_relu
func.func @not_a_convolution(%dy: tensor<1x2x3x3xf32>, %w: tensor<2x1x3x3xf32>, %x: tensor<1x1x5x5xf32>) -> (tensor<1x1x5x5xf32>, tensor<1x2x3x3xf32>) {
  %0 = ember.conv2d_grad_input %dy, %w stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<1x2x3x3xf32>, tensor<2x1x3x3xf32>) -> tensor<1x1x5x5xf32>
  %1 = ember.relu %0 : tensor<1x1x5x5xf32>
  %2 = ember.conv2d %x, %w stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<1x1x5x5xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x3x3xf32>
  %3 = ember.neg %2 : tensor<1x2x3x3xf32>
  %4 = ember.relu %3 : tensor<1x2x3x3xf32>
  return %1, %4 : tensor<1x1x5x5xf32>, tensor<1x2x3x3xf32>
}
