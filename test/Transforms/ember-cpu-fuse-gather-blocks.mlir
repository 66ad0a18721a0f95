// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-fuse-gather-blocks{l2-bytes=131072}))' | FileCheck %s
// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-fuse-gather-blocks))' | FileCheck %s --check-prefix=L2FITS

// A shallow convolution (its product [F, N * OH * OW], the filters as A)
// whose 2x2 max pooling gathers from it: the product (8 images, 100 KB)
// is over half the L2 (64 KB), an image's part (product, windows and
// pooled result, 44 KB) is not, so each of 8 blocks computes one image's
// zero padding and windows, its product and its pooling, which reads the
// block's product at image index n - b and writes its part of the result
// in place.
// CHECK-LABEL: func.func @shallow_conv_pool
// CHECK-NOT:     linalg.generic
// CHECK:         scf.forall (%[[B:.*]]) in (8) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<8x4x14x14xf32>)
// CHECK:           %[[PAD:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x1x30x30xf32>)
// CHECK:           %[[WIN:.*]] = linalg.generic {{.*}} ins(%[[PAD]] : tensor<1x1x1x30x30xf32>) outs(%{{.*}} : tensor<1x1x3x3x1x28x28xf32>)
// CHECK:           %[[COLS:.*]] = tensor.collapse_shape %[[WIN]] {{.*}} into tensor<9x784xf32>
// CHECK:           %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<4x784xf32>
// CHECK:           %[[P:.*]] = linalg.matmul ins(%{{.*}}, %[[COLS]] : tensor<4x9xf32>, tensor<9x784xf32>) outs(%[[ZERO]] : tensor<4x784xf32>)
// CHECK:           %[[E:.*]] = tensor.expand_shape %[[P]] {{.*}} into tensor<4x1x28x28xf32>
// CHECK:           %[[PART:.*]] = tensor.extract_slice %[[OUT]][%[[B]], 0, 0, 0] [1, 4, 14, 14]
// CHECK:           %[[POOL:.*]] = linalg.generic {{.*}} outs(%[[PART]] : tensor<1x4x14x14xf32>)
// CHECK:             tensor.extract %[[E]]
// CHECK-NOT:         tensor.extract %{{.*}} : tensor<4x8x28x28xf32>
// CHECK:           tensor.parallel_insert_slice %[[POOL]] into %[[OUT]][%[[B]], 0, 0, 0] [1, 4, 14, 14]
// CHECK-NOT:     linalg.matmul
// L2FITS-LABEL: func.func @shallow_conv_pool
// L2FITS-NOT:     scf.forall
// L2FITS:         linalg.matmul {{.*}} -> tensor<4x6272xf32>
#pad = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#win_in = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d1, d2 + d5, d3 + d6)>
#win_out = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3, d4, d5, d6)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @shallow_conv_pool(%input: tensor<8x1x28x28xf32>, %w: tensor<4x9xf32>) -> tensor<8x4x14x14xf32> {
  %zero = arith.constant 0.0 : f32
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %c27 = arith.constant 27 : index
  %p0 = tensor.empty() : tensor<8x1x1x30x30xf32>
  %x = linalg.generic {indexing_maps = [#pad], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} outs(%p0 : tensor<8x1x1x30x30xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %i = linalg.index 3 : index
    %j = linalg.index 4 : index
    %i1 = arith.subi %i, %c1 : index
    %j1 = arith.subi %j, %c1 : index
    %ilo = arith.cmpi sge, %i1, %c0 : index
    %ihi = arith.cmpi sle, %i1, %c27 : index
    %jlo = arith.cmpi sge, %j1, %c0 : index
    %jhi = arith.cmpi sle, %j1, %c27 : index
    %a0 = arith.andi %ilo, %ihi : i1
    %a1 = arith.andi %jlo, %jhi : i1
    %in = arith.andi %a0, %a1 : i1
    %ci = arith.select %in, %i1, %c0 : index
    %cj = arith.select %in, %j1, %c0 : index
    %v = tensor.extract %input[%n, %c0, %ci, %cj] : tensor<8x1x28x28xf32>
    %r = arith.select %in, %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x1x1x30x30xf32>
  %0 = tensor.empty() : tensor<1x1x3x3x8x28x28xf32>
  %win = linalg.generic {indexing_maps = [#win_in, #win_out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<8x1x1x30x30xf32>) outs(%0 : tensor<1x1x3x3x8x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x1x3x3x8x28x28xf32>
  %cols = tensor.collapse_shape %win [[0, 1, 2, 3], [4, 5, 6]] : tensor<1x1x3x3x8x28x28xf32> into tensor<9x6272xf32>
  %1 = tensor.empty() : tensor<4x6272xf32>
  %2 = linalg.fill ins(%zero : f32) outs(%1 : tensor<4x6272xf32>) -> tensor<4x6272xf32>
  %p = linalg.matmul ins(%w, %cols : tensor<4x9xf32>, tensor<9x6272xf32>) outs(%2 : tensor<4x6272xf32>) -> tensor<4x6272xf32>
  %e = tensor.expand_shape %p [[0], [1, 2, 3]] output_shape [4, 8, 28, 28] : tensor<4x6272xf32> into tensor<4x8x28x28xf32>
  %3 = tensor.empty() : tensor<8x4x14x14xf32>
  %pool = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%3 : tensor<8x4x14x14xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w0 = linalg.index 3 : index
    %h0 = arith.muli %h, %c2 : index
    %h1 = arith.addi %h0, %c1 : index
    %v0 = arith.muli %w0, %c2 : index
    %v1 = arith.addi %v0, %c1 : index
    %a = tensor.extract %e[%c, %n, %h0, %v0] : tensor<4x8x28x28xf32>
    %b = tensor.extract %e[%c, %n, %h0, %v1] : tensor<4x8x28x28xf32>
    %d = tensor.extract %e[%c, %n, %h1, %v0] : tensor<4x8x28x28xf32>
    %f = tensor.extract %e[%c, %n, %h1, %v1] : tensor<4x8x28x28xf32>
    %m0 = arith.maximumf %a, %b : f32
    %m1 = arith.maximumf %d, %f : f32
    %m = arith.maximumf %m0, %m1 : f32
    linalg.yield %m : f32
  } -> tensor<8x4x14x14xf32>
  return %pool : tensor<8x4x14x14xf32>
}

// -----

// A deep convolution's product (channels-last: [N * OH * OW, F], the
// images along M) read by its pooling: 24 images of 6x6 outputs with 128
// channels (442 KB; an image's part 25 KB: blocks of 2 images, the
// pooling reading its block's product at image index n - 2b, which is its
// own loop's). A is not a window copy here: each block reads its rows of
// A in place.
// CHECK-LABEL: func.func @deep_rows
// CHECK:         scf.forall ({{.*}}) in (12)
// CHECK:           %[[A:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, 0] [72, 16] [1, 1] : tensor<864x16xf32> to tensor<72x16xf32>
// CHECK:           linalg.matmul ins(%[[A]], %{{.*}} : tensor<72x16xf32>, tensor<16x128xf32>) outs(%{{.*}} : tensor<72x128xf32>)
// CHECK:           %[[E:.*]] = tensor.expand_shape {{.*}} into tensor<2x6x6x128xf32>
// CHECK:           linalg.generic {{.*}} outs(%{{.*}} : tensor<2x128x3x3xf32>)
// CHECK:             %[[N:.*]] = linalg.index 0 : index
// CHECK:             tensor.extract %[[E]][%[[N]], 
// CHECK-NOT:     linalg.matmul
func.func @deep_rows(%a: tensor<864x16xf32>, %w: tensor<16x128xf32>) -> tensor<24x128x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %c2 = arith.constant 2 : index
  %1 = tensor.empty() : tensor<864x128xf32>
  %2 = linalg.fill ins(%zero : f32) outs(%1 : tensor<864x128xf32>) -> tensor<864x128xf32>
  %p = linalg.matmul ins(%a, %w : tensor<864x16xf32>, tensor<16x128xf32>) outs(%2 : tensor<864x128xf32>) -> tensor<864x128xf32>
  %e = tensor.expand_shape %p [[0, 1, 2], [3]] output_shape [24, 6, 6, 128] : tensor<864x128xf32> into tensor<24x6x6x128xf32>
  %3 = tensor.empty() : tensor<24x128x3x3xf32>
  %pool = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%3 : tensor<24x128x3x3xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w0 = linalg.index 3 : index
    %h0 = arith.muli %h, %c2 : index
    %v0 = arith.muli %w0, %c2 : index
    %a0 = tensor.extract %e[%n, %h0, %v0, %c] : tensor<24x6x6x128xf32>
    linalg.yield %a0 : f32
  } -> tensor<24x128x3x3xf32>
  return %pool : tensor<24x128x3x3xf32>
}

// -----

// Must not fire: the product is read by two generics (a max and an average
// pooling: each would need the whole product), or by a gather whose image
// index is not one of the reader's loops (the images reversed), or by
// something other than a gather (the product returned too).
// CHECK-LABEL: func.func @two_readers
// CHECK-NOT:     scf.forall
// CHECK-LABEL: func.func @image_index_computed
// CHECK-NOT:     scf.forall
// CHECK-LABEL: func.func @product_also_returned
// CHECK-NOT:     scf.forall
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @two_readers(%a: tensor<216x16xf32>, %w: tensor<16x128xf32>) -> (tensor<6x128x3x3xf32>, tensor<6x128x3x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %1 = tensor.empty() : tensor<216x128xf32>
  %2 = linalg.fill ins(%zero : f32) outs(%1 : tensor<216x128xf32>) -> tensor<216x128xf32>
  %p = linalg.matmul ins(%a, %w : tensor<216x16xf32>, tensor<16x128xf32>) outs(%2 : tensor<216x128xf32>) -> tensor<216x128xf32>
  %e = tensor.expand_shape %p [[0, 1, 2], [3]] output_shape [6, 6, 6, 128] : tensor<216x128xf32> into tensor<6x6x6x128xf32>
  %3 = tensor.empty() : tensor<6x128x3x3xf32>
  %r0 = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%3 : tensor<6x128x3x3xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w0 = linalg.index 3 : index
    %v = tensor.extract %e[%n, %h, %w0, %c] : tensor<6x6x6x128xf32>
    linalg.yield %v : f32
  } -> tensor<6x128x3x3xf32>
  %r1 = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%3 : tensor<6x128x3x3xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w0 = linalg.index 3 : index
    %v = tensor.extract %e[%n, %w0, %h, %c] : tensor<6x6x6x128xf32>
    linalg.yield %v : f32
  } -> tensor<6x128x3x3xf32>
  return %r0, %r1 : tensor<6x128x3x3xf32>, tensor<6x128x3x3xf32>
}
func.func @image_index_computed(%a: tensor<216x16xf32>, %w: tensor<16x128xf32>) -> tensor<6x128x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %c5 = arith.constant 5 : index
  %1 = tensor.empty() : tensor<216x128xf32>
  %2 = linalg.fill ins(%zero : f32) outs(%1 : tensor<216x128xf32>) -> tensor<216x128xf32>
  %p = linalg.matmul ins(%a, %w : tensor<216x16xf32>, tensor<16x128xf32>) outs(%2 : tensor<216x128xf32>) -> tensor<216x128xf32>
  %e = tensor.expand_shape %p [[0, 1, 2], [3]] output_shape [6, 6, 6, 128] : tensor<216x128xf32> into tensor<6x6x6x128xf32>
  %3 = tensor.empty() : tensor<6x128x3x3xf32>
  %r = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%3 : tensor<6x128x3x3xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w0 = linalg.index 3 : index
    %m = arith.subi %c5, %n : index
    %v = tensor.extract %e[%m, %h, %w0, %c] : tensor<6x6x6x128xf32>
    linalg.yield %v : f32
  } -> tensor<6x128x3x3xf32>
  return %r : tensor<6x128x3x3xf32>
}
func.func @product_also_returned(%a: tensor<216x16xf32>, %w: tensor<16x128xf32>) -> (tensor<6x128x3x3xf32>, tensor<216x128xf32>) {
  %zero = arith.constant 0.0 : f32
  %1 = tensor.empty() : tensor<216x128xf32>
  %2 = linalg.fill ins(%zero : f32) outs(%1 : tensor<216x128xf32>) -> tensor<216x128xf32>
  %p = linalg.matmul ins(%a, %w : tensor<216x16xf32>, tensor<16x128xf32>) outs(%2 : tensor<216x128xf32>) -> tensor<216x128xf32>
  %e = tensor.expand_shape %p [[0, 1, 2], [3]] output_shape [6, 6, 6, 128] : tensor<216x128xf32> into tensor<6x6x6x128xf32>
  %3 = tensor.empty() : tensor<6x128x3x3xf32>
  %r = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%3 : tensor<6x128x3x3xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w0 = linalg.index 3 : index
    %v = tensor.extract %e[%n, %h, %w0, %c] : tensor<6x6x6x128xf32>
    linalg.yield %v : f32
  } -> tensor<6x128x3x3xf32>
  return %r, %p : tensor<6x128x3x3xf32>, tensor<216x128xf32>
}

// -----

// A product with its own indexing maps (A read transposed) must not fire:
// the blocks' products are plain matmuls. A producer of the split operand
// that reads its init (adding the window to a bias rather than copying it)
// is not computed again for each block into a fresh temporary: the blocks
// read their slices of its whole result instead.
// CHECK-LABEL: func.func @transposed_a
// CHECK-NOT:     scf.forall
// CHECK-LABEL: func.func @producer_reads_init
// CHECK:         %[[WIN:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x3x3x8x28x28xf32>)
// CHECK:         %[[COLS:.*]] = tensor.collapse_shape %[[WIN]]
// CHECK:         scf.forall
// CHECK-NOT:       linalg.generic {{.*}} tensor<1x1x3x3x1x28x28xf32>
// CHECK:           tensor.extract_slice %[[COLS]][0, %{{.*}}] [9, 784] [1, 1]
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#win_in = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d1, d2 + d5, d3 + d6)>
#win_out = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3, d4, d5, d6)>
func.func @transposed_a(%a: tensor<16x864xf32>, %w: tensor<16x128xf32>) -> tensor<24x128x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %1 = tensor.empty() : tensor<864x128xf32>
  %2 = linalg.fill ins(%zero : f32) outs(%1 : tensor<864x128xf32>) -> tensor<864x128xf32>
  %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%a, %w : tensor<16x864xf32>, tensor<16x128xf32>) outs(%2 : tensor<864x128xf32>) -> tensor<864x128xf32>
  %e = tensor.expand_shape %p [[0, 1, 2], [3]] output_shape [24, 6, 6, 128] : tensor<864x128xf32> into tensor<24x6x6x128xf32>
  %3 = tensor.empty() : tensor<24x128x3x3xf32>
  %r = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%3 : tensor<24x128x3x3xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w0 = linalg.index 3 : index
    %v = tensor.extract %e[%n, %h, %w0, %c] : tensor<24x6x6x128xf32>
    linalg.yield %v : f32
  } -> tensor<24x128x3x3xf32>
  return %r : tensor<24x128x3x3xf32>
}
func.func @producer_reads_init(%x: tensor<8x1x1x30x30xf32>, %bias: tensor<1x1x3x3x8x28x28xf32>, %w: tensor<4x9xf32>) -> tensor<8x4x14x14xf32> {
  %zero = arith.constant 0.0 : f32
  %win = linalg.generic {indexing_maps = [#win_in, #win_out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<8x1x1x30x30xf32>) outs(%bias : tensor<1x1x3x3x8x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<1x1x3x3x8x28x28xf32>
  %cols = tensor.collapse_shape %win [[0, 1, 2, 3], [4, 5, 6]] : tensor<1x1x3x3x8x28x28xf32> into tensor<9x6272xf32>
  %1 = tensor.empty() : tensor<4x6272xf32>
  %2 = linalg.fill ins(%zero : f32) outs(%1 : tensor<4x6272xf32>) -> tensor<4x6272xf32>
  %p = linalg.matmul ins(%w, %cols : tensor<4x9xf32>, tensor<9x6272xf32>) outs(%2 : tensor<4x6272xf32>) -> tensor<4x6272xf32>
  %e = tensor.expand_shape %p [[0], [1, 2, 3]] output_shape [4, 8, 28, 28] : tensor<4x6272xf32> into tensor<4x8x28x28xf32>
  %3 = tensor.empty() : tensor<8x4x14x14xf32>
  %pool = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%3 : tensor<8x4x14x14xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w0 = linalg.index 3 : index
    %v = tensor.extract %e[%c, %n, %h, %w0] : tensor<4x8x28x28xf32>
    linalg.yield %v : f32
  } -> tensor<8x4x14x14xf32>
  return %pool : tensor<8x4x14x14xf32>
}
