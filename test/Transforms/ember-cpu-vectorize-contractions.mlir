// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions))' | FileCheck %s
// RUN: ember-opt %s -split-input-file --ember-cpu-vectorize-pipeline | FileCheck %s --check-prefix=HOIST

// The Quickstart's first layer: 8x32 register tiles, K one at a time. The
// row of B is read as a vector<32xf32> and broadcast to the contraction's
// vector<1x32xf32>; the accumulator tile is read and written inside the K
// loop until the pipeline's subset hoisting carries it as an iter_arg.
// CHECK:       #[[MK:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK:       #[[KN:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK:       #[[MN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_64x784x512
// CHECK-SAME:    (%[[A:.*]]: tensor<64x784xf32>, %[[B:.*]]: tensor<784x512xf32>, %[[C:.*]]: tensor<64x512xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG:     %[[C512:.*]] = arith.constant 512 : index
// CHECK-DAG:     %[[C784:.*]] = arith.constant 784 : index
// CHECK:         %[[RI:.*]] = scf.for %[[I:.*]] = %[[C0]] to %[[C64]] step %[[C8]] iter_args(%[[TI:.*]] = %[[C]]) -> (tensor<64x512xf32>)
// CHECK:           %[[RJ:.*]] = scf.for %[[J:.*]] = %[[C0]] to %[[C512]] step %[[C32]] iter_args(%[[TJ:.*]] = %[[TI]]) -> (tensor<64x512xf32>)
// CHECK:             %[[RK:.*]] = scf.for %[[K:.*]] = %[[C0]] to %[[C784]] step %[[C1]] iter_args(%[[TK:.*]] = %[[TJ]]) -> (tensor<64x512xf32>)
// CHECK:               %[[VA:.*]] = vector.transfer_read %[[A]][%[[I]], %[[K]]], %{{.*}} {in_bounds = [true, true]} : tensor<64x784xf32>, vector<8x1xf32>
// CHECK:               %[[VB1:.*]] = vector.transfer_read %[[B]][%[[K]], %[[J]]], %{{.*}} {in_bounds = [true]} : tensor<784x512xf32>, vector<32xf32>
// CHECK:               %[[VB:.*]] = vector.broadcast %[[VB1]] : vector<32xf32> to vector<1x32xf32>
// CHECK:               %[[ACC:.*]] = vector.transfer_read %[[TK]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true, true]} : tensor<64x512xf32>, vector<8x32xf32>
// CHECK:               %[[R:.*]] = vector.contract {indexing_maps = [#[[MK]], #[[KN]], #[[MN]]], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %[[VA]], %[[VB]], %[[ACC]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:               %[[W:.*]] = vector.transfer_write %[[R]], %[[TK]][%[[I]], %[[J]]] {in_bounds = [true, true]} : vector<8x32xf32>, tensor<64x512xf32>
// CHECK:               scf.yield %[[W]] : tensor<64x512xf32>
// CHECK:             scf.yield %[[RK]] : tensor<64x512xf32>
// CHECK:           scf.yield %[[RJ]] : tensor<64x512xf32>
// CHECK:         return %[[RI]] : tensor<64x512xf32>
// CHECK-NOT:     linalg.matmul

// HOIST-LABEL: func.func @matmul_64x784x512
// HOIST-SAME:    (%[[A:.*]]: tensor<64x784xf32>, %[[B:.*]]: tensor<784x512xf32>, %[[C:.*]]: tensor<64x512xf32>)
// HOIST:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[TI:.*]] = %[[C]]) -> (tensor<64x512xf32>)
// HOIST:           scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[TJ:.*]] = %[[TI]]) -> (tensor<64x512xf32>)
// HOIST:             %[[INIT:.*]] = vector.transfer_read %[[TJ]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true, true]} : tensor<64x512xf32>, vector<8x32xf32>
// HOIST:             %[[RK:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<8x32xf32>)
// HOIST:               %[[VA:.*]] = vector.transfer_read %[[A]][%[[I]], %[[K]]]
// HOIST:               %[[VB1:.*]] = vector.transfer_read %[[B]][%[[K]], %[[J]]]
// HOIST:               %[[VB:.*]] = vector.broadcast %[[VB1]]
// HOIST-NOT:           vector.transfer_read
// HOIST:               %[[R:.*]] = vector.contract {{.*}} %[[VA]], %[[VB]], %[[ACC]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// HOIST-NEXT:          scf.yield %[[R]] : vector<8x32xf32>
// HOIST:             %[[W:.*]] = vector.transfer_write %[[RK]], %[[TJ]][%[[I]], %[[J]]] {in_bounds = [true, true]} : vector<8x32xf32>, tensor<64x512xf32>
// HOIST:             scf.yield %[[W]] : tensor<64x512xf32>
func.func @matmul_64x784x512(%a: tensor<64x784xf32>, %b: tensor<784x512xf32>, %c: tensor<64x512xf32>) -> tensor<64x512xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x784xf32>, tensor<784x512xf32>) outs(%c : tensor<64x512xf32>) -> tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}

// -----

// The classifier: N = 10 is one 8x10 tile as a whole (a single-trip loop
// over N, which the pipeline's canonicalization folds away).
// CHECK-LABEL: func.func @matmul_n10
// CHECK-SAME:    (%[[A:.*]]: tensor<64x512xf32>, %[[B:.*]]: tensor<512x10xf32>, %[[C:.*]]: tensor<64x10xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C10:.*]] = arith.constant 10 : index
// CHECK:         scf.for %{{.*}} = %[[C0]] to %{{.*}} step %[[C8]]
// CHECK:           scf.for %{{.*}} = %[[C0]] to %[[C10]] step %[[C10]]
// CHECK:             scf.for %{{.*}} = %[[C0]] to %{{.*}} step %[[C1]]
// CHECK:               vector.transfer_read %[[A]]{{.*}} : tensor<64x512xf32>, vector<8x1xf32>
// CHECK:               vector.transfer_read %[[B]]{{.*}} : tensor<512x10xf32>, vector<10xf32>
// CHECK:               vector.broadcast %{{.*}} : vector<10xf32> to vector<1x10xf32>
// CHECK:               vector.contract {{.*}} : vector<8x1xf32>, vector<1x10xf32> into vector<8x10xf32>
// CHECK:               vector.transfer_write %{{.*}} : vector<8x10xf32>, tensor<64x10xf32>
// CHECK-NOT:     linalg.matmul

// HOIST-LABEL: func.func @matmul_n10
// HOIST-SAME:    (%[[A:.*]]: tensor<64x512xf32>, %[[B:.*]]: tensor<512x10xf32>, %[[C:.*]]: tensor<64x10xf32>)
// HOIST-DAG:     %[[C0:.*]] = arith.constant 0 : index
// HOIST:         scf.for %[[I:.*]] = %{{.*}} iter_args(%[[TI:.*]] = %[[C]]) -> (tensor<64x10xf32>)
// HOIST:           %[[INIT:.*]] = vector.transfer_read %[[TI]][%[[I]], %[[C0]]], %{{.*}} : tensor<64x10xf32>, vector<8x10xf32>
// HOIST:           %[[RK:.*]] = scf.for %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<8x10xf32>)
// HOIST:             %[[R:.*]] = vector.contract {{.*}}, %[[ACC]] : vector<8x1xf32>, vector<1x10xf32> into vector<8x10xf32>
// HOIST:             scf.yield %[[R]] : vector<8x10xf32>
// HOIST:           vector.transfer_write %[[RK]], %[[TI]][%[[I]], %[[C0]]]
func.func @matmul_n10(%a: tensor<64x512xf32>, %b: tensor<512x10xf32>, %c: tensor<64x10xf32>) -> tensor<64x10xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x512xf32>, tensor<512x10xf32>) outs(%c : tensor<64x10xf32>) -> tensor<64x10xf32>
  return %r : tensor<64x10xf32>
}

// -----

// M = 6: neither 8 nor 4 divides it, so 2-row tiles; N = 48: 32 does not
// divide it, so 16-column tiles.
// CHECK-LABEL: func.func @matmul_m6_n48
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG:     %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[C48:.*]] = arith.constant 48 : index
// CHECK:         scf.for %{{.*}} = %[[C0]] to %[[C6]] step %[[C2]]
// CHECK:           scf.for %{{.*}} = %[[C0]] to %[[C48]] step %[[C16]]
// CHECK:             scf.for %{{.*}} = %[[C0]] to %[[C16]] step %[[C1]]
// CHECK:               vector.contract {{.*}} : vector<2x1xf32>, vector<1x16xf32> into vector<2x16xf32>
// CHECK-NOT:     linalg.matmul

// HOIST-LABEL: func.func @matmul_m6_n48
// HOIST:         scf.for %{{.*}} iter_args(%{{.*}}) -> (vector<2x16xf32>)
// HOIST:           vector.contract {{.*}} : vector<2x1xf32>, vector<1x16xf32> into vector<2x16xf32>
func.func @matmul_m6_n48(%a: tensor<6x16xf32>, %b: tensor<16x48xf32>, %c: tensor<6x48xf32>) -> tensor<6x48xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<6x16xf32>, tensor<16x48xf32>) outs(%c : tensor<6x48xf32>) -> tensor<6x48xf32>
  return %r : tensor<6x48xf32>
}

// -----

// Must not fire: N = 37 > 32 is prime, no divisor in {32, 16, 8}.
// CHECK-LABEL: func.func @matmul_n37
// CHECK-SAME:    (%[[A:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<16x37xf32>, %[[C:.*]]: tensor<8x37xf32>)
// CHECK-NOT:     scf.for
// CHECK-NOT:     vector.
// CHECK:         %[[R:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<8x16xf32>, tensor<16x37xf32>) outs(%[[C]] : tensor<8x37xf32>) -> tensor<8x37xf32>
// CHECK-NEXT:    return %[[R]]
// HOIST-LABEL: func.func @matmul_n37
// HOIST-NOT:     vector.
// HOIST:         linalg.matmul
func.func @matmul_n37(%a: tensor<8x16xf32>, %b: tensor<16x37xf32>, %c: tensor<8x37xf32>) -> tensor<8x37xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x37xf32>) outs(%c : tensor<8x37xf32>) -> tensor<8x37xf32>
  return %r : tensor<8x37xf32>
}

// -----

// Must not fire: dynamic shapes.
// CHECK-LABEL: func.func @matmul_dynamic
// CHECK-SAME:    (%[[A:.*]]: tensor<?x8xf32>, %[[B:.*]]: tensor<8x32xf32>, %[[C:.*]]: tensor<?x32xf32>)
// CHECK-NOT:     scf.for
// CHECK-NOT:     vector.
// CHECK:         %[[R:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<?x8xf32>, tensor<8x32xf32>) outs(%[[C]] : tensor<?x32xf32>) -> tensor<?x32xf32>
// CHECK-NEXT:    return %[[R]]
// HOIST-LABEL: func.func @matmul_dynamic
// HOIST-NOT:     vector.
// HOIST:         linalg.matmul
func.func @matmul_dynamic(%a: tensor<?x8xf32>, %b: tensor<8x32xf32>, %c: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x8xf32>, tensor<8x32xf32>) outs(%c : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// Must not fire: buffer semantics (the pass runs before bufferization).
// CHECK-LABEL: func.func @matmul_memref
// CHECK-SAME:    (%[[A:.*]]: memref<8x16xf32>, %[[B:.*]]: memref<16x32xf32>, %[[C:.*]]: memref<8x32xf32>)
// CHECK-NOT:     scf.for
// CHECK-NOT:     vector.
// CHECK:         linalg.matmul ins(%[[A]], %[[B]] : memref<8x16xf32>, memref<16x32xf32>) outs(%[[C]] : memref<8x32xf32>)
// CHECK-NEXT:    return
// HOIST-LABEL: func.func @matmul_memref
// HOIST-NOT:     vector.
// HOIST:         linalg.matmul
func.func @matmul_memref(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// Must not fire: a matmul written as a linalg.generic is not a linalg.matmul.
// CHECK-LABEL: func.func @matmul_as_generic
// CHECK-NOT:     scf.for
// CHECK-NOT:     vector.
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:           linalg.yield
// CHECK-NOT:     vector.
// CHECK:         return
// HOIST-LABEL: func.func @matmul_as_generic
// HOIST-NOT:     vector.
// HOIST:         linalg.generic
func.func @matmul_as_generic(%a: tensor<8x16xf32>, %b: tensor<16x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<8x16xf32>, tensor<16x32xf32>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// Epilogue fusion: the ReLU mask of a backward pass (select on the matmul
// result) is computed in the same loop nest, on the accumulator tile.
// CHECK-LABEL: func.func @backward_mask_epilogue
// CHECK:         scf.for %{{.*}} = %c0 to %c64 step %c8
// CHECK:           scf.for %{{.*}} = %c0 to %c512 step %c32
// CHECK:             %[[ACC:.*]] = scf.for %{{.*}} = %c0 to %c10 step %c1
// CHECK:               vector.contract
// CHECK:             %[[MASK:.*]] = vector.transfer_read %{{.*}} : tensor<64x512xi1>, vector<8x32xi1>
// CHECK:             arith.select %[[MASK]], %{{.*}}, %{{.*}} : vector<8x32xi1>, vector<8x32xf32>
// CHECK:             vector.transfer_write
// CHECK-NOT:     linalg.matmul
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @backward_mask_epilogue(%g: tensor<64x10xf32>, %w: tensor<10x512xf32>, %mask: tensor<64x512xi1>) -> tensor<64x512xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x512xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x512xf32>) -> tensor<64x512xf32>
  %m = linalg.matmul ins(%g, %w : tensor<64x10xf32>, tensor<10x512xf32>) outs(%f : tensor<64x512xf32>) -> tensor<64x512xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%mask, %m : tensor<64x512xi1>, tensor<64x512xf32>) outs(%e : tensor<64x512xf32>) {
  ^bb0(%c: i1, %v: f32, %o: f32):
    %s = arith.select %c, %v, %z : f32
    linalg.yield %s : f32
  } -> tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}

// -----

// No epilogue fusion when the product has a second user: it is tiled alone
// and the consumer stays a separate generic.
// CHECK-LABEL: func.func @product_used_twice
// CHECK:         vector.contract
// CHECK:         linalg.generic
func.func @product_used_twice(%a: tensor<8x4xf32>, %b: tensor<4x32xf32>) -> (tensor<8x32xf32>, tensor<8x32xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %m = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x32xf32>) outs(%f : tensor<8x32xf32>) -> tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.maximumf %v, %z : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r, %m : tensor<8x32xf32>, tensor<8x32xf32>
}
