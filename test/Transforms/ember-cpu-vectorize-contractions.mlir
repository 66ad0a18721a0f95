// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions{parallel=false}))' | FileCheck %s
// RUN: ember-opt %s -split-input-file --ember-cpu-vectorize-pipeline | FileCheck %s --check-prefix=HOIST
// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions))' | FileCheck %s --check-prefix=PAR
// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions{vector-bits=256}))' | FileCheck %s --check-prefix=AVX2
// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions{l1-bytes=65536 l1-ways=1024}))' | FileCheck %s --check-prefix=ASSOC
// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions{vector-bits=256 fma-latency=5}))' | FileCheck %s --check-prefix=HSW
// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions{l2-bytes=4194304}))' | FileCheck %s --check-prefix=L2
// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions{vector-bits=256 l2-bytes=4194304}))' | FileCheck %s --check-prefix=AVX2-L2

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
// CHECK:             %[[TILE:.*]] = tensor.extract_slice %[[TJ]][%[[I]], %[[J]]] [8, 32] [1, 1] : tensor<64x512xf32> to tensor<8x32xf32>
// CHECK:             %[[RK:.*]] = scf.for %[[K:.*]] = %[[C0]] to %[[C784]] step %[[C1]] iter_args(%[[TK:.*]] = %[[TILE]]) -> (tensor<8x32xf32>)
// CHECK:               %[[VA:.*]] = vector.transfer_read %[[A]][%[[I]], %[[K]]], %{{.*}} {in_bounds = [true, true]} : tensor<64x784xf32>, vector<8x1xf32>
// CHECK:               %[[VB1:.*]] = vector.transfer_read %[[B]][%[[K]], %[[J]]], %{{.*}} {in_bounds = [true]} : tensor<784x512xf32>, vector<32xf32>
// CHECK:               %[[VB:.*]] = vector.broadcast %[[VB1]] : vector<32xf32> to vector<1x32xf32>
// CHECK:               %[[ACC:.*]] = vector.transfer_read %[[TK]][%[[C0]], %[[C0]]], %{{.*}} {in_bounds = [true, true]} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK:               %[[R:.*]] = vector.contract {indexing_maps = [#[[MK]], #[[KN]], #[[MN]]], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %[[VA]], %[[VB]], %[[ACC]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:               %[[W:.*]] = vector.transfer_write %[[R]], %[[TK]][%[[C0]], %[[C0]]] {in_bounds = [true, true]} : vector<8x32xf32>, tensor<8x32xf32>
// CHECK:               scf.yield %[[W]] : tensor<8x32xf32>
// CHECK:             %[[INS:.*]] = tensor.insert_slice %[[RK]] into %[[TJ]][%[[I]], %[[J]]] [8, 32] [1, 1] : tensor<8x32xf32> into tensor<64x512xf32>
// CHECK:             scf.yield %[[INS]] : tensor<64x512xf32>
// CHECK:           scf.yield %[[RJ]] : tensor<64x512xf32>
// CHECK:         return %[[RI]] : tensor<64x512xf32>
// CHECK-NOT:     linalg.matmul

// With the pipeline (parallel by default: 51 MFLOP is above the threshold),
// B is packed: each M tile reads the 784x32 column panel, which is more
// than half the L1 (the pass's default model: 32 KiB, 8 ways), so the
// scf.forall runs over column panels, each copying its rows of B into a
// contiguous panel a row at a time, then running its tiles over M. In a
// panel the row tiles are a serial loop, so Mr need not divide M: 14 rows
// (28 accumulators, two B vectors and the broadcast: 31 registers) keep
// the FMA units as busy as 8 and read the panel fewer times, so four 14x32
// tiles and a last 8x32 one. Subset hoisting keeps each accumulator in
// registers across the K loop.
// HOIST-LABEL: func.func @matmul_64x784x512
// HOIST-SAME:    (%[[A:.*]]: tensor<64x784xf32>, %[[B:.*]]: tensor<784x512xf32>, %[[C:.*]]: tensor<64x512xf32>)
// HOIST:         %[[EMPTY:.*]] = tensor.empty() : tensor<784x32xf32>
// HOIST:         scf.forall (%[[J:.*]]) = (0) to (512) step (32) shared_outs(%[[OUT:.*]] = %[[C]]) -> (tensor<64x512xf32>)
// HOIST:           %[[PANEL:.*]] = scf.for %[[ROW:.*]] = {{.*}} iter_args(%{{.*}} = %[[EMPTY]]) -> (tensor<784x32xf32>)
// HOIST:             %[[BROW:.*]] = vector.transfer_read %[[B]][%[[ROW]], %[[J]]]{{.*}} : tensor<784x512xf32>, vector<32xf32>
// HOIST:             vector.transfer_write %[[BROW]]
// HOIST:           scf.for %[[I:.*]] = %c0 to %c56 step %c14 iter_args
// HOIST:             %[[INIT:.*]] = vector.transfer_read {{.*}} : tensor<14x32xf32>, vector<14x32xf32>
// HOIST:             %[[RK:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<14x32xf32>)
// HOIST:               %[[VA:.*]] = vector.transfer_read %[[A]][%[[I]], %[[K]]]
// HOIST:               %[[VB1:.*]] = vector.transfer_read %[[PANEL]][%[[K]], %{{.*}}]
// HOIST:               %[[VB:.*]] = vector.broadcast %[[VB1]]
// HOIST-NOT:           vector.transfer_read
// HOIST:               %[[R:.*]] = vector.contract {{.*}} %[[VA]], %[[VB]], %[[ACC]] : vector<14x1xf32>, vector<1x32xf32> into vector<14x32xf32>
// HOIST-NEXT:          scf.yield %[[R]] : vector<14x32xf32>
// HOIST:           tensor.extract_slice %{{.*}}[56, 0] [8, 32] [1, 1]
// HOIST:           vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// HOIST:           scf.forall.in_parallel
// HOIST-NEXT:        tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %[[J]]] [64, 32] [1, 1]
// HOIST-NOT:     tensor<?x
// With AVX2's registers and Haswell's FMA latency of 5 cycles, 8
// accumulators leave the FMA units idle; 6 rows of 16 (12 accumulators,
// two B vectors and the broadcast: 15 registers) do not. In a packed panel
// the row tiles are a serial loop, so 6 need not divide 64: the loop is
// peeled into ten 6x16 tiles and one of 4x16, each with static sizes.
// HSW-LABEL: func.func @matmul_64x784x512
// HSW:         scf.forall (%{{.*}}) = (0) to (512) step (16)
// HSW:           scf.for %{{.*}} = %{{.*}} to %c60 step %c6 iter_args
// HSW:             vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// HSW:           scf.for %{{.*}} = %c60 to %c64 step %c6 iter_args
// HSW:             tensor.extract_slice %{{.*}}[60, %{{.*}}] [4, 16] [1, 1]
// HSW:             vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// HSW-NOT:       tensor<?x
// With AVX2's sixteen 256-bit registers: 4x16 tiles (two vectors a row,
// eight accumulators; 8 rows would need 16 accumulators beside the two B
// vectors and the broadcast), over packed 784x16 panels.
// AVX2-LABEL: func.func @matmul_64x784x512
// AVX2:         scf.forall (%[[J:.*]]) = (0) to (512) step (16)
// AVX2:           tensor.empty() : tensor<784x16xf32>
// HSW-LABEL: func.func @matmul_n10
// AVX2:           vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// AVX2-NOT:       vector<8x32xf32>
func.func @matmul_64x784x512(%a: tensor<64x784xf32>, %b: tensor<784x512xf32>, %c: tensor<64x512xf32>) -> tensor<64x512xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x784xf32>, tensor<784x512xf32>) outs(%c : tensor<64x512xf32>) -> tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}

// -----

// The classifier: N = 10 is one 16x10 tile as a whole (16 rows of one vector) (a single-trip loop
// over N, which the pipeline's canonicalization folds away).
// CHECK-LABEL: func.func @matmul_n10
// CHECK-SAME:    (%[[A:.*]]: tensor<64x512xf32>, %[[B:.*]]: tensor<512x10xf32>, %[[C:.*]]: tensor<64x10xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[C10:.*]] = arith.constant 10 : index
// CHECK:         scf.for %{{.*}} = %[[C0]] to %{{.*}} step %[[C16]]
// CHECK:           scf.for %{{.*}} = %[[C0]] to %[[C10]] step %[[C10]]
// CHECK:             scf.for %{{.*}} = %[[C0]] to %{{.*}} step %[[C1]]
// CHECK:               vector.transfer_read %[[A]]{{.*}} : tensor<64x512xf32>, vector<16x1xf32>
// CHECK:               vector.transfer_read %[[B]]{{.*}} : tensor<512x10xf32>, vector<10xf32>
// CHECK:               vector.broadcast %{{.*}} : vector<10xf32> to vector<1x10xf32>
// CHECK:               vector.contract {{.*}} : vector<16x1xf32>, vector<1x10xf32> into vector<16x10xf32>
// CHECK:               vector.transfer_write %{{.*}} : vector<16x10xf32>, tensor<16x10xf32>
// CHECK-NOT:     linalg.matmul

// HOIST-LABEL: func.func @matmul_n10
// HOIST-SAME:    (%[[A:.*]]: tensor<64x512xf32>, %[[B:.*]]: tensor<512x10xf32>, %[[C:.*]]: tensor<64x10xf32>)
// HOIST-NOT:     scf.forall
// HOIST:         scf.for %[[I:.*]] = %{{.*}} iter_args(%[[TI:.*]] = %[[C]]) -> (tensor<64x10xf32>)
// HOIST:           %[[TILE:.*]] = tensor.extract_slice %[[TI]][%[[I]], 0] [16, 10] [1, 1]
// HOIST:           %[[INIT:.*]] = vector.transfer_read %[[TILE]]{{.*}} : tensor<16x10xf32>, vector<16x10xf32>
// HOIST:           %[[RK:.*]] = scf.for %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<16x10xf32>)
// HOIST:             %[[R:.*]] = vector.contract {{.*}}, %[[ACC]] : vector<16x1xf32>, vector<1x10xf32> into vector<16x10xf32>
// HOIST:             scf.yield %[[R]] : vector<16x10xf32>
// HOIST:           %[[W:.*]] = vector.transfer_write %[[RK]], %[[TILE]]
// HOIST:           tensor.insert_slice %[[W]] into %[[TI]][%[[I]], 0] [16, 10] [1, 1]
// Under AVX2, 10 columns would split 8 + 2 across two registers: B (small)
// is transposed and the dot-product kernel runs: 4x2 tiles of 8-lane
// partial sums along K (8 accumulators), one vector.fma a K step, summed
// across lanes once at the end of each tile (a tree of shuffles: 4 + 2 + 1
// adds of vector<8xf32>).
// AVX2-LABEL: func.func @matmul_n10
// AVX2:         linalg.transpose ins(%{{.*}} : tensor<512x10xf32>) outs(%{{.*}} : tensor<10x512xf32>)
// AVX2:         scf.for {{.*}} -> (tensor<4x2x8xf32>)
// AVX2:           vector.fma %{{.*}} : vector<4x2x8xf32>
// AVX2-NOT:     vector.multi_reduction
// AVX2-COUNT-4: arith.addf {{.*}} : vector<8xf32>
// AVX2:         vector.shuffle {{.*}} [0, 1, 4, 5, 8, 9, 12, 13] : vector<8xf32>, vector<8xf32>
// AVX2-COUNT-2: arith.addf {{.*}} : vector<8xf32>
// AVX2:         vector.shuffle {{.*}} [0, 2, 4, 6, 8, 10, 12, 14] : vector<8xf32>, vector<8xf32>
// AVX2:         arith.addf {{.*}} : vector<8xf32>
// AVX2:         vector.shape_cast %{{.*}} : vector<8xf32> to vector<4x2xf32>
func.func @matmul_n10(%a: tensor<64x512xf32>, %b: tensor<512x10xf32>, %c: tensor<64x10xf32>) -> tensor<64x10xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x512xf32>, tensor<512x10xf32>) outs(%c : tensor<64x10xf32>) -> tensor<64x10xf32>
  return %r : tensor<64x10xf32>
}

// -----

// M = 6, under 16 rows: one tile of all of them (6 x 16: six accumulators,
// where the divisors' 2 x 16 had two, under the FMA latency); N = 48: 32
// does not divide it, so 16-column tiles. M = 18 (16 rows or more): the
// divisors only, neither 16, 8 nor 4 divides it, so 2-row tiles.
// CHECK-LABEL: func.func @matmul_m6_n48
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[C48:.*]] = arith.constant 48 : index
// CHECK:         scf.for %{{.*}} = %[[C0]] to %[[C6]] step %[[C6]]
// CHECK:           scf.for %{{.*}} = %[[C0]] to %[[C48]] step %[[C16]]
// CHECK:             scf.for %{{.*}} = %[[C0]] to %[[C16]] step %[[C1]]
// CHECK:               vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// CHECK-NOT:     linalg.matmul
// CHECK-LABEL: func.func @matmul_m18_n48
// CHECK-DAG:     %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG:     %[[C18:.*]] = arith.constant 18 : index
// CHECK:         scf.for %{{.*}} = %{{.*}} to %[[C18]] step %[[C2]]
// CHECK:               vector.contract {{.*}} : vector<2x1xf32>, vector<1x16xf32> into vector<2x16xf32>

// HOIST-LABEL: func.func @matmul_m6_n48
// HOIST:         scf.for %{{.*}} iter_args(%{{.*}}) -> (vector<6x16xf32>)
// HOIST:           vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
func.func @matmul_m6_n48(%a: tensor<6x16xf32>, %b: tensor<16x48xf32>, %c: tensor<6x48xf32>) -> tensor<6x48xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<6x16xf32>, tensor<16x48xf32>) outs(%c : tensor<6x48xf32>) -> tensor<6x48xf32>
  return %r : tensor<6x48xf32>
}
func.func @matmul_m18_n48(%a: tensor<18x16xf32>, %b: tensor<16x48xf32>, %c: tensor<18x48xf32>) -> tensor<18x48xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<18x16xf32>, tensor<16x48xf32>) outs(%c : tensor<18x48xf32>) -> tensor<18x48xf32>
  return %r : tensor<18x48xf32>
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

// -----

// Parallel (the default): the Quickstart's fused first layer (51 MFLOP),
// with a K x N weight. The epilogue is tiled into column panels (an
// scf.forall), each packing its rows of the weight (as above) and running
// 8x32 tiles over M with the matmul and its bias broadcast fused into each
// tile; K stays an scf.for inside.
// PAR-LABEL: func.func @linear_relu_parallel
// PAR:         scf.forall (%[[J:.*]]) = (0) to (512) step (32) shared_outs
// PAR-NOT:       scf.forall
// PAR:           scf.for {{.*}} -> (tensor<784x32xf32>)
// PAR:           vector.broadcast %{{.*}} : vector<32xf32> to vector<8x32xf32>
// PAR:           scf.for
// PAR:             vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// PAR:           arith.maximumf %{{.*}} : vector<8x32xf32>
// PAR:           scf.forall.in_parallel
// PAR-NOT:     linalg.matmul
#bias = affine_map<(d0, d1) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @linear_relu_parallel(%x: tensor<64x784xf32>, %wt: tensor<784x512xf32>, %b: tensor<512xf32>) -> tensor<64x512xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x512xf32>
  %init = linalg.broadcast ins(%b : tensor<512xf32>) outs(%e : tensor<64x512xf32>) dimensions = [0]
  %m = linalg.matmul ins(%x, %wt : tensor<64x784xf32>, tensor<784x512xf32>) outs(%init : tensor<64x512xf32>) -> tensor<64x512xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<64x512xf32>) outs(%e : tensor<64x512xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.maximumf %v, %z : f32
    linalg.yield %s : f32
  } -> tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}

// -----

// Packing: the weight is transposed in the graph (a training step's
// forward). The product is tiled into 32-column panels (one scf.forall);
// each panel transposes its 32 rows of the weight in 16x16 register blocks
// into a panel-sized temporary, then runs its 8x32 register tiles over M
// reading that panel: no whole transposed weight, one parallel region.
// PAR-LABEL: func.func @linear_packed
// PAR-SAME:    (%[[X:.*]]: tensor<64x784xf32>, %[[W:.*]]: tensor<512x784xf32>
// PAR:         scf.forall (%[[J:.*]]) = (0) to (512) step (32) shared_outs
// PAR:           %[[PANEL:.*]] = tensor.empty() : tensor<784x32xf32>
// PAR:           %[[T:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[PANEL]]) -> (tensor<784x32xf32>)
// PAR:             vector.transfer_read %[[W]]{{.*}} : tensor<512x784xf32>, vector<16x16xf32>
// PAR:             vector.transpose %{{.*}}, [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// PAR:           scf.for
// PAR:             scf.for
// PAR:               vector.transfer_read %[[T]]{{.*}} : tensor<784x32xf32>, vector<32xf32>
// PAR:               vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// PAR:             arith.maximumf %{{.*}} : vector<8x32xf32>
// PAR:           scf.forall.in_parallel
// PAR-NOT:     linalg.transpose
// PAR-NOT:     tensor<784x512xf32>
// PAR-NOT:     linalg.matmul
#bias = affine_map<(d0, d1) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @linear_packed(%x: tensor<64x784xf32>, %w: tensor<512x784xf32>, %b: tensor<512xf32>) -> tensor<64x512xf32> {
  %z = arith.constant 0.0 : f32
  %et = tensor.empty() : tensor<784x512xf32>
  %wt = linalg.transpose ins(%w : tensor<512x784xf32>) outs(%et : tensor<784x512xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<64x512xf32>
  %init = linalg.broadcast ins(%b : tensor<512xf32>) outs(%e : tensor<64x512xf32>) dimensions = [0]
  %m = linalg.matmul ins(%x, %wt : tensor<64x784xf32>, tensor<784x512xf32>) outs(%init : tensor<64x512xf32>) -> tensor<64x512xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<64x512xf32>) outs(%e : tensor<64x512xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.maximumf %v, %z : f32
    linalg.yield %s : f32
  } -> tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}

// -----

// Packing fuses the weight's transpose only. A, transposed too here, is
// not transposed at all: the tiles read it through the transpose, each K
// step a row of %a (14 contiguous floats, the tile's A column), whose
// elements the outer products broadcast.
// PAR-LABEL: func.func @packed_with_transposed_a
// PAR-NOT:     linalg.transpose
// PAR:         scf.forall (%{{.*}}) = (0) to (512) step (32)
// PAR:           tensor.empty() : tensor<784x32xf32>
// PAR-COUNT-1:   vector.transpose
// PAR-NOT:       vector.transpose
// PAR:           vector.transfer_read %arg0[%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<784x64xf32>, vector<14xf32>
// PAR:           vector.transfer_read %arg0[%{{.*}}, %c56], %{{.*}} {in_bounds = [true]} : tensor<784x64xf32>, vector<8xf32>
// PAR:           scf.forall.in_parallel
func.func @packed_with_transposed_a(%a: tensor<784x64xf32>, %w: tensor<512x784xf32>, %c: tensor<64x512xf32>) -> tensor<64x512xf32> {
  %ea = tensor.empty() : tensor<64x784xf32>
  %at = linalg.transpose ins(%a : tensor<784x64xf32>) outs(%ea : tensor<64x784xf32>) permutation = [1, 0]
  %ew = tensor.empty() : tensor<784x512xf32>
  %wt = linalg.transpose ins(%w : tensor<512x784xf32>) outs(%ew : tensor<784x512xf32>) permutation = [1, 0]
  %m = linalg.matmul ins(%at, %wt : tensor<64x784xf32>, tensor<784x512xf32>) outs(%c : tensor<64x512xf32>) -> tensor<64x512xf32>
  return %m : tensor<64x512xf32>
}

// -----

// Must not pack the transpose into the panels: a product below the
// threshold (its transpose is a serial block transpose of its own), a
// transposed weight two products read (each would transpose it again), and
// a K that no register block divides. The three large products still copy
// their panels of the transposed weight (plain packing: rows 2 KiB apart).
// PAR-LABEL: func.func @not_packed
// PAR-NOT:     scf.forall
// PAR:         scf.for
// PAR:           vector.transpose %{{.*}} : vector<16x16xf32> to vector<16x16xf32>
// PAR-NOT:     scf.forall
// PAR:         vector.contract
// PAR:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (512, 784) step (16, 16) {{.*}} -> (tensor<784x512xf32>)
// PAR:           vector.transpose %{{.*}} : vector<16x16xf32> to vector<16x16xf32>
// PAR:         scf.forall (%{{.*}}) = (0) to (512) step (32)
// PAR:           tensor.empty() : tensor<784x32xf32>
// PAR-NOT:       vector.transpose
// PAR:         scf.forall (%{{.*}}) = (0) to (512) step (32)
// PAR:           tensor.empty() : tensor<784x32xf32>
// PAR-NOT:       vector.transpose
// PAR:         linalg.transpose ins(%{{.*}} : tensor<512x100xf32>)
// PAR:         scf.forall (%{{.*}}) = (0) to (512) step (32)
// PAR:           tensor.empty() : tensor<100x32xf32>
func.func @not_packed(%x8: tensor<8x784xf32>, %w32: tensor<32x784xf32>, %c8: tensor<8x32xf32>,
                      %x: tensor<64x784xf32>, %w: tensor<512x784xf32>, %c: tensor<64x512xf32>,
                      %x100: tensor<64x100xf32>, %w100: tensor<512x100xf32>)
    -> (tensor<8x32xf32>, tensor<64x512xf32>, tensor<64x512xf32>, tensor<64x512xf32>) {
  %e32 = tensor.empty() : tensor<784x32xf32>
  %wt32 = linalg.transpose ins(%w32 : tensor<32x784xf32>) outs(%e32 : tensor<784x32xf32>) permutation = [1, 0]
  %small = linalg.matmul ins(%x8, %wt32 : tensor<8x784xf32>, tensor<784x32xf32>) outs(%c8 : tensor<8x32xf32>) -> tensor<8x32xf32>
  %e = tensor.empty() : tensor<784x512xf32>
  %wt = linalg.transpose ins(%w : tensor<512x784xf32>) outs(%e : tensor<784x512xf32>) permutation = [1, 0]
  %m1 = linalg.matmul ins(%x, %wt : tensor<64x784xf32>, tensor<784x512xf32>) outs(%c : tensor<64x512xf32>) -> tensor<64x512xf32>
  %m2 = linalg.matmul ins(%x, %wt : tensor<64x784xf32>, tensor<784x512xf32>) outs(%m1 : tensor<64x512xf32>) -> tensor<64x512xf32>
  %e100 = tensor.empty() : tensor<100x512xf32>
  %wt100 = linalg.transpose ins(%w100 : tensor<512x100xf32>) outs(%e100 : tensor<100x512xf32>) permutation = [1, 0]
  %m3 = linalg.matmul ins(%x100, %wt100 : tensor<64x100xf32>, tensor<100x512xf32>) outs(%c : tensor<64x512xf32>) -> tensor<64x512xf32>
  return %small, %m1, %m2, %m3 : tensor<8x32xf32>, tensor<64x512xf32>, tensor<64x512xf32>, tensor<64x512xf32>
}

// -----

// Parallel, but below 4 MFLOP (64x512x10 = 0.7 MFLOP): serial tile loops.
// PAR-LABEL: func.func @small_stays_serial
// PAR-NOT:     scf.forall
// PAR:         scf.for
// PAR:         vector.contract
func.func @small_stays_serial(%a: tensor<64x512xf32>, %b: tensor<512x10xf32>, %c: tensor<64x10xf32>) -> tensor<64x10xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x512xf32>, tensor<512x10xf32>) outs(%c : tensor<64x10xf32>) -> tensor<64x10xf32>
  return %r : tensor<64x10xf32>
}

// -----

// A weight transpose: 16x16 blocks, each read whole, transposed in
// registers and written whole; 401408 elements, so the blocks are shared
// by threads.
// PAR-LABEL: func.func @transpose_weight
// PAR-SAME:    (%[[W:.*]]: tensor<512x784xf32>)
// PAR:         scf.forall (%[[I:.*]], %[[J:.*]]) = (0, 0) to (512, 784) step (16, 16)
// PAR:           %[[V:.*]] = vector.transfer_read %[[W]][%[[I]], %[[J]]]{{.*}} : tensor<512x784xf32>, vector<16x16xf32>
// PAR:           %[[T:.*]] = vector.transpose %[[V]], [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// PAR:           vector.transfer_write %[[T]]{{.*}} : vector<16x16xf32>, tensor<16x16xf32>
// PAR:           tensor.parallel_insert_slice %{{.*}}[%[[J]], %[[I]]] [16, 16] [1, 1]
// PAR-NOT:     linalg.transpose
// Under AVX2, 8x8 blocks: one 256-bit register a row.
// AVX2-LABEL: func.func @transpose_weight
// AVX2:         scf.forall (%[[I:.*]], %[[J:.*]]) = (0, 0) to (512, 784) step (8, 8)
// AVX2:           vector.transpose %{{.*}}, [1, 0] : vector<8x8xf32> to vector<8x8xf32>
// AVX2-NOT:     vector<16x16xf32>
func.func @transpose_weight(%w: tensor<512x784xf32>) -> tensor<784x512xf32> {
  %e = tensor.empty() : tensor<784x512xf32>
  %t = linalg.transpose ins(%w : tensor<512x784xf32>) outs(%e : tensor<784x512xf32>) permutation = [1, 0]
  return %t : tensor<784x512xf32>
}

// -----

// A small transpose whose sizes 16 does not divide: serial 8x8 blocks.
// PAR-LABEL: func.func @transpose_8x8_blocks
// PAR-NOT:     scf.forall
// PAR:         scf.for
// PAR:           scf.for
// PAR:             vector.transpose %{{.*}}, [1, 0] : vector<8x8xf32> to vector<8x8xf32>
func.func @transpose_8x8_blocks(%a: tensor<24x40xf32>) -> tensor<40x24xf32> {
  %e = tensor.empty() : tensor<40x24xf32>
  %t = linalg.transpose ins(%a : tensor<24x40xf32>) outs(%e : tensor<40x24xf32>) permutation = [1, 0]
  return %t : tensor<40x24xf32>
}

// -----

// Must not fire: 10 has no block size (the classifier's gradient), and
// 3-D transposes and other element types are left to the loop lowering.
// PAR-LABEL: func.func @transpose_not_vectorized
// PAR-NOT:     vector.transpose
// PAR-COUNT-3: linalg.transpose
func.func @transpose_not_vectorized(%a: tensor<64x10xf32>, %b: tensor<16x16x16xf32>, %c: tensor<16x16xf64>) -> (tensor<10x64xf32>, tensor<16x16x16xf32>, tensor<16x16xf64>) {
  %e = tensor.empty() : tensor<10x64xf32>
  %t = linalg.transpose ins(%a : tensor<64x10xf32>) outs(%e : tensor<10x64xf32>) permutation = [1, 0]
  %e3 = tensor.empty() : tensor<16x16x16xf32>
  %t3 = linalg.transpose ins(%b : tensor<16x16x16xf32>) outs(%e3 : tensor<16x16x16xf32>) permutation = [2, 1, 0]
  %e64 = tensor.empty() : tensor<16x16xf64>
  %t64 = linalg.transpose ins(%c : tensor<16x16xf64>) outs(%e64 : tensor<16x16xf64>) permutation = [1, 0]
  return %t, %t3, %t64 : tensor<10x64xf32>, tensor<16x16x16xf32>, tensor<16x16xf64>
}

// -----

// Elementwise: an SGD update of the first layer's weight (401408 elements)
// is split into 8 blocks of 64 whole rows, shared by threads; the block's
// computation stays a linalg.generic for the loop lowering. A small one
// (32768 elements) and a reduction are left alone.
// PAR-LABEL: func.func @elementwise_update
// PAR:         scf.forall (%[[R:.*]]) = (0) to (512) step (64) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<512x784xf32>)
// PAR:           %[[W:.*]] = tensor.extract_slice %{{.*}}[%[[R]], 0] [64, 784] [1, 1]
// PAR:           %[[G:.*]] = tensor.extract_slice %{{.*}}[%[[R]], 0] [64, 784] [1, 1]
// PAR:           linalg.generic {{.*}} ins(%[[W]], %[[G]], %{{.*}} : tensor<64x784xf32>, tensor<64x784xf32>, tensor<f32>)
// PAR:           tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[R]], 0] [64, 784] [1, 1]
// PAR-NOT:     scf.forall
// PAR:         linalg.generic {{.*}} ins(%{{.*}} : tensor<64x512xf32>)
// PAR:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
#e0 = affine_map<(d0, d1) -> (d0, d1)>
#e1 = affine_map<(d0, d1) -> ()>
#r1 = affine_map<(d0, d1) -> (d0)>
func.func @elementwise_update(%w: tensor<512x784xf32>, %g: tensor<512x784xf32>, %lr: tensor<f32>,
                              %s: tensor<64x512xf32>, %big: tensor<512x784xf32>) -> (tensor<512x784xf32>, tensor<64x512xf32>, tensor<512xf32>) {
  %e = tensor.empty() : tensor<512x784xf32>
  %u = linalg.generic {indexing_maps = [#e0, #e0, #e1, #e0], iterator_types = ["parallel", "parallel"]} ins(%w, %g, %lr : tensor<512x784xf32>, tensor<512x784xf32>, tensor<f32>) outs(%e : tensor<512x784xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %m = arith.mulf %b, %c : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<512x784xf32>
  %es = tensor.empty() : tensor<64x512xf32>
  %small = linalg.generic {indexing_maps = [#e0, #e0], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<64x512xf32>) outs(%es : tensor<64x512xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<64x512xf32>
  %z = arith.constant 0.0 : f32
  %er = tensor.empty() : tensor<512xf32>
  %fr = linalg.fill ins(%z : f32) outs(%er : tensor<512xf32>) -> tensor<512xf32>
  %sum = linalg.generic {indexing_maps = [#e0, #r1], iterator_types = ["parallel", "reduction"]} ins(%big : tensor<512x784xf32>) outs(%fr : tensor<512xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %a, %acc : f32
    linalg.yield %t : f32
  } -> tensor<512xf32>
  return %u, %small, %sum : tensor<512x784xf32>, tensor<64x512xf32>, tensor<512xf32>
}

// -----

// A weight gradient: the product's zero accumulator (linalg.fill) is fused
// into each tile and starts as a zero vector in registers, instead of a
// memset of the whole result before the product.
// PAR-LABEL: func.func @gradient_fill_fused
// PAR-NOT:     linalg.fill
// (N = 784 is split into 768 columns of 8x32 tiles and 16 of 16x16.)
// PAR:         %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<16x16xf32>
// PAR:         scf.forall (%[[J:.*]], %[[I:.*]]) = (0, 0) to (768, 512) step (32, 8)
// PAR:           %[[TILE:.*]] = tensor.extract_slice
// PAR:           %[[INIT:.*]] = vector.transfer_write %{{.*}}, %[[TILE]]
// PAR:           scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]])
// PAR:         vector.transfer_write %[[ZERO]]
// PAR-NOT:     linalg.fill
// After the pipeline's clean-up the K loop starts from the zero vector.
// HOIST-LABEL: func.func @gradient_fill_fused
// HOIST:         %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<16x16xf32>
// HOIST:         scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (vector<16x16xf32>)
func.func @gradient_fill_fused(%gt: tensor<512x64xf32>, %x: tensor<64x784xf32>) -> tensor<512x784xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<512x784xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<512x784xf32>) -> tensor<512x784xf32>
  %m = linalg.matmul ins(%gt, %x : tensor<512x64xf32>, tensor<64x784xf32>) outs(%f : tensor<512x784xf32>) -> tensor<512x784xf32>
  return %m : tensor<512x784xf32>
}

// -----

// An optimizer's update fused into the weight gradient's tiles: the
// gradient is also returned, so each tile writes the product and the
// updated weight (two shared outputs), instead of writing the gradient and
// reading it back for the update.
// PAR-LABEL: func.func @gradient_and_update
// PAR:         %[[R:.*]]:2 = scf.forall (%[[J:.*]], %[[I:.*]]) = (0, 0) to (784, 512) step (16, 16) shared_outs({{.*}}) -> (tensor<512x784xf32>, tensor<512x784xf32>)
// PAR:           vector.contract
// PAR:           %[[G:.*]] = vector.transfer_write {{.*}} : vector<16x16xf32>, tensor<16x16xf32>
// PAR:           %[[OLD:.*]] = vector.transfer_read %{{.*}}[%[[I]], %[[J]]]{{.*}} : tensor<512x784xf32>, vector<16x16xf32>
// PAR:           arith.mulf
// PAR:           arith.subf %[[OLD]]
// PAR:           scf.forall.in_parallel
// PAR-COUNT-2:     tensor.parallel_insert_slice
// PAR:         return %[[R]]#0, %[[R]]#1
#u = affine_map<(d0, d1) -> (d0, d1)>
#s = affine_map<(d0, d1) -> ()>
func.func @gradient_and_update(%gt: tensor<512x64xf32>, %x: tensor<64x784xf32>, %w: tensor<512x784xf32>, %lr: tensor<f32>) -> (tensor<512x784xf32>, tensor<512x784xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<512x784xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<512x784xf32>) -> tensor<512x784xf32>
  %g = linalg.matmul ins(%gt, %x : tensor<512x64xf32>, tensor<64x784xf32>) outs(%f : tensor<512x784xf32>) -> tensor<512x784xf32>
  %new = linalg.generic {indexing_maps = [#u, #u, #s, #u], iterator_types = ["parallel", "parallel"]} ins(%w, %g, %lr : tensor<512x784xf32>, tensor<512x784xf32>, tensor<f32>) outs(%e : tensor<512x784xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %m = arith.mulf %b, %c : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<512x784xf32>
  return %new, %g : tensor<512x784xf32>, tensor<512x784xf32>
}

// -----

// Must not fire: two elementwise users of the product (neither is fused:
// the product is written once and both read it, each in its own pass).
// PAR-LABEL: func.func @other_user_first
// PAR:         scf.forall {{.*}} step (32, 8) {{.*}} -> (tensor<512x768xf32>) {
// PAR:         tensor.insert_slice %{{.*}}[0, 768] [512, 16] [1, 1] : tensor<512x16xf32> into tensor<512x784xf32>
// PAR:         scf.forall {{.*}} step (64)
// PAR:           linalg.generic {{.*}} ins(%{{.*}} : tensor<64x784xf32>)
// PAR:           arith.negf
// PAR:         scf.forall {{.*}} step (64)
// PAR:           arith.addf
#v = affine_map<(d0, d1) -> (d0, d1)>
func.func @other_user_first(%gt: tensor<512x64xf32>, %x: tensor<64x784xf32>, %w: tensor<512x784xf32>) -> (tensor<512x784xf32>, tensor<512x784xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<512x784xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<512x784xf32>) -> tensor<512x784xf32>
  %g = linalg.matmul ins(%gt, %x : tensor<512x64xf32>, tensor<64x784xf32>) outs(%f : tensor<512x784xf32>) -> tensor<512x784xf32>
  %neg = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel", "parallel"]} ins(%g : tensor<512x784xf32>) outs(%e : tensor<512x784xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<512x784xf32>
  %sum = linalg.generic {indexing_maps = [#v, #v, #v], iterator_types = ["parallel", "parallel"]} ins(%w, %g : tensor<512x784xf32>, tensor<512x784xf32>) outs(%e : tensor<512x784xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.addf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<512x784xf32>
  return %neg, %sum : tensor<512x784xf32>, tensor<512x784xf32>
}

// -----

// Rows that no count of 8 to 64 blocks divides (1031 is prime): 8 blocks of
// 129 rows, the last one 128 (affine.min). The block is found in a fixed
// number of steps: a row count near INT64_MAX compiles at once.
// PAR-LABEL: func.func @prime_rows
// PAR:         scf.forall (%[[R:.*]]) = (0) to (1031) step (129)
// PAR:           %[[N:.*]] = affine.min #{{.*}}(%[[R]])
// PAR:           tensor.extract_slice %{{.*}}[%[[R]], 0] [%[[N]], 64] [1, 1]
// PAR-LABEL: func.func @huge_prime_rows
// PAR:         scf.forall (%{{.*}}) = (0) to (9223372036854775783) step (1152921504606846973)
#p0 = affine_map<(d0, d1) -> (d0, d1)>
func.func @prime_rows(%w: tensor<1031x64xf32>) -> tensor<1031x64xf32> {
  %e = tensor.empty() : tensor<1031x64xf32>
  %u = linalg.generic {indexing_maps = [#p0, #p0], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<1031x64xf32>) outs(%e : tensor<1031x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<1031x64xf32>
  return %u : tensor<1031x64xf32>
}
func.func @huge_prime_rows(%w: tensor<9223372036854775783x4xf32>) -> tensor<9223372036854775783x4xf32> {
  %e = tensor.empty() : tensor<9223372036854775783x4xf32>
  %u = linalg.generic {indexing_maps = [#p0, #p0], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<9223372036854775783x4xf32>) outs(%e : tensor<9223372036854775783x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<9223372036854775783x4xf32>
  return %u : tensor<9223372036854775783x4xf32>
}

// -----

// Packing must not fire: a weight gradient's product (K = 64). The 64x16
// panel is 4 KiB (16 columns: 32 do not divide 784), its rows 784 floats apart reach every L1 set: it stays in
// the L1 unpacked. The M and N tile loops are one 2-D scf.forall.
// PAR-LABEL: func.func @no_packing_short_k
// (32 columns do not divide 784: the product is split into 768 columns of
// 8x32 tiles and 16 of 16x16; rows of the slice of B are still 784 floats
// apart.)
// PAR:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (768, 512) step (32, 8)
// PAR-NOT:     tensor<64x32xf32>
// PAR:           vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// PAR:         vector.contract {{.*}} : vector<16x1xf32>, vector<1x16xf32> into vector<16x16xf32>
func.func @no_packing_short_k(%a: tensor<512x64xf32>, %b: tensor<64x784xf32>, %c: tensor<512x784xf32>) -> tensor<512x784xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<512x64xf32>, tensor<64x784xf32>) outs(%c : tensor<512x784xf32>) -> tensor<512x784xf32>
  return %r : tensor<512x784xf32>
}

// -----

// Packing must not fire: two M tiles (16 rows) read each panel, too few to
// repay copying it.
// PAR-LABEL: func.func @no_packing_few_rows
// PAR:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (512, 16) step (32, 8)
// PAR-NOT:     tensor.empty
func.func @no_packing_few_rows(%a: tensor<16x784xf32>, %b: tensor<784x512xf32>, %c: tensor<16x512xf32>) -> tensor<16x512xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<16x784xf32>, tensor<784x512xf32>) outs(%c : tensor<16x512xf32>) -> tensor<16x512xf32>
  return %r : tensor<16x512xf32>
}

// -----

// Packing must not fire: B is one panel wide (N = Nr = 9; a shallow
// convolution's weight gradient, [32, 50176] x [50176, 9]), so it already is
// its packed panel, its rows contiguous. Copying it moved 1.8 MB on one
// thread, and the one panel's row tiles then ran in a serial loop; unpacked,
// the four row tiles are the scf.forall's.
// PAR-LABEL: func.func @no_packing_one_panel
// PAR-NOT:     tensor<50176x9xf32> to tensor<1x9xf32>
// PAR:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (9, 32) step (9, 8)
// PAR:           vector.contract {{.*}} : vector<8x1xf32>, vector<1x9xf32> into vector<8x9xf32>
func.func @no_packing_one_panel(%a: tensor<32x50176xf32>, %b: tensor<50176x9xf32>) -> tensor<32x9xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = tensor.empty() : tensor<32x9xf32>
  %1 = linalg.fill ins(%zero : f32) outs(%0 : tensor<32x9xf32>) -> tensor<32x9xf32>
  %r = linalg.matmul ins(%a, %b : tensor<32x50176xf32>, tensor<50176x9xf32>) outs(%1 : tensor<32x9xf32>) -> tensor<32x9xf32>
  return %r : tensor<32x9xf32>
}

// -----

// Packing fires for a small panel whose rows conflict in the L1: K = 64
// rows of 1024 floats (4 KiB apart) all map to one set of the default
// 32 KiB 8-way L1, so only 8 of the panel's 64 rows stay. With a 16-way L1
// of 64 KiB (l1-bytes, l1-ways) still 16 < 64: packed too; as the model
// says nothing fits, a fully associative 64 KiB L1 (1024 ways, one set)
// keeps all 64 rows and packing does not fire.
// PAR-LABEL: func.func @packing_conflicting_rows
// PAR:         scf.forall (%{{.*}}) = (0) to (1024) step (32)
// PAR:           tensor.empty() : tensor<64x32xf32>
// ASSOC-LABEL: func.func @packing_conflicting_rows
// ASSOC:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (1024, 256) step (32, 8)
// ASSOC-NOT:     tensor.empty
func.func @packing_conflicting_rows(%a: tensor<256x64xf32>, %b: tensor<64x1024xf32>, %c: tensor<256x1024xf32>) -> tensor<256x1024xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<256x64xf32>, tensor<64x1024xf32>) outs(%c : tensor<256x1024xf32>) -> tensor<256x1024xf32>
  return %r : tensor<256x1024xf32>
}

// -----

// The dot-product kernel: linear + ReLU with 10 outputs, the weight as
// stored (10 x 512, no transpose). A and W are read as 64x32x16 and
// 10x32x16 (K in vectors of 16 lanes); each 8x2 tile keeps 16 accumulator
// vectors of partial sums along K (vector<8x2x16xf32>, one vector.fma a K
// step), then sums each across its lanes into the bias and applies the
// ReLU, in registers. The sums are a tree of shuffles: each level adds the
// halves of a pair of vectors' segments (16 vectors of 16 lanes: 8 + 4 + 2
// + 1 adds of vector<16xf32>), lane j of the last one vector j's sum; no
// one-vector reduction is left.
// CHECK-LABEL: func.func @linear_n10_dot
// CHECK-SAME:    (%[[X:.*]]: tensor<64x512xf32>, %[[W:.*]]: tensor<10x512xf32>
// CHECK-NOT:     linalg.transpose
// CHECK:         %[[XV:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0], [1, 2]] output_shape [64, 32, 16]
// CHECK:         %[[WV:.*]] = tensor.expand_shape %[[W]] {{\[\[}}0], [1, 2]] output_shape [10, 32, 16]
// CHECK:         scf.for {{.*}} step %[[C8:.*]] iter_args
// CHECK:           scf.for {{.*}} step %[[C2:.*]] iter_args
// CHECK:             scf.for {{.*}} -> (tensor<8x2x16xf32>)
// CHECK:               vector.transfer_read %[[XV]]{{.*}} vector<8x1x16xf32>
// CHECK:               vector.transfer_read %[[WV]]{{.*}} vector<2x1x16xf32>
// CHECK:               vector.fma %{{.*}} : vector<8x2x16xf32>
// CHECK-NOT:         vector.multi_reduction
// CHECK-NOT:         vector.reduction
// CHECK:             %[[P0:.*]] = vector.extract %{{.*}}[0, 0] : vector<16xf32> from vector<8x2x16xf32>
// CHECK:             %[[P1:.*]] = vector.extract %{{.*}}[0, 1] : vector<16xf32> from vector<8x2x16xf32>
// CHECK:             %[[LO:.*]] = vector.shuffle %[[P0]], %[[P1]] [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]
// CHECK:             %[[HI:.*]] = vector.shuffle %[[P0]], %[[P1]] [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31]
// CHECK:             arith.addf %[[LO]], %[[HI]] : vector<16xf32>
// CHECK-COUNT-7:     arith.addf {{.*}} : vector<16xf32>
// CHECK:             vector.shuffle {{.*}} [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27]
// CHECK-COUNT-4:     arith.addf {{.*}} : vector<16xf32>
// CHECK:             vector.shuffle {{.*}} [0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29]
// CHECK-COUNT-2:     arith.addf {{.*}} : vector<16xf32>
// CHECK:             vector.shuffle {{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK:             %[[SUMS:.*]] = arith.addf {{.*}} : vector<16xf32>
// CHECK:             %[[TILE:.*]] = vector.shape_cast %[[SUMS]] : vector<16xf32> to vector<8x2xf32>
// CHECK:             %[[BIASED:.*]] = arith.addf %{{.*}}, %[[TILE]] : vector<8x2xf32>
// CHECK:             arith.maximumf %[[BIASED]], %{{.*}} : vector<8x2xf32>
// CHECK-NOT:     vector.contract
// CHECK-NOT:     linalg.matmul
// ASSOC-LABEL: func.func @linear_n10_dot
// AVX2-LABEL: func.func @linear_n10_dot
// AVX2-NOT:     linalg.transpose
// AVX2:         vector.fma %{{.*}} : vector<4x2x8xf32>
// AVX2-NOT:     vector.multi_reduction
// AVX2:         vector.shuffle {{.*}} [0, 1, 2, 3, 8, 9, 10, 11] : vector<8xf32>, vector<8xf32>
// AVX2:         vector.shape_cast %{{.*}} : vector<8xf32> to vector<4x2xf32>
#bias = affine_map<(d0, d1) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @linear_n10_dot(%x: tensor<64x512xf32>, %w: tensor<10x512xf32>, %b: tensor<10xf32>) -> tensor<64x10xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x10xf32>
  %init = linalg.broadcast ins(%b : tensor<10xf32>) outs(%e : tensor<64x10xf32>) dimensions = [0]
  %et = tensor.empty() : tensor<512x10xf32>
  %wt = linalg.transpose ins(%w : tensor<10x512xf32>) outs(%et : tensor<512x10xf32>) permutation = [1, 0]
  %m = linalg.matmul ins(%x, %wt : tensor<64x512xf32>, tensor<512x10xf32>) outs(%init : tensor<64x10xf32>) -> tensor<64x10xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<64x10xf32>) outs(%e : tensor<64x10xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.maximumf %v, %z : f32
    linalg.yield %s : f32
  } -> tensor<64x10xf32>
  return %r : tensor<64x10xf32>
}

// -----

// The dot-product kernel must not fire: 16 columns fill a register (the
// outer-product tile wastes nothing), and K = 100 is not a whole number of
// vectors.
// CHECK-LABEL: func.func @no_dot_product
// CHECK-NOT:     vector.fma
// CHECK-NOT:     tensor.expand_shape
// CHECK:         vector.contract {{.*}} into vector<16x16xf32>
// CHECK-NOT:     vector.fma
// CHECK:         vector.contract {{.*}} into vector<16x10xf32>
// CHECK-NOT:     vector.fma
func.func @no_dot_product(%x: tensor<64x512xf32>, %w16: tensor<16x512xf32>, %c16: tensor<64x16xf32>,
                          %x100: tensor<64x100xf32>, %w100: tensor<10x100xf32>, %c10: tensor<64x10xf32>)
    -> (tensor<64x16xf32>, tensor<64x10xf32>) {
  %e16 = tensor.empty() : tensor<512x16xf32>
  %wt16 = linalg.transpose ins(%w16 : tensor<16x512xf32>) outs(%e16 : tensor<512x16xf32>) permutation = [1, 0]
  %m16 = linalg.matmul ins(%x, %wt16 : tensor<64x512xf32>, tensor<512x16xf32>) outs(%c16 : tensor<64x16xf32>) -> tensor<64x16xf32>
  %e100 = tensor.empty() : tensor<100x10xf32>
  %wt100 = linalg.transpose ins(%w100 : tensor<10x100xf32>) outs(%e100 : tensor<100x10xf32>) permutation = [1, 0]
  %m100 = linalg.matmul ins(%x100, %wt100 : tensor<64x100xf32>, tensor<100x10xf32>) outs(%c10 : tensor<64x10xf32>) -> tensor<64x10xf32>
  return %m16, %m100 : tensor<64x16xf32>, tensor<64x10xf32>
}

// -----

// Splitting on N: 784 columns are 24 two-vector tiles and one vector more.
// The product and its epilogue (an SGD update of the weight) are split
// into a 768-column part (packed panels in blocks of 256 rows, 14x32
// tiles) and a 16-column
// part (16x16 tiles), each with its own zero accumulator and its share of
// the update fused; the parts are inserted into the result, whose fill is
// gone. Must not fire for 768 columns (a whole number of tiles).
// Four row blocks read each panel. AVX-512 code's 32-column panels (two
// cache lines a row) are packed in the product's loop, as each block reads
// them (must not fire: packPanelsOnce); the 16-column rest (one line a
// row) is packed once, before its product.
// PAR-LABEL: func.func @split_columns
// PAR-NOT:     linalg.fill
// PAR-NOT:     tensor.expand_shape
// PAR:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (1024, 768) step (256, 32) {{.*}} -> (tensor<1024x768xf32>)
// PAR:           tensor.empty() : tensor<512x32xf32>
// PAR:           vector.contract {{.*}} into vector<14x32xf32>
// PAR:           arith.subf %{{.*}} : vector<14x32xf32>
// PAR:         tensor.insert_slice %{{.*}}[0, 0] [1024, 768] [1, 1] : tensor<1024x768xf32> into tensor<1024x784xf32>
// PAR:         tensor.expand_shape {{.*}} : tensor<512x16xf32> into tensor<512x1x16xf32>
// PAR:           vector.contract {{.*}} into vector<16x16xf32>
// PAR:           arith.subf %{{.*}} : vector<16x16xf32>
// PAR:         tensor.insert_slice %{{.*}}[0, 768] [1024, 16] [1, 1] : tensor<1024x16xf32> into tensor<1024x784xf32>
// PAR-NOT:     linalg.matmul
// The 1024x512 A (2 MiB) is over half the default model's 1 MiB L2, so the
// panels run over blocks of 256 rows (512 KiB); with a 4 MiB L2 all of A
// fits in half of it, and the panels run over all the rows.
// L2-LABEL: func.func @split_columns
// L2:         scf.forall (%{{.*}}) = (0) to (768) step (32) {{.*}} -> (tensor<1024x768xf32>)
// L2-LABEL: func.func @no_split_768
// L2:         scf.forall (%{{.*}}) = (0) to (768) step (32) {{.*}} -> (tensor<1024x768xf32>)
// L2-NOT:     scf.forall (%{{.*}}, %{{.*}})
// AVX2 code's panels (16 floats: one cache line a row; 784 is 49 of them,
// no split) are packed once, before the product, in a loop of their own
// over them, and the product's tiles read them there, with no panel
// temporary of their own. With a 4 MiB L2, one block: each panel is packed
// in the product's loop, as it is read (must not fire).
// AVX2-LABEL: func.func @split_columns
// AVX2:         tensor.expand_shape {{.*}} : tensor<512x784xf32> into tensor<512x49x16xf32>
// AVX2:         %[[PANELS:.*]] = scf.forall (%{{.*}}) in (49) {{.*}} -> (tensor<49x512x16xf32>)
// AVX2:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (1024, 784) step (256, 16) {{.*}} -> (tensor<1024x784xf32>)
// AVX2-NOT:       tensor.empty() : tensor<512x16xf32>
// AVX2:           vector.transfer_read %[[PANELS]][{{.*}}]{{.*}} : tensor<49x512x16xf32>, vector<16xf32>
// AVX2:           vector.contract {{.*}} into vector<6x16xf32>
// AVX2-L2-LABEL: func.func @split_columns
// AVX2-L2-NOT:     tensor.expand_shape
// AVX2-L2:         scf.forall (%{{.*}}) = (0) to (784) step (16) {{.*}} -> (tensor<1024x784xf32>)
// AVX2-L2:           tensor.empty() : tensor<512x16xf32>
// PAR-LABEL: func.func @no_split_768
// PAR-NOT:     tensor.insert_slice {{.*}} into tensor<1024x768xf32>
// PAR:         vector.contract {{.*}} into vector<14x32xf32>
// PAR-NOT:     vector<16x16xf32>
#sgd = affine_map<(d0, d1) -> (d0, d1)>
func.func @split_columns(%a: tensor<1024x512xf32>, %b: tensor<512x784xf32>, %w: tensor<1024x784xf32>) -> tensor<1024x784xf32> {
  %z = arith.constant 0.0 : f32
  %lr = arith.constant 0.001 : f32
  %e = tensor.empty() : tensor<1024x784xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<1024x784xf32>) -> tensor<1024x784xf32>
  %g = linalg.matmul ins(%a, %b : tensor<1024x512xf32>, tensor<512x784xf32>) outs(%c : tensor<1024x784xf32>) -> tensor<1024x784xf32>
  %r = linalg.generic {indexing_maps = [#sgd, #sgd, #sgd], iterator_types = ["parallel", "parallel"]} ins(%g, %w : tensor<1024x784xf32>, tensor<1024x784xf32>) outs(%e : tensor<1024x784xf32>) {
  ^bb0(%d: f32, %v: f32, %o: f32):
    %s = arith.mulf %d, %lr : f32
    %t = arith.subf %v, %s : f32
    linalg.yield %t : f32
  } -> tensor<1024x784xf32>
  return %r : tensor<1024x784xf32>
}
func.func @no_split_768(%a: tensor<1024x512xf32>, %b: tensor<512x768xf32>, %c: tensor<1024x768xf32>) -> tensor<1024x768xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<1024x512xf32>, tensor<512x768xf32>) outs(%c : tensor<1024x768xf32>) -> tensor<1024x768xf32>
  return %r : tensor<1024x768xf32>
}

// -----

// A training forward's weight transposed in the graph, 1024 rows (A 3.1 MB:
// blocks of rows with the default 1 MiB L2). AVX2 code's one-line
// panels are transposed once, before the product (and the blocks are then
// 64 rows, not 128: rowBlockForPanels): a loop over the 32
// panels, each the 8x8 register-block transpose of 16 rows of the weight
// into its part of the panels, which the blocks' tiles read; no panel
// temporary, and no transpose, in the product's loop. AVX-512 code
// (two-line panels) transposes each block's panels in the product's loop
// (must not fire).
// AVX2-LABEL: func.func @linear_row_blocks
// AVX2:         tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] {{.*}} : tensor<512x784xf32> into tensor<32x16x784xf32>
// AVX2:         %[[PANELS:.*]] = scf.forall (%{{.*}}) in (32) {{.*}} -> (tensor<32x784x16xf32>)
// AVX2:           vector.transpose {{.*}} : vector<8x8xf32> to vector<8x8xf32>
// AVX2:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (1024, 512) step (64, 16)
// AVX2-NOT:       vector.transpose
// AVX2-NOT:       tensor.empty() : tensor<784x16xf32>
// AVX2:           vector.transfer_read %[[PANELS]][{{.*}}]{{.*}} : tensor<32x784x16xf32>, vector<16xf32>
// AVX2:           vector.contract {{.*}} into vector<6x16xf32>
// PAR-LABEL: func.func @linear_row_blocks
// L2-LABEL: func.func @linear_row_blocks
// AVX2-L2-LABEL: func.func @linear_row_blocks
// PAR-NOT:     tensor.expand_shape
// PAR:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (1024, 512) step (128, 32)
// PAR:           vector.transpose
// PAR:           vector.contract
func.func @linear_row_blocks(%x: tensor<1024x784xf32>, %w: tensor<512x784xf32>, %b: tensor<512xf32>) -> tensor<1024x512xf32> {
  %e = tensor.empty() : tensor<784x512xf32>
  %wt = linalg.transpose ins(%w : tensor<512x784xf32>) outs(%e : tensor<784x512xf32>) permutation = [1, 0]
  %c0 = tensor.empty() : tensor<1024x512xf32>
  %c = linalg.broadcast ins(%b : tensor<512xf32>) outs(%c0 : tensor<1024x512xf32>) dimensions = [0]
  %r = linalg.matmul ins(%x, %wt : tensor<1024x784xf32>, tensor<784x512xf32>) outs(%c : tensor<1024x512xf32>) -> tensor<1024x512xf32>
  return %r : tensor<1024x512xf32>
}

// A "transpose" by the identity permutation is not a weight's transpose:
// its panels are not transposed once (must not fire).
// AVX2-LABEL: func.func @identity_transpose_row_blocks
// AVX2-NOT:     tensor.expand_shape
// AVX2:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (1024, 512) step (128, 16)
// PAR-LABEL: func.func @identity_transpose_row_blocks
// L2-LABEL: func.func @identity_transpose_row_blocks
// AVX2-L2-LABEL: func.func @identity_transpose_row_blocks
func.func @identity_transpose_row_blocks(%x: tensor<1024x784xf32>, %w: tensor<784x512xf32>, %c: tensor<1024x512xf32>) -> tensor<1024x512xf32> {
  %e = tensor.empty() : tensor<784x512xf32>
  %wt = linalg.transpose ins(%w : tensor<784x512xf32>) outs(%e : tensor<784x512xf32>) permutation = [0, 1]
  %r = linalg.matmul ins(%x, %wt : tensor<1024x784xf32>, tensor<784x512xf32>) outs(%c : tensor<1024x512xf32>) -> tensor<1024x512xf32>
  return %r : tensor<1024x512xf32>
}

// -----

// Splitting on K: A (64 x 4096, 1 MiB) is over half the default model's
// 1 MiB L2 and 64 rows are too few for row blocks (4 tiles of 14), so the
// product runs as 8 products over parts of 512 of K (A's part 128 KiB, an
// eighth of the L2), each a parallel loop over the column panels
// accumulating into the one before: the first from zero (its fill fused
// into the tiles), the last reading the one before with the ReLU epilogue
// (writing the epilogue's result). Must not fire with a
// 4 MiB L2 (A fits in half of it): one loop over all of K. A's rows are
// 16 KiB apart, all in one set of the default model's 8-way L1: the tiles
// are 8 rows tall (rowsInL1), not 14.
// PAR-LABEL: func.func @split_depth
// PAR:         %[[P0:.*]] = scf.forall (%{{.*}}) = (0) to (288) step (32) shared_outs(%{{.*}} = %{{.*}})
// PAR:           scf.for %{{.*}} = %c0 to %c512 step %c1
// PAR:             vector.contract {{.*}} into vector<8x32xf32>
// PAR-NOT:       arith.maximumf
// PAR:         %[[P1:.*]] = scf.forall (%{{.*}}) = (0) to (288) step (32) shared_outs(%{{.*}} = %[[P0]])
// PAR:         %[[P2:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %[[P1]])
// PAR:         %[[P3:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %[[P2]])
// PAR:         %[[P4:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %[[P3]])
// PAR:         %[[P5:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %[[P4]])
// PAR:         %[[P6:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %[[P5]])
// PAR-NOT:       arith.maximumf
// PAR:         scf.forall
// PAR:           tensor.extract_slice %[[P6]]
// PAR:           scf.for %{{.*}} = %c0 to %c512 step %c1
// PAR:           arith.maximumf %{{.*}} : vector<8x32xf32>
// PAR-NOT:     scf.forall (
// PAR-NOT:     linalg.matmul
// L2-LABEL: func.func @split_depth
// L2:         scf.forall (%{{.*}}) = (0) to (288) step (32)
// L2:           scf.for %{{.*}} = %c0 to %c4096 step %c1
// L2-NOT:     scf.forall (
func.func @split_depth(%a: tensor<64x4096xf32>, %b: tensor<4096x288xf32>) -> tensor<64x288xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x288xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<64x288xf32>) -> tensor<64x288xf32>
  %g = linalg.matmul ins(%a, %b : tensor<64x4096xf32>, tensor<4096x288xf32>) outs(%c : tensor<64x288xf32>) -> tensor<64x288xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%g : tensor<64x288xf32>) outs(%e : tensor<64x288xf32>) {
  ^bb0(%d: f32, %o: f32):
    %t = arith.maximumf %d, %z : f32
    linalg.yield %t : f32
  } -> tensor<64x288xf32>
  return %r : tensor<64x288xf32>
}

// -----

// A copy through windows (an im2col from channels-last input) whose
// innermost loop (the 16 channels) is contiguous in both the input and the
// result: copied a row at a time, each row one vector read and write (LLVM
// leaves such loops as scalar moves). Must not fire for rows of 4 (too
// short for a vector).
// L2-LABEL: func.func @window_copy
// CHECK-LABEL: func.func @window_copy
// CHECK:         scf.for
// CHECK:           %[[V:.*]] = vector.transfer_read %{{.*}} : tensor<{{.*}}>, vector<16xf32>
// CHECK:           vector.transfer_write %[[V]]
// CHECK-NOT:     linalg.generic
// CHECK-LABEL: func.func @window_copy_short_rows
// CHECK:         linalg.generic
// CHECK-NOT:     vector.transfer_read
func.func @window_copy(%x: tensor<2x6x6x16xf32>) -> tensor<2x4x4x3x3x16xf32> {
  %ce = tensor.empty() : tensor<2x4x4x3x3x16xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d3, d2 + d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x6x6x16xf32>) outs(%ce : tensor<2x4x4x3x3x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x4x4x3x3x16xf32>
  return %c : tensor<2x4x4x3x3x16xf32>
}
func.func @window_copy_short_rows(%x: tensor<2x6x6x4xf32>) -> tensor<2x4x4x3x3x4xf32> {
  %ce = tensor.empty() : tensor<2x4x4x3x3x4xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d3, d2 + d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x6x6x4xf32>) outs(%ce : tensor<2x4x4x3x3x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x4x4x3x3x4xf32>
  return %c : tensor<2x4x4x3x3x4xf32>
}

// -----

// A convolution's product at inference (ember-to-linalg's channels-last
// im2col, read by this product alone): A (3136 x 288, 3.5 MiB) is over half
// the default model's 1 MiB L2, so the product runs as one scf.forall over
// blocks of whole images, each block's windows copied into a block-sized
// temporary just before its product: one image a block (226 KiB, within a
// quarter of the L2), its product's column panels packed in a serial loop
// (no forall nested in the block's). With a 4 MiB L2, four images a block.
// Must not fire when the windows are also read by another product (a
// training step's weight gradient shares them): the whole copy, then the
// products.
// CHECK-LABEL: func.func @window_blocks
// PAR-LABEL: func.func @window_blocks
// PAR:         %[[E:.*]] = tensor.empty() : tensor<3136x64xf32>
// PAR:         scf.forall (%[[B:.*]]) in (16) shared_outs(%[[O:.*]] = %[[E]])
// PAR:           tensor.empty() : tensor<1x14x14x3x3x32xf32>
// PAR:           vector.transfer_read {{.*}} vector<32xf32>
// PAR:           tensor.collapse_shape {{.*}} into tensor<196x288xf32>
// PAR-NOT:       scf.forall
// PAR:           scf.for %{{.*}} = %c0 to %c64 step %c32
// PAR:             vector.contract
// PAR:           scf.forall.in_parallel
// PAR:             tensor.parallel_insert_slice %{{.*}} into %[[O]][%{{.*}}, 0] [196, 64] [1, 1]
// PAR-NOT:     linalg.matmul
// L2-LABEL: func.func @window_blocks
// L2:         scf.forall (%{{.*}}) in (4)
// L2:           tensor.empty() : tensor<4x14x14x3x3x32xf32>
// PAR-LABEL: func.func @window_blocks_shared
// PAR:         scf.forall (%{{.*}}) = (0) to (16) step (2) {{.*}} -> (tensor<16x14x14x3x3x32xf32>)
// PAR:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (3136, 64)
func.func @window_blocks(%x: tensor<16x16x16x32xf32>, %w: tensor<64x288xf32>) -> tensor<3136x64xf32> {
  %z = arith.constant 0.0 : f32
  %ce = tensor.empty() : tensor<16x14x14x3x3x32xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d3, d2 + d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<16x16x16x32xf32>) outs(%ce : tensor<16x14x14x3x3x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<16x14x14x3x3x32xf32>
  %a = tensor.collapse_shape %c [[0, 1, 2], [3, 4, 5]] : tensor<16x14x14x3x3x32xf32> into tensor<3136x288xf32>
  %te = tensor.empty() : tensor<288x64xf32>
  %wt = linalg.transpose ins(%w : tensor<64x288xf32>) outs(%te : tensor<288x64xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<3136x64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3136x64xf32>) -> tensor<3136x64xf32>
  %p = linalg.matmul ins(%a, %wt : tensor<3136x288xf32>, tensor<288x64xf32>) outs(%f : tensor<3136x64xf32>) -> tensor<3136x64xf32>
  return %p : tensor<3136x64xf32>
}
func.func @window_blocks_shared(%x: tensor<16x16x16x32xf32>, %w: tensor<64x288xf32>, %g: tensor<64x3136xf32>) -> (tensor<3136x64xf32>, tensor<64x288xf32>) {
  %z = arith.constant 0.0 : f32
  %ce = tensor.empty() : tensor<16x14x14x3x3x32xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d3, d2 + d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<16x16x16x32xf32>) outs(%ce : tensor<16x14x14x3x3x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<16x14x14x3x3x32xf32>
  %a = tensor.collapse_shape %c [[0, 1, 2], [3, 4, 5]] : tensor<16x14x14x3x3x32xf32> into tensor<3136x288xf32>
  %te = tensor.empty() : tensor<288x64xf32>
  %wt = linalg.transpose ins(%w : tensor<64x288xf32>) outs(%te : tensor<288x64xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<3136x64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3136x64xf32>) -> tensor<3136x64xf32>
  %p = linalg.matmul ins(%a, %wt : tensor<3136x288xf32>, tensor<288x64xf32>) outs(%f : tensor<3136x64xf32>) -> tensor<3136x64xf32>
  %e2 = tensor.empty() : tensor<64x288xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<64x288xf32>) -> tensor<64x288xf32>
  %q = linalg.matmul ins(%g, %a : tensor<64x3136xf32>, tensor<3136x288xf32>) outs(%f2 : tensor<64x288xf32>) -> tensor<64x288xf32>
  return %p, %q : tensor<3136x64xf32>, tensor<64x288xf32>
}

// -----

// The dot-product kernel takes no square tile (MLIR 22 folds the
// broadcast of W's step vectors to Mr x Nr x 1 x L and its shape_cast into
// one broadcast that stretches the wrong dim when Mr = Nr: see
// chooseDotTile). 60 x 96 x 8 would take 4 x 4; it takes 4 x 2.
// CHECK-LABEL: func.func @dot_not_square
// CHECK:         vector.fma {{.*}} : vector<4x2x16xf32>
// CHECK-NOT:     vector<4x4x16xf32>
func.func @dot_not_square(%a: tensor<60x96xf32>, %w: tensor<8x96xf32>) -> tensor<60x8xf32> {
  %z = arith.constant 0.0 : f32
  %te = tensor.empty() : tensor<96x8xf32>
  %wt = linalg.transpose ins(%w : tensor<8x96xf32>) outs(%te : tensor<96x8xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<60x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<60x8xf32>) -> tensor<60x8xf32>
  %p = linalg.matmul ins(%a, %wt : tensor<60x96xf32>, tensor<96x8xf32>) outs(%f : tensor<60x8xf32>) -> tensor<60x8xf32>
  return %p : tensor<60x8xf32>
}

// -----

// An op reading through tensor.extract (a max pool over a biased ReLU,
// the producer computed at each read point) is vectorized a row of output
// columns at a time; a read whose columns step by 2 elements is one
// contiguous read of the 13-element span and a shuffle taking every second
// element; the bias, the same for the row, one scalar read. Must not fire
// for a step of 5 (a gather: the span would be 5 times the row).
// CHECK-LABEL: func.func @extract_rows
// CHECK:         tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : tensor<2x3x8x14xf32> into tensor<672xf32>
// CHECK:         %[[R:.*]] = vector.transfer_read %{{.*}} : tensor<672xf32>, vector<13xf32>
// CHECK:         vector.shuffle %[[R]], %[[R]] [0, 2, 4, 6, 8, 10, 12] : vector<13xf32>, vector<13xf32>
// CHECK-NOT:     vector.gather
// CHECK:         vector.transfer_write {{.*}} : vector<7xf32>
// CHECK-LABEL: func.func @extract_rows_wide_stride
// CHECK:         vector.gather {{.*}} : tensor<2x3x8x35xf32>, vector<7xindex>
// CHECK-NOT:     vector.shuffle
func.func @extract_rows(%x: tensor<2x3x8x14xf32>, %b: tensor<3xf32>) -> tensor<2x3x4x7xf32> {
  %c2 = arith.constant 2 : index
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x4x7xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<2x3x4x7xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %h2 = arith.muli %h, %c2 : index
    %w2 = arith.muli %w, %c2 : index
    %v = tensor.extract %x[%n, %c, %h2, %w2] : tensor<2x3x8x14xf32>
    %bias = tensor.extract %b[%c] : tensor<3xf32>
    %s = arith.addf %v, %bias : f32
    %m = arith.maximumf %s, %z : f32
    linalg.yield %m : f32
  } -> tensor<2x3x4x7xf32>
  return %r : tensor<2x3x4x7xf32>
}
func.func @extract_rows_wide_stride(%x: tensor<2x3x8x35xf32>) -> tensor<2x3x4x7xf32> {
  %c2 = arith.constant 2 : index
  %c5 = arith.constant 5 : index
  %e = tensor.empty() : tensor<2x3x4x7xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<2x3x4x7xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %h2 = arith.muli %h, %c2 : index
    %w5 = arith.muli %w, %c5 : index
    %v = tensor.extract %x[%n, %c, %h2, %w5] : tensor<2x3x8x35xf32>
    linalg.yield %v : f32
  } -> tensor<2x3x4x7xf32>
  return %r : tensor<2x3x4x7xf32>
}

// -----

// An op writing i32 through tensor.extract reads (a max-pool gradient's
// window indices: the index of the window's first maximum) is vectorized a
// row at a time as the f32 ones: the two reads of a window row, each a
// contiguous read and a shuffle; the index a select between i32 vectors.
// CHECK-LABEL: func.func @extract_rows_indices
// CHECK:         vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12] : vector<13xf32>, vector<13xf32>
// CHECK:         vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12] : vector<13xf32>, vector<13xf32>
// CHECK-NOT:     vector.gather
// CHECK:         arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<7xi1>, vector<7xi32>
// CHECK:         vector.transfer_write {{.*}} : vector<7xi32>
func.func @extract_rows_indices(%x: tensor<2x3x8x14xf32>) -> tensor<2x3x4x7xi32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0 : i32
  %one = arith.constant 1 : i32
  %e = tensor.empty() : tensor<2x3x4x7xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<2x3x4x7xi32>) {
  ^bb0(%out: i32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %h2 = arith.muli %h, %c2 : index
    %w2 = arith.muli %w, %c2 : index
    %w21 = arith.addi %w2, %c1 : index
    %a = tensor.extract %x[%n, %c, %h2, %w2] : tensor<2x3x8x14xf32>
    %b = tensor.extract %x[%n, %c, %h2, %w21] : tensor<2x3x8x14xf32>
    %gt = arith.cmpf ogt, %b, %a : f32
    %i = arith.select %gt, %one, %zero : i32
    linalg.yield %i : i32
  } -> tensor<2x3x4x7xi32>
  return %r : tensor<2x3x4x7xi32>
}

// -----

// A max-pool gradient (2x2 windows): each output column reads its window's
// index and its upstream gradient at column w / 2, so lanes repeat an
// offset twice. The index, contiguous along the row, is one read of the 7
// distinct elements and a shuffle repeating each; so is the gradient read
// from a channels-last [N, H, W, 3] (its 7 elements 3 apart: a span of
// 19). With 16 channels (a span of 97, over 4 elements a lane) the
// gradient is a gather of the 7 distinct elements, then the shuffle.
// CHECK-LABEL: func.func @extract_rows_repeated
// CHECK:         %[[I:.*]] = vector.transfer_read {{.*}} : tensor<294xi32>, vector<7xi32>
// CHECK:         vector.shuffle %[[I]], %[[I]] [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6] : vector<7xi32>, vector<7xi32>
// CHECK:         %[[G:.*]] = vector.transfer_read {{.*}} : tensor<294xf32>, vector<19xf32>
// CHECK:         vector.shuffle %[[G]], %[[G]] [0, 0, 3, 3, 6, 6, 9, 9, 12, 12, 15, 15, 18, 18] : vector<19xf32>, vector<19xf32>
// CHECK-NOT:     vector.gather
// CHECK-LABEL: func.func @extract_rows_repeated_wide
// CHECK:         vector.shuffle {{.*}} : vector<7xi32>, vector<7xi32>
// CHECK:         %[[W:.*]] = vector.gather {{.*}} : tensor<2x7x7x16xf32>, vector<7xindex>, vector<7xi1>, vector<7xf32> into vector<7xf32>
// CHECK:         vector.shuffle %[[W]], %[[W]] [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6] : vector<7xf32>, vector<7xf32>
func.func @extract_rows_repeated(%idx: tensor<2x3x7x7xi32>, %g: tensor<2x7x7x3xf32>) -> tensor<2x3x14x14xf32> {
  %e = tensor.empty() : tensor<2x3x14x14xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<2x3x14x14xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %c2 = arith.constant 2 : index
    %h2 = arith.divui %h, %c2 : index
    %w2 = arith.divui %w, %c2 : index
    %hr = arith.remui %h, %c2 : index
    %wr = arith.remui %w, %c2 : index
    %k0 = arith.muli %hr, %c2 : index
    %k = arith.addi %k0, %wr : index
    %i = tensor.extract %idx[%n, %c, %h2, %w2] : tensor<2x3x7x7xi32>
    %ii = arith.index_cast %i : i32 to index
    %v = tensor.extract %g[%n, %h2, %w2, %c] : tensor<2x7x7x3xf32>
    %hit = arith.cmpi eq, %ii, %k : index
    %z = arith.constant 0.0 : f32
    %s = arith.select %hit, %v, %z : f32
    linalg.yield %s : f32
  } -> tensor<2x3x14x14xf32>
  return %r : tensor<2x3x14x14xf32>
}
func.func @extract_rows_repeated_wide(%idx: tensor<2x16x7x7xi32>, %g: tensor<2x7x7x16xf32>) -> tensor<2x16x14x14xf32> {
  %e = tensor.empty() : tensor<2x16x14x14xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<2x16x14x14xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %c2 = arith.constant 2 : index
    %h2 = arith.divui %h, %c2 : index
    %w2 = arith.divui %w, %c2 : index
    %hr = arith.remui %h, %c2 : index
    %wr = arith.remui %w, %c2 : index
    %k0 = arith.muli %hr, %c2 : index
    %k = arith.addi %k0, %wr : index
    %i = tensor.extract %idx[%n, %c, %h2, %w2] : tensor<2x16x7x7xi32>
    %ii = arith.index_cast %i : i32 to index
    %v = tensor.extract %g[%n, %h2, %w2, %c] : tensor<2x7x7x16xf32>
    %hit = arith.cmpi eq, %ii, %k : index
    %z = arith.constant 0.0 : f32
    %s = arith.select %hit, %v, %z : f32
    linalg.yield %s : f32
  } -> tensor<2x16x14x14xf32>
  return %r : tensor<2x16x14x14xf32>
}

// -----

// Must not fire: lanes are worked out on index and boolean vectors only,
// and booleans only through and, or, select and comparisons of indices. A
// sum of booleans wraps (true + true is false; with offsets taken as
// integers the shuffle read lane 1 at w instead of 2w): the gather stays.
// CHECK-LABEL: func.func @extract_rows_boolean_sum
// CHECK:         vector.gather
// CHECK-NOT:     vector.shuffle
func.func @extract_rows_boolean_sum(%x: tensor<4x16xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(h, w) -> (h, w)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<4x8xf32>) {
  ^bb0(%o: f32):
    %h = linalg.index 0 : index
    %w = linalg.index 1 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %p = arith.cmpi slt, %w, %c4 : index
    %q = arith.cmpi slt, %w, %c2 : index
    %pq = arith.addi %p, %q : i1
    %w2 = arith.muli %w, %c2 : index
    %i = arith.select %pq, %w, %w2 : index
    %v = tensor.extract %x[%h, %i] : tensor<4x16xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// Reads contiguous along another loop than the innermost (a pooling of a
// channels-last product: [N, C, OH, OW] from [N, H, W, C]) take that loop
// as the row: one read of the 16 channels a window position, no gather.
// CHECK-LABEL: func.func @extract_rows_channels
// CHECK:         scf.for
// CHECK:           vector.transfer_read {{.*}} : tensor<2x6x6x16xf32>, vector<16xf32>
// CHECK-NOT:     vector.gather
func.func @extract_rows_channels(%x: tensor<2x6x6x16xf32>) -> tensor<2x16x3x3xf32> {
  %c2 = arith.constant 2 : index
  %e = tensor.empty() : tensor<2x16x3x3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<2x16x3x3xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %h2 = arith.muli %h, %c2 : index
    %w2 = arith.muli %w, %c2 : index
    %v = tensor.extract %x[%n, %h2, %w2, %c] : tensor<2x6x6x16xf32>
    linalg.yield %v : f32
  } -> tensor<2x16x3x3xf32>
  return %r : tensor<2x16x3x3xf32>
}

// -----

// A large fill left standing (not an accumulator fused into a product's
// tiles: a max-pool gradient's -inf start) is shared by threads in blocks
// of rows, as elementwise generics are; a small one (under 65536 elements)
// stays whole.
// PAR-LABEL: func.func @large_fill
// PAR:         scf.forall (%{{.*}}) = (0) to (64) step (8)
// PAR:           linalg.fill {{.*}} -> tensor<8x32x14x14xf32>
// PAR-LABEL: func.func @small_fill
// PAR-NOT:     scf.forall
// PAR:         linalg.fill {{.*}} -> tensor<4x32x14x14xf32>
func.func @large_fill() -> tensor<64x32x14x14xf32> {
  %c = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<64x32x14x14xf32>
  %f = linalg.fill ins(%c : f32) outs(%e : tensor<64x32x14x14xf32>) -> tensor<64x32x14x14xf32>
  return %f : tensor<64x32x14x14xf32>
}
func.func @small_fill() -> tensor<4x32x14x14xf32> {
  %c = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4x32x14x14xf32>
  %f = linalg.fill ins(%c : f32) outs(%e : tensor<4x32x14x14xf32>) -> tensor<4x32x14x14xf32>
  return %f : tensor<4x32x14x14xf32>
}

// -----

// A constant B (a graphc model's weight, transposed in the graph) is packed
// into its column panels now, a [N / Nr, K, Nr] constant the tiles read
// (panel j / Nr); nothing is transposed or copied when the graph runs. The
// panel holds W's rows as its columns: B[k][j] = W[j][k] = 2j + k.
// CHECK-DAG:   #[[PANEL:.*]] = affine_map<()[s0] -> (s0 floordiv 32)>
// CHECK-LABEL: func.func @prepacked_constant
// CHECK:         %[[P:.*]] = arith.constant dense<{{\[\[\[}}0.000000e+00, 2.000000e+00, 4.000000e+00,{{.*}}], [1.000000e+00, 3.000000e+00, 5.000000e+00,{{.*}} : tensor<1x2x32xf32>
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     linalg.copy
// CHECK:         scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}}
// CHECK:           %[[I:.*]] = affine.apply #[[PANEL]]()[%[[J]]]
// CHECK:           vector.transfer_read %[[P]][%[[I]], %{{.*}}, %{{.*}}]{{.*}} : tensor<1x2x32xf32>, vector<32xf32>
func.func @prepacked_constant(%a: tensor<5x2xf32>) -> tensor<5x32xf32> {
  %w = arith.constant dense<[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0], [8.0, 9.0], [10.0, 11.0], [12.0, 13.0], [14.0, 15.0], [16.0, 17.0], [18.0, 19.0], [20.0, 21.0], [22.0, 23.0], [24.0, 25.0], [26.0, 27.0], [28.0, 29.0], [30.0, 31.0], [32.0, 33.0], [34.0, 35.0], [36.0, 37.0], [38.0, 39.0], [40.0, 41.0], [42.0, 43.0], [44.0, 45.0], [46.0, 47.0], [48.0, 49.0], [50.0, 51.0], [52.0, 53.0], [54.0, 55.0], [56.0, 57.0], [58.0, 59.0], [60.0, 61.0], [62.0, 63.0]]> : tensor<32x2xf32>
  %e = tensor.empty() : tensor<2x32xf32>
  %b = linalg.transpose ins(%w : tensor<32x2xf32>) outs(%e : tensor<2x32xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %c0 = tensor.empty() : tensor<5x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<5x32xf32>) -> tensor<5x32xf32>
  %r = linalg.matmul ins(%a, %b : tensor<5x2xf32>, tensor<2x32xf32>) outs(%c : tensor<5x32xf32>) -> tensor<5x32xf32>
  return %r : tensor<5x32xf32>
}


// -----

// Must not fire: a B computed when the graph runs (a weight given as an
// argument, as in training and the frontend's graphs) is read as it is.
// CHECK-LABEL: func.func @no_prepacked_argument
// CHECK-NOT:     tensor<1x2x32xf32>
// CHECK:         linalg.transpose
// CHECK-NOT:     tensor<1x2x32xf32>

func.func @no_prepacked_argument(%a: tensor<5x2xf32>, %w: tensor<32x2xf32>) -> tensor<5x32xf32> {
  %e = tensor.empty() : tensor<2x32xf32>
  %b = linalg.transpose ins(%w : tensor<32x2xf32>) outs(%e : tensor<2x32xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %c0 = tensor.empty() : tensor<5x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<5x32xf32>) -> tensor<5x32xf32>
  %r = linalg.matmul ins(%a, %b : tensor<5x2xf32>, tensor<2x32xf32>) outs(%c : tensor<5x32xf32>) -> tensor<5x32xf32>
  return %r : tensor<5x32xf32>
}

// -----

// A B passed in as its column panels X [N / Nr, K, Nr] (transposed [1, 0,
// 2] and collapsed to K x N: the frontend's inference weight cache) is read
// as it is, by tiles of the panels' width (AVX2 code too: 32 is four of its
// registers): nothing is transposed or copied.
// CHECK-DAG:   #[[PANEL:.*]] = affine_map<()[s0] -> (s0 floordiv 32)>
// CHECK-LABEL: func.func @given_panels
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<2x2x32xf32>
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     linalg.copy
// CHECK:         scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}}
// CHECK:           %[[I:.*]] = affine.apply #[[PANEL]]()[%[[J]]]
// CHECK:           vector.transfer_read %[[X]][%[[I]], %{{.*}}, %{{.*}}]{{.*}} : tensor<2x2x32xf32>, vector<32xf32>
// AVX2-LABEL:  func.func @given_panels
// AVX2-NOT:      linalg.transpose
// AVX2-NOT:      linalg.copy
// AVX2:          vector.transfer_read %arg1[{{.*}}]{{.*}} : tensor<2x2x32xf32>, vector<32xf32>
func.func @given_panels(%a: tensor<5x2xf32>, %x: tensor<2x2x32xf32>) -> tensor<5x64xf32> {
  %e = tensor.empty() : tensor<2x2x32xf32>
  %t = linalg.transpose ins(%x : tensor<2x2x32xf32>) outs(%e : tensor<2x2x32xf32>) permutation = [1, 0, 2]
  %b = tensor.collapse_shape %t [[0], [1, 2]] : tensor<2x2x32xf32> into tensor<2x64xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = tensor.empty() : tensor<5x64xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<5x64xf32>) -> tensor<5x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<5x2xf32>, tensor<2x64xf32>) outs(%c : tensor<5x64xf32>) -> tensor<5x64xf32>
  return %r : tensor<5x64xf32>
}

// -----

// Must not fire: B is a transpose of a 3-D argument whose last dim could
// be a panel width, but not of panels ([2, 1, 0]: X[j][p][k], not
// X[p][k][j]); the transpose stays, and the product reads its result.
// CHECK-LABEL: func.func @not_panels_permutation
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<32x2x32xf32>
// CHECK:         linalg.transpose ins(%[[X]] {{.*}} permutation = [2, 1, 0]
// CHECK-NOT:     vector.transfer_read %[[X]]
func.func @not_panels_permutation(%a: tensor<5x32xf32>, %x: tensor<32x2x32xf32>) -> tensor<5x64xf32> {
  %e = tensor.empty() : tensor<32x2x32xf32>
  %t = linalg.transpose ins(%x : tensor<32x2x32xf32>) outs(%e : tensor<32x2x32xf32>) permutation = [2, 1, 0]
  %b = tensor.collapse_shape %t [[0], [1, 2]] : tensor<32x2x32xf32> into tensor<32x64xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = tensor.empty() : tensor<5x64xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<5x64xf32>) -> tensor<5x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<5x32xf32>, tensor<32x64xf32>) outs(%c : tensor<5x64xf32>) -> tensor<5x64xf32>
  return %r : tensor<5x64xf32>
}

// -----

// Must not fire: panels 2 wide (under 4, no register tile that width);
// the transpose stays and the product reads its result.
// CHECK-LABEL: func.func @not_panels_narrow
// CHECK:         %[[T:.*]] = linalg.transpose {{.*}} permutation = [1, 0, 2]
// CHECK:         %[[B:.*]] = tensor.collapse_shape %[[T]]
// CHECK:         vector.transfer_read %[[B]]
func.func @not_panels_narrow(%a: tensor<5x2xf32>, %x: tensor<16x2x2xf32>) -> tensor<5x32xf32> {
  %e = tensor.empty() : tensor<2x16x2xf32>
  %t = linalg.transpose ins(%x : tensor<16x2x2xf32>) outs(%e : tensor<2x16x2xf32>) permutation = [1, 0, 2]
  %b = tensor.collapse_shape %t [[0], [1, 2]] : tensor<2x16x2xf32> into tensor<2x32xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = tensor.empty() : tensor<5x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<5x32xf32>) -> tensor<5x32xf32>
  %r = linalg.matmul ins(%a, %b : tensor<5x2xf32>, tensor<2x32xf32>) outs(%c : tensor<5x32xf32>) -> tensor<5x32xf32>
  return %r : tensor<5x32xf32>
}

// -----

// A product of few rows (inference at batch 1) by a B of 2^18 elements or
// more (1 MiB, read from the L3 or memory) runs on threads whatever its
// work (0.5 MFLOP here): each thread reads its own columns of B.
// PAR-LABEL: func.func @few_rows_large_b
// PAR:         scf.forall ({{.*}}) = (0, 0) to (256, 1) step (128, 1)
func.func @few_rows_large_b(%a: tensor<1x1024xf32>, %b: tensor<1024x256xf32>) -> tensor<1x256xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = tensor.empty() : tensor<1x256xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<1x256xf32>) -> tensor<1x256xf32>
  %r = linalg.matmul ins(%a, %b : tensor<1x1024xf32>, tensor<1024x256xf32>) outs(%c : tensor<1x256xf32>) -> tensor<1x256xf32>
  return %r : tensor<1x256xf32>
}

// -----

// Must not fire: B just under 2^18 elements (1020 x 256); one thread.
// PAR-LABEL: func.func @few_rows_smaller_b
// PAR-NOT:     scf.forall
// PAR:         return
func.func @few_rows_smaller_b(%a: tensor<1x1020xf32>, %b: tensor<1020x256xf32>) -> tensor<1x256xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = tensor.empty() : tensor<1x256xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<1x256xf32>) -> tensor<1x256xf32>
  %r = linalg.matmul ins(%a, %b : tensor<1x1020xf32>, tensor<1020x256xf32>) outs(%c : tensor<1x256xf32>) -> tensor<1x256xf32>
  return %r : tensor<1x256xf32>
}

// -----

// Short rows joined: an [N, C, H, W] elementwise pass (the first
// convolution's bias, its product read as [C, N, H, W]; a per-channel
// [1, C, 1, 1] scale) has rows of 28; H and W are contiguous in every
// operand, so the loop LLVM vectorizes is H x W = 784 long (left at 28,
// LLVM unrolled it and vectorized across rows with gathers on Zen 4). The
// [1, C, 1, 1] operand becomes [C] to be read as the other per-channel one.
// CHECK-LABEL: func.func @collapse_short_rows
// CHECK-DAG:     tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : tensor<1x32x1x1xf32> into tensor<32xf32>
// CHECK-DAG:     tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<32x8x28x28xf32> into tensor<32x8x784xf32>
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]{{.*}} outs(%{{.*}} : tensor<8x32x784xf32>)
// Shared among threads by images, as before, each a whole image's rows.
// PAR-LABEL: func.func @collapse_short_rows
// PAR:         scf.forall (%{{.*}}) in (8)
// PAR:           linalg.generic {{.*}} outs(%{{.*}} : tensor<1x32x784xf32>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#cn = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (0, d1, 0, 0)>
#c1 = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @collapse_short_rows(%x: tensor<32x8x28x28xf32>, %s: tensor<1x32x1x1xf32>, %b: tensor<32xf32>) -> tensor<32xf32> {
  %e = tensor.empty() : tensor<8x32x28x28xf32>
  %u = linalg.generic {indexing_maps = [#cn, #ch, #c1, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %s, %b : tensor<32x8x28x28xf32>, tensor<1x32x1x1xf32>, tensor<32xf32>) outs(%e : tensor<8x32x28x28xf32>) {
  ^bb0(%a: f32, %m: f32, %c: f32, %o: f32):
    %p = arith.mulf %a, %m : f32
    %q = arith.addf %p, %c : f32
    linalg.yield %q : f32
  } -> tensor<8x32x28x28xf32>
  // (The statistics of the result: a result the function returns is not
  // joined, see @no_collapse.)
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<32xf32>
  %f = linalg.fill ins(%z : f32) outs(%e1 : tensor<32xf32>) -> tensor<32xf32>
  %sum = linalg.reduce ins(%u : tensor<8x32x28x28xf32>) outs(%f : tensor<32xf32>) dimensions = [0, 2, 3]
    (%in: f32, %acc: f32) {
      %t = arith.addf %in, %acc : f32
      linalg.yield %t : f32
    }
  return %sum : tensor<32xf32>
}

// -----

// Must not fire: rows joined only as far as every operand reads them
// contiguously. An operand read with H and W swapped keeps the rows short;
// a body reading indices is left whole (joined loops would turn each index
// into divisions); rows of 64 or more are long enough; a slice taking half
// of W, or every other row of H, cannot be viewed as [N, C, H x W] without
// a copy, nor can a slice of a slice that takes half of W; a result the
// function returns (the last generic here) is written into the caller's
// buffer as it is, where through a reshape it would be computed into a
// temporary and copied.
// CHECK-LABEL: func.func @no_collapse
// CHECK-NOT:     tensor.collapse_shape
// CHECK:         return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#hw = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
func.func @no_collapse(%x: tensor<8x32x28x28xf32>, %y: tensor<8x32x28x64xf32>, %z: tensor<8x32x28x56xf32>, %zz: tensor<8x32x56x28xf32>) -> (tensor<8x32x28x28xf32>, tensor<8x32x28x64xf32>) {
  %e = tensor.empty() : tensor<8x32x28x28xf32>
  %swapped = linalg.generic {indexing_maps = [#hw, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<8x32x28x28xf32>) outs(%e : tensor<8x32x28x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<8x32x28x28xf32>
  %indexed = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<8x32x28x28xf32>) outs(%e : tensor<8x32x28x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 3 : index
    %j = arith.index_cast %i : index to i32
    %f = arith.sitofp %j : i32 to f32
    %n = arith.addf %a, %f : f32
    linalg.yield %n : f32
  } -> tensor<8x32x28x28xf32>
  %e64 = tensor.empty() : tensor<8x32x28x64xf32>
  %long = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : tensor<8x32x28x64xf32>) outs(%e64 : tensor<8x32x28x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<8x32x28x64xf32>
  %half = tensor.extract_slice %z[0, 0, 0, 0] [8, 32, 28, 28] [1, 1, 1, 1] : tensor<8x32x28x56xf32> to tensor<8x32x28x28xf32>
  %sliced = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%half : tensor<8x32x28x28xf32>) outs(%e : tensor<8x32x28x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<8x32x28x28xf32>
  %rows = tensor.extract_slice %zz[0, 0, 0, 0] [8, 32, 28, 28] [1, 1, 2, 1] : tensor<8x32x56x28xf32> to tensor<8x32x28x28xf32>
  %strided = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%rows : tensor<8x32x28x28xf32>) outs(%e : tensor<8x32x28x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<8x32x28x28xf32>
  %whole = tensor.extract_slice %half[0, 0, 0, 0] [8, 32, 28, 28] [1, 1, 1, 1] : tensor<8x32x28x28xf32> to tensor<8x32x28x28xf32>
  %nested = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%whole : tensor<8x32x28x28xf32>) outs(%e : tensor<8x32x28x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<8x32x28x28xf32>
  %all = linalg.generic {indexing_maps = [#id, #id, #id, #id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%swapped, %indexed, %sliced, %strided, %nested : tensor<8x32x28x28xf32>, tensor<8x32x28x28xf32>, tensor<8x32x28x28xf32>, tensor<8x32x28x28xf32>, tensor<8x32x28x28xf32>) outs(%e : tensor<8x32x28x28xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %d: f32, %g: f32, %o: f32):
    %s1 = arith.addf %a, %b : f32
    %s2 = arith.addf %s1, %c : f32
    %s3 = arith.addf %s2, %d : f32
    %s4 = arith.addf %s3, %g : f32
    linalg.yield %s4 : f32
  } -> tensor<8x32x28x28xf32>
  return %all, %long : tensor<8x32x28x28xf32>, tensor<8x32x28x64xf32>
}

// -----

// A generic of several results (a Winograd block's transform) is
// vectorized a row of its innermost loop at a time (LLVM vectorizes no
// such loop); in a forall's body, a result the forall inserts into its
// output is computed in place there (its tensor.empty, from upstream's
// elementwise fusion, replaced by the slice: bufferization copied it
// otherwise), where the slice's offsets are known before the generic.
// PAR-LABEL: func.func @multi_result_rows_in_place
// PAR: scf.forall (%{{.*}}) in (2) shared_outs(%[[O0:.*]] = %{{.*}}, %[[O1:.*]] = %{{.*}})
// PAR: %[[OFF:.*]] = affine.apply
// PAR: %[[S0:.*]] = tensor.extract_slice %[[O0]][%[[OFF]], 0] [4, 32] [1, 1]
// PAR: %[[S1:.*]] = tensor.extract_slice %[[O1]][%[[OFF]], 0] [4, 32] [1, 1]
// PAR: scf.for %{{.*}} iter_args(%{{.*}} = %[[S0]], %{{.*}} = %[[S1]])
// PAR: arith.addf %{{.*}}, %{{.*}} : vector<32xf32>
// PAR: arith.subf %{{.*}}, %{{.*}} : vector<32xf32>
// Not in place: the slice's offset is computed after the generic.
// PAR-LABEL: func.func @multi_result_rows_offset_after
// PAR: %[[E:.*]] = tensor.empty() : tensor<4x32xf32>
// PAR: scf.for %{{.*}} iter_args(%{{.*}} = %[[E]], %{{.*}} = %[[E]])
// PAR: arith.addf %{{.*}}, %{{.*}} : vector<32xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @multi_result_rows_in_place(%a: tensor<4x32xf32>, %b: tensor<4x32xf32>) -> (tensor<8x32xf32>, tensor<8x32xf32>) {
  %e = tensor.empty() : tensor<8x32xf32>
  %r:2 = scf.forall (%i) in (2) shared_outs(%o0 = %e, %o1 = %e) -> (tensor<8x32xf32>, tensor<8x32xf32>) {
    %off = affine.apply affine_map<(d0) -> (d0 * 4)>(%i)
    %t0 = tensor.empty() : tensor<4x32xf32>
    %t1 = tensor.empty() : tensor<4x32xf32>
    %g:2 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a, %b : tensor<4x32xf32>, tensor<4x32xf32>) outs(%t0, %t1 : tensor<4x32xf32>, tensor<4x32xf32>) {
    ^bb0(%x: f32, %y: f32, %u: f32, %v: f32):
      %s = arith.addf %x, %y : f32
      %d = arith.subf %x, %y : f32
      linalg.yield %s, %d : f32, f32
    } -> (tensor<4x32xf32>, tensor<4x32xf32>)
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %g#0 into %o0[%off, 0] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<8x32xf32>
      tensor.parallel_insert_slice %g#1 into %o1[%off, 0] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<8x32xf32>
    }
  }
  return %r#0, %r#1 : tensor<8x32xf32>, tensor<8x32xf32>
}
func.func @multi_result_rows_offset_after(%a: tensor<4x32xf32>, %b: tensor<4x32xf32>) -> (tensor<8x32xf32>, tensor<8x32xf32>) {
  %e = tensor.empty() : tensor<8x32xf32>
  %r:2 = scf.forall (%i) in (2) shared_outs(%o0 = %e, %o1 = %e) -> (tensor<8x32xf32>, tensor<8x32xf32>) {
    %t0 = tensor.empty() : tensor<4x32xf32>
    %g:2 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a, %b : tensor<4x32xf32>, tensor<4x32xf32>) outs(%t0, %t0 : tensor<4x32xf32>, tensor<4x32xf32>) {
    ^bb0(%x: f32, %y: f32, %u: f32, %v: f32):
      %s = arith.addf %x, %y : f32
      %d = arith.subf %x, %y : f32
      linalg.yield %s, %d : f32, f32
    } -> (tensor<4x32xf32>, tensor<4x32xf32>)
    %off = affine.apply affine_map<(d0) -> (d0 * 4)>(%i)
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %g#0 into %o0[%off, 0] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<8x32xf32>
      tensor.parallel_insert_slice %g#1 into %o1[%off, 0] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<8x32xf32>
    }
  }
  return %r#0, %r#1 : tensor<8x32xf32>, tensor<8x32xf32>
}

// -----

// A product in a block of a forall whose rows have no good divisor (49 = 7
// x 7, a Winograd block's tiles of an image): its B is packed in the block,
// so that its row tiles may end short (14 x 32 tiles and a last of 7);
// unpacked, its tiles were 1 x 64 (a multiply and an add a step, not an
// FMA). Rows of 48 (8 x 32 tiles, which divide them) are not packed.
// PAR-LABEL: func.func @nested_prime_rows
// PAR: scf.forall
// PAR: scf.for %{{.*}} = %c0 to %c32 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (tensor<32x32xf32>)
// PAR: vector.contract {{.*}} : vector<14x1xf32>, vector<1x32xf32> into vector<14x32xf32>
// PAR: vector.contract {{.*}} : vector<7x1xf32>, vector<1x32xf32> into vector<7x32xf32>
// PAR-LABEL: func.func @nested_divisible_rows
// PAR-NOT: tensor<32x32xf32>
// PAR: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
func.func @nested_prime_rows(%a: tensor<2x49x32xf32>, %b: tensor<32x64xf32>) -> tensor<2x49x64xf32> {
  %e = tensor.empty() : tensor<2x49x64xf32>
  %cst = arith.constant 0.0 : f32
  %r = scf.forall (%i) in (2) shared_outs(%o = %e) -> (tensor<2x49x64xf32>) {
    %ai = tensor.extract_slice %a[%i, 0, 0] [1, 49, 32] [1, 1, 1] : tensor<2x49x32xf32> to tensor<49x32xf32>
    %z = tensor.empty() : tensor<49x64xf32>
    %f = linalg.fill ins(%cst : f32) outs(%z : tensor<49x64xf32>) -> tensor<49x64xf32>
    %m = linalg.matmul ins(%ai, %b : tensor<49x32xf32>, tensor<32x64xf32>) outs(%f : tensor<49x64xf32>) -> tensor<49x64xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %m into %o[%i, 0, 0] [1, 49, 64] [1, 1, 1] : tensor<49x64xf32> into tensor<2x49x64xf32>
    }
  }
  return %r : tensor<2x49x64xf32>
}
func.func @nested_divisible_rows(%a: tensor<2x48x32xf32>, %b: tensor<32x64xf32>) -> tensor<2x48x64xf32> {
  %e = tensor.empty() : tensor<2x48x64xf32>
  %cst = arith.constant 0.0 : f32
  %r = scf.forall (%i) in (2) shared_outs(%o = %e) -> (tensor<2x48x64xf32>) {
    %ai = tensor.extract_slice %a[%i, 0, 0] [1, 48, 32] [1, 1, 1] : tensor<2x48x32xf32> to tensor<48x32xf32>
    %z = tensor.empty() : tensor<48x64xf32>
    %f = linalg.fill ins(%cst : f32) outs(%z : tensor<48x64xf32>) -> tensor<48x64xf32>
    %m = linalg.matmul ins(%ai, %b : tensor<48x32xf32>, tensor<32x64xf32>) outs(%f : tensor<48x64xf32>) -> tensor<48x64xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %m into %o[%i, 0, 0] [1, 48, 64] [1, 1, 1] : tensor<48x64xf32> into tensor<2x48x64xf32>
    }
  }
  return %r : tensor<2x48x64xf32>
}

// -----

// Tiles whose rates by the model are within 2% tie, and the taller wins.
// With AVX2 code 1024^3 (A over half the L2) runs over blocks of rows; its
// panels packed once, the block is the one whose tiles run best by the
// model (rowBlockForPanels): 64 rows (6 x 16 tiles leave a last tile of 4
// rows, 65 cycles a K step) rather than 128 (a last tile of 2 rows: 131).
// There 6 x 16 tiles (10 and one of 4 rows) tie with 5 x 16 (12 and one of
// 4), and read the 64 KiB panel from the L2 a sixth less often.
// AVX2-LABEL: func.func @tie_taller_tile
// AVX2:         scf.forall {{.*}} step (64, 16)
// AVX2:           vector.contract {{.*}} into vector<6x16xf32>
// AVX2:           vector.contract {{.*}} into vector<4x16xf32>
// AVX2-NOT:       vector<5x16xf32>
func.func @tie_taller_tile(%a: tensor<1024x1024xf32>, %b: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1024x1024xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  %r = linalg.matmul ins(%a, %b : tensor<1024x1024xf32>, tensor<1024x1024xf32>) outs(%f : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  return %r : tensor<1024x1024xf32>
}

// -----

// A register tile of one row (M = 1: batch-1 inference; or a prime M read
// unpacked) is one vector.fma a K step: the A element broadcast times B's
// row, into the accumulators. Its unit M dim cast away, the tile's
// contraction has only a unit reduction left, which the contraction
// lowering did lane by lane (scalar multiplies and adds). A tile of several
// rows keeps its contraction (the outer-product lowering's FMAs).
// CHECK-LABEL: func.func @one_row_tile
// CHECK:         scf.for {{.*}} -> (tensor<1x128xf32>)
// CHECK:           vector.transfer_read {{.*}} : tensor<1x64xf32>, vector<1xf32>
// CHECK:           vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<128xf32>
// CHECK-NOT:     vector.contract
// CHECK-LABEL: func.func @two_row_tiles
// CHECK:         vector.contract {{.*}} into vector<2x{{[0-9]+}}xf32>
// CHECK-NOT:     vector.fma
// The vectorize pipeline then carries the tile's accumulators as the K
// loop's vector<128xf32>, the A element broadcast each step.
// HOIST-LABEL: func.func @one_row_tile
// HOIST:         %[[ACC:.*]] = scf.for {{.*}} -> (vector<128xf32>)
// HOIST:           %[[A:.*]] = vector.broadcast %{{.*}} : vector<1xf32> to vector<128xf32>
// HOIST:           %[[F:.*]] = vector.fma %[[A]], %{{.*}}, %{{.*}} : vector<128xf32>
// HOIST:           scf.yield %[[F]] : vector<128xf32>
// HOIST-NOT:     vector.contract
// HOIST-LABEL: func.func @two_row_tiles
func.func @one_row_tile(%a: tensor<1x64xf32>, %b: tensor<64x256xf32>, %c: tensor<1x256xf32>) -> tensor<1x256xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<1x64xf32>, tensor<64x256xf32>) outs(%c : tensor<1x256xf32>) -> tensor<1x256xf32>
  return %r : tensor<1x256xf32>
}
func.func @two_row_tiles(%a: tensor<2x64xf32>, %b: tensor<64x256xf32>, %c: tensor<2x256xf32>) -> tensor<2x256xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<2x64xf32>, tensor<64x256xf32>) outs(%c : tensor<2x256xf32>) -> tensor<2x256xf32>
  return %r : tensor<2x256xf32>
}

// -----

// Batch-1 inference: one row of a linear whose weight (256 x 512) is
// transposed in the graph takes the dot-product kernel at any width,
// reading the weight as stored (no transpose of all of it on every call):
// 1 x 16 tiles of 16-lane partial sums along K (its unit row dropped: one
// vector<16x16xf32> FMA a K step), summed by the shuffle tree.
// Three rows transpose the weight (must not fire).
// CHECK-LABEL: func.func @linear_batch1_dot
// CHECK-NOT:     linalg.transpose
// CHECK:         tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [256, 32, 16]
// CHECK:         vector.fma %{{.*}} : vector<16x16xf32>
// CHECK:         vector.shuffle
// CHECK-NOT:     vector.multi_reduction
// CHECK-LABEL: func.func @linear_batch3_transposed
// CHECK-NOT:     tensor.expand_shape
// CHECK:         vector.contract
func.func @linear_batch1_dot(%x: tensor<1x512xf32>, %w: tensor<256x512xf32>, %c: tensor<1x256xf32>) -> tensor<1x256xf32> {
  %et = tensor.empty() : tensor<512x256xf32>
  %wt = linalg.transpose ins(%w : tensor<256x512xf32>) outs(%et : tensor<512x256xf32>) permutation = [1, 0]
  %m = linalg.matmul ins(%x, %wt : tensor<1x512xf32>, tensor<512x256xf32>) outs(%c : tensor<1x256xf32>) -> tensor<1x256xf32>
  return %m : tensor<1x256xf32>
}
func.func @linear_batch3_transposed(%x: tensor<3x512xf32>, %w: tensor<256x512xf32>, %c: tensor<3x256xf32>) -> tensor<3x256xf32> {
  %et = tensor.empty() : tensor<512x256xf32>
  %wt = linalg.transpose ins(%w : tensor<256x512xf32>) outs(%et : tensor<512x256xf32>) permutation = [1, 0]
  %m = linalg.matmul ins(%x, %wt : tensor<3x512xf32>, tensor<512x256xf32>) outs(%c : tensor<3x256xf32>) -> tensor<3x256xf32>
  return %m : tensor<3x256xf32>
}

// -----

// A training step's weight gradient dW = dY^T X at batch 64: with AVX-512
// code the tiles read dY through its transpose (8 contiguous floats of a
// row of dY each K step, 16 in the 16-column rest), in both parts of the
// product split on N (768 + 16 columns); no transpose is written. Must not
// with AVX2 code: its 4-row tiles would take a line of dY for 4 floats
// each step, and the transpose is written first (8x8 blocks).
// (dY is read at [k, i]: row k of the K loop, the tile's first row i.)
// On one thread too (16x16 tiles, no split):
// CHECK-LABEL: func.func @weight_gradient
// CHECK-NOT:     linalg.transpose
// CHECK:         scf.for %[[I:.*]] = %c0 to %c512 step %c16
// CHECK:           scf.for %[[K:.*]] = %c0 to %c64 step %c1
// CHECK:             vector.transfer_read %arg0[%[[K]], %[[I]]], %{{.*}} {in_bounds = [true]} : tensor<64x512xf32>, vector<16xf32>
// CHECK-NOT:     vector.transpose
// CHECK:         return
// PAR-LABEL: func.func @weight_gradient
// PAR-NOT:     linalg.transpose
// PAR-NOT:     vector.transpose
// PAR:         scf.forall (%{{.*}}, %[[I:.*]]) = (0, 0) to (768, 512) step (32, 8)
// PAR:           scf.for %[[K:.*]] = %c0 to %c64 step %c1
// PAR:             vector.transfer_read %arg0[%[[K]], %[[I]]], %{{.*}} {in_bounds = [true]} : tensor<64x512xf32>, vector<8xf32>
// PAR:         scf.for %[[I2:.*]] = %c0 to %c512 step %c16
// PAR:           scf.for %[[K2:.*]] = %c0 to %c64 step %c1
// PAR:             vector.transfer_read %arg0[%[[K2]], %[[I2]]], %{{.*}} {in_bounds = [true]} : tensor<64x512xf32>, vector<16xf32>
// PAR-NOT:     vector.transpose
// PAR:         return
// AVX2-LABEL: func.func @weight_gradient
// AVX2:         vector.transfer_read %arg0{{.*}} : tensor<64x512xf32>, vector<8x8xf32>
// AVX2:         vector.transpose {{.*}} : vector<8x8xf32> to vector<8x8xf32>
// AVX2:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (784, 512) step (16, 4)
// AVX2-NOT:       tensor<64x512xf32>, vector<4xf32>
// AVX2:         return
func.func @weight_gradient(%dy: tensor<64x512xf32>, %x: tensor<64x784xf32>) -> tensor<512x784xf32> {
  %z = arith.constant 0.0 : f32
  %et = tensor.empty() : tensor<512x64xf32>
  %dyt = linalg.transpose ins(%dy : tensor<64x512xf32>) outs(%et : tensor<512x64xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<512x784xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<512x784xf32>) -> tensor<512x784xf32>
  %m = linalg.matmul ins(%dyt, %x : tensor<512x64xf32>, tensor<64x784xf32>) outs(%f : tensor<512x784xf32>) -> tensor<512x784xf32>
  return %m : tensor<512x784xf32>
}

// -----

// Must not read through the transpose: it is also a result, so it is
// written anyway (in 16x16 register blocks), and the tiles read it as
// written.
// PAR-LABEL: func.func @transposed_a_also_returned
// PAR:         vector.transpose {{.*}} : vector<16x16xf32> to vector<16x16xf32>
// PAR:         scf.forall
// PAR-NOT:       tensor<64x512xf32>, vector<{{[0-9]+}}xf32>
// PAR:         return
func.func @transposed_a_also_returned(%dy: tensor<64x512xf32>, %x: tensor<64x784xf32>) -> (tensor<512x784xf32>, tensor<512x64xf32>) {
  %z = arith.constant 0.0 : f32
  %et = tensor.empty() : tensor<512x64xf32>
  %dyt = linalg.transpose ins(%dy : tensor<64x512xf32>) outs(%et : tensor<512x64xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<512x784xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<512x784xf32>) -> tensor<512x784xf32>
  %m = linalg.matmul ins(%dyt, %x : tensor<512x64xf32>, tensor<64x784xf32>) outs(%f : tensor<512x784xf32>) -> (tensor<512x784xf32>)
  return %m, %dyt : tensor<512x784xf32>, tensor<512x64xf32>
}


// -----

// Must not read through the transpose where the product runs in row
// blocks (A [512, 1024], over half the L2): the transpose is written
// (16x16 blocks) and the tiles read it.
// PAR-LABEL: func.func @weight_gradient_row_blocks
// PAR:         vector.transpose {{.*}} : vector<16x16xf32> to vector<16x16xf32>
// PAR-NOT:     tensor<1024x512xf32>, vector<{{[0-9]+}}xf32>
// PAR:         return
func.func @weight_gradient_row_blocks(%dy: tensor<1024x512xf32>, %x: tensor<1024x784xf32>) -> tensor<512x784xf32> {
  %z = arith.constant 0.0 : f32
  %et = tensor.empty() : tensor<512x1024xf32>
  %dyt = linalg.transpose ins(%dy : tensor<1024x512xf32>) outs(%et : tensor<512x1024xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<512x784xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<512x784xf32>) -> tensor<512x784xf32>
  %m = linalg.matmul ins(%dyt, %x : tensor<512x1024xf32>, tensor<1024x784xf32>) outs(%f : tensor<512x784xf32>) -> tensor<512x784xf32>
  return %m : tensor<512x784xf32>
}
