// RUN: ember-opt %s -split-input-file \
// RUN:   -convert-ember-to-linalg="winograd winograd-panel-width=16" | FileCheck %s
// RUN: ember-opt %s -split-input-file -convert-ember-to-linalg \
// RUN:   | FileCheck %s --check-prefix=OFF
// RUN: ember-opt %s -split-input-file -convert-ember-to-linalg="winograd \
// RUN:   winograd-panel-width=16 winograd-block-bytes=100000" \
// RUN:   | FileCheck %s --check-prefix=BANDS

// A 3x3 convolution of stride 1 with 8 input channels (a window of 72
// >= 64) by Winograd's F(2x2, 3x3). 5x5 outputs: 3x3 tiles of 2x2, the
// last row and column of tiles half outside (the input padded to 8x8).
// The input moved channels-last; the 16 transformed filters computed once,
// as column panels [F / 16, C, 16], each given to its product as the
// collapse of the panels' transpose; then one scf.forall over blocks of
// images (2 images here: 18 rows of tiles), each: the input transform (16
// stride-2 views of the block in, 16 matrices out), 16 products [18, 8] x
// [8, 16], the output transform with the bias and the ReLU (four outputs
// per tile), interleaved into the block's part of the channels-last
// [N, TH, 2, TW, 2, F] result; the layout [N, F, OH, OW] reads it through
// (h / 2, h mod 2, w / 2, w mod 2).
// CHECK-DAG: #[[$LAST:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
// CHECK-DAG: #[[$G00:.*]] = affine_map<(d0, d1, d2) -> (d0 * 16 + d2, d1, 0, 0)>
// CHECK-DAG: #[[$LAYOUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2 floordiv 2, d2 mod 2, d3 floordiv 2, d3 mod 2, d1)>
// CHECK-LABEL: func.func @winograd_relu
// CHECK: %[[NHWC:.*]] = linalg.generic {indexing_maps = [#[[$LAST]], {{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<2x8x8x8xf32>)
// CHECK: %[[U:.*]]:16 = linalg.generic {indexing_maps = [#[[$G00]],
// CHECK-SAME: ins(%[[W:.*]], %[[W]], %[[W]], %[[W]], %[[W]], %[[W]], %[[W]], %[[W]], %[[W]] :
// CHECK: -> (tensor<1x8x16xf32>, tensor<1x8x16xf32>,
// CHECK: %[[T0:.*]] = linalg.transpose ins(%[[U]]#0 : tensor<1x8x16xf32>) outs(%{{.*}} : tensor<8x1x16xf32>) permutation = [1, 0, 2]
// CHECK: %[[B0:.*]] = tensor.collapse_shape %[[T0]] {{\[}}[0], [1, 2]] : tensor<8x1x16xf32> into tensor<8x16xf32>
// CHECK: scf.forall (%{{.*}}) in (1) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<2x3x2x3x2x16xf32>)
// CHECK: %[[BLOCK:.*]] = tensor.extract_slice %[[NHWC]]
// CHECK: tensor.extract_slice %[[BLOCK]][0, 0, 0, 0] [2, 3, 3, 8] [1, 2, 2, 1]
// CHECK: tensor.extract_slice %[[BLOCK]][0, 3, 3, 0] [2, 3, 3, 8] [1, 2, 2, 1]
// CHECK: %[[V:.*]]:16 = linalg.generic
// CHECK: %[[A0:.*]] = tensor.collapse_shape %[[V]]#0 {{\[}}[0, 1, 2], [3]] : tensor<2x3x3x8xf32> into tensor<18x8xf32>
// CHECK: linalg.matmul ins(%[[A0]], %[[B0]] : tensor<18x8xf32>, tensor<8x16xf32>)
// CHECK-COUNT-15: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<18x8xf32>, tensor<8x16xf32>)
// CHECK: %[[Y:.*]]:4 = linalg.generic
// CHECK: arith.maximumf
// CHECK: } -> (tensor<2x3x3x16xf32>, tensor<2x3x3x16xf32>, tensor<2x3x3x16xf32>, tensor<2x3x3x16xf32>)
// CHECK: %[[PART:.*]] = linalg.generic
// CHECK-SAME: ins(%[[Y]]#0, %[[Y]]#1, %[[Y]]#2, %[[Y]]#3 :
// CHECK: } -> tensor<2x3x2x3x2x16xf32>
// CHECK: tensor.parallel_insert_slice %[[PART]] into %[[OUT]]
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$LAYOUT]], {{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<2x16x5x5xf32>)
// CHECK: return %[[R]]
// OFF-LABEL: func.func @winograd_relu
// OFF-NOT: scf.forall
// OFF: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<50x72xf32>, tensor<72x16xf32>)
func.func @winograd_relu(%x: tensor<2x8x5x5xf32>, %w: tensor<16x8x3x3xf32>, %b: tensor<16xf32>) -> tensor<2x16x5x5xf32> {
  %0 = ember.conv2d_relu %x, %w, %b stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x8x5x5xf32>, tensor<16x8x3x3xf32>, tensor<16xf32>) -> tensor<2x16x5x5xf32>
  return %0 : tensor<2x16x5x5xf32>
}

// -----

// The input gradient of such a convolution is one too (of the output
// gradient, 16 channels, with the weight flipped: F = 8 is not a whole
// number of 16-column panels, so the filters are plain [16, 8] matrices).
// CHECK-LABEL: func.func @winograd_grad_input
// CHECK: scf.forall
// CHECK-COUNT-16: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<9x16xf32>, tensor<16x8xf32>)
func.func @winograd_grad_input(%dy: tensor<1x16x6x6xf32>, %w: tensor<16x8x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %0 = ember.conv2d_grad_input %dy, %w stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<1x16x6x6xf32>, tensor<16x8x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// Must not fire: stride 2, dilation 2, a 5x5 or 3x1 kernel, two groups, a
// window of 63 (7 channels): the direct products.
// CHECK-LABEL: func.func @not_winograd
// CHECK-NOT: scf.forall
// CHECK: return
func.func @not_winograd(%x: tensor<2x8x9x9xf32>, %w: tensor<16x8x3x3xf32>, %w5: tensor<16x8x5x5xf32>, %w31: tensor<16x8x3x1xf32>, %wg: tensor<16x4x3x3xf32>, %x7: tensor<2x7x9x9xf32>, %w7: tensor<16x7x3x3xf32>) -> (tensor<2x16x5x5xf32>, tensor<2x16x5x5xf32>, tensor<2x16x5x5xf32>, tensor<2x16x7x9xf32>, tensor<2x16x9x9xf32>, tensor<2x16x9x9xf32>) {
  %0 = ember.conv2d %x, %w stride = [2, 2] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x8x9x9xf32>, tensor<16x8x3x3xf32>) -> tensor<2x16x5x5xf32>
  %1 = ember.conv2d %x, %w stride = [1, 1] padding = [0, 0] dilation = [2, 2] groups = 1 : (tensor<2x8x9x9xf32>, tensor<16x8x3x3xf32>) -> tensor<2x16x5x5xf32>
  %2 = ember.conv2d %x, %w5 stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<2x8x9x9xf32>, tensor<16x8x5x5xf32>) -> tensor<2x16x5x5xf32>
  %3 = ember.conv2d %x, %w31 stride = [1, 1] padding = [0, 0] dilation = [1, 1] groups = 1 : (tensor<2x8x9x9xf32>, tensor<16x8x3x1xf32>) -> tensor<2x16x7x9xf32>
  %4 = ember.conv2d %x, %wg stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 2 : (tensor<2x8x9x9xf32>, tensor<16x4x3x3xf32>) -> tensor<2x16x9x9xf32>
  %5 = ember.conv2d %x7, %w7 stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x7x9x9xf32>, tensor<16x7x3x3xf32>) -> tensor<2x16x9x9xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<2x16x5x5xf32>, tensor<2x16x5x5xf32>, tensor<2x16x5x5xf32>, tensor<2x16x7x9xf32>, tensor<2x16x9x9xf32>, tensor<2x16x9x9xf32>
}

// -----

// With `winograd-block-bytes`: an image whose transformed tiles (16 (C + F)
// floats each, 1536 bytes here) exceed it is done in bands of rows of tiles,
// the band's tiles within it (at most 4 rows of 15 tiles for 100000 bytes)
// but 32 at least (3 rows): 15 rows of tiles in 5 bands of 3, each band's
// input 2 x 3 + 2 rows.
// BANDS-LABEL: func.func @winograd_bands
// BANDS: scf.forall (%{{.*}}, %[[BAND:.*]]) in (1, 5) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x15x2x15x2x16xf32>)
// BANDS: tensor.extract_slice %{{.*}}[%{{.*}}, %{{.*}}, 0, 0] [1, 8, 32, 8] [1, 1, 1, 1]
// BANDS-COUNT-16: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<45x8xf32>, tensor<8x16xf32>)
// BANDS: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%{{.*}}, %{{.*}}, 0, 0, 0, 0] [1, 3, 2, 15, 2, 16]
func.func @winograd_bands(%x: tensor<1x8x30x30xf32>, %w: tensor<16x8x3x3xf32>) -> tensor<1x16x30x30xf32> {
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<1x8x30x30xf32>, tensor<16x8x3x3xf32>) -> tensor<1x16x30x30xf32>
  return %0 : tensor<1x16x30x30xf32>
}

// -----

// 13 rows of tiles: bands of 5 (3 bands, two rows of tiles past the
// image's, computed on zeros and not read) waste no more than bands of 3
// (15 rows) and are larger; bands of 4 would need 16.
// BANDS-LABEL: func.func @winograd_bands_rounded
// BANDS: scf.forall (%{{.*}}, %{{.*}}) in (1, 3) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<1x15x2x13x2x16xf32>)
// BANDS: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<65x8xf32>, tensor<8x16xf32>)
func.func @winograd_bands_rounded(%x: tensor<1x8x26x26xf32>, %w: tensor<16x8x3x3xf32>) -> tensor<1x16x26x26xf32> {
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<1x8x26x26xf32>, tensor<16x8x3x3xf32>) -> tensor<1x16x26x26xf32>
  return %0 : tensor<1x16x26x26xf32>
}

// -----

// A Winograd convolution read only by a 2x2 max pooling of stride 2 (the
// pooling's windows are the tiles): the output transform takes each tile's
// maximum (as max_pool2d scans a window: a later element wins when greater
// or NaN) and the blocks write the pooled [N, TH, TW, F]; no interleaving,
// no pooling pass; the layout [N, F, OH / 2, OW / 2] reads it transposed.
// CHECK-DAG: #[[$PNHWF:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-LABEL: func.func @winograd_pooled
// CHECK: scf.forall (%{{.*}}) in (1) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<2x3x3x16xf32>)
// CHECK-COUNT-16: linalg.matmul
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK: arith.maximumf
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf uno
// CHECK: } -> tensor<2x3x3x16xf32>
// CHECK: tensor.parallel_insert_slice %[[Y]] into %[[OUT]]
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$PNHWF]], {{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<2x16x3x3xf32>)
// CHECK-NOT: tensor.extract %[[R]]
// CHECK: return %[[R]]
func.func @winograd_pooled(%x: tensor<2x8x6x6xf32>, %w: tensor<16x8x3x3xf32>, %b: tensor<16xf32>) -> tensor<2x16x3x3xf32> {
  %0 = ember.conv2d_relu %x, %w, %b stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x8x6x6xf32>, tensor<16x8x3x3xf32>, tensor<16xf32>) -> tensor<2x16x6x6xf32>
  %1 = ember.max_pool2d %0 kernel = [2, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : tensor<2x16x6x6xf32> -> tensor<2x16x3x3xf32>
  return %1 : tensor<2x16x3x3xf32>
}

// -----

// Must not take the pooling: its stride is 1; its window is 3x3; the
// convolution's output is odd (5x5: a window would straddle two tiles);
// the convolution is read by something else too (returned).
// CHECK-LABEL: func.func @winograd_not_pooled
// CHECK-COUNT-4: } -> tensor<{{[0-9x]*}}x2x{{[0-9x]*}}x2x16xf32>
// CHECK: return
func.func @winograd_not_pooled(%x: tensor<2x8x6x6xf32>, %x5: tensor<2x8x5x5xf32>, %w: tensor<16x8x3x3xf32>) -> (tensor<2x16x5x5xf32>, tensor<2x16x4x4xf32>, tensor<2x16x2x2xf32>, tensor<2x16x3x3xf32>, tensor<2x16x6x6xf32>) {
  %0 = ember.conv2d %x, %w stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x8x6x6xf32>, tensor<16x8x3x3xf32>) -> tensor<2x16x6x6xf32>
  %1 = ember.max_pool2d %0 kernel = [2, 2] stride = [1, 1] padding = [0, 0] dilation = [1, 1] : tensor<2x16x6x6xf32> -> tensor<2x16x5x5xf32>
  %2 = ember.conv2d %x, %w stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x8x6x6xf32>, tensor<16x8x3x3xf32>) -> tensor<2x16x6x6xf32>
  %3 = ember.max_pool2d %2 kernel = [3, 3] stride = [1, 1] padding = [0, 0] dilation = [1, 1] : tensor<2x16x6x6xf32> -> tensor<2x16x4x4xf32>
  %4 = ember.conv2d %x5, %w stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x8x5x5xf32>, tensor<16x8x3x3xf32>) -> tensor<2x16x5x5xf32>
  %5 = ember.max_pool2d %4 kernel = [2, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : tensor<2x16x5x5xf32> -> tensor<2x16x2x2xf32>
  %6 = ember.conv2d %x, %w stride = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : (tensor<2x8x6x6xf32>, tensor<16x8x3x3xf32>) -> tensor<2x16x6x6xf32>
  %7 = ember.max_pool2d %6 kernel = [2, 2] stride = [2, 2] padding = [0, 0] dilation = [1, 1] : tensor<2x16x6x6xf32> -> tensor<2x16x3x3xf32>
  return %1, %3, %5, %7, %6 : tensor<2x16x5x5xf32>, tensor<2x16x4x4xf32>, tensor<2x16x2x2xf32>, tensor<2x16x3x3xf32>, tensor<2x16x6x6xf32>
}
