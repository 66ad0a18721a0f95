// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions))' | FileCheck %s
// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions{parallel=false}))' | FileCheck %s --check-prefix=SERIAL

// A batch norm's sum over N, H and W: the trailing H and W are collapsed
// into one, then a generic over (C, N, H*W) adds each row of the input to
// its channel's row of partial sums (the innermost loop parallel and
// contiguous), its channels shared by threads in blocks of 4; then the
// partial sums [32, 784] are reduced over their last dim.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// CHECK-DAG: #[[$PARTIAL:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @batch_norm_sum
// CHECK-SAME: (%[[X:.*]]: tensor<64x32x28x28xf32>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.0
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<32xf32>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1], [2, 3]] : tensor<64x32x28x28xf32> into tensor<64x32x784xf32>
// CHECK: %[[P0:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<32x784xf32>)
// CHECK: %[[P:.*]] = scf.forall (%[[I:.*]]) = (0) to (32) step (4) shared_outs(%[[OUT:.*]] = %[[P0]])
// CHECK:   tensor.extract_slice %[[C]][0, %[[I]], 0] [64, 4, 784]
// CHECK:   linalg.generic {indexing_maps = [#[[$IN]], #[[$PARTIAL]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK:     arith.addf
// CHECK: linalg.reduce { arith.addf } ins(%[[P]] : tensor<32x784xf32>) outs(%[[INIT]] : tensor<32xf32>) dimensions = [1]
// SERIAL-LABEL: func.func @batch_norm_sum
// SERIAL-NOT: scf.forall
// SERIAL: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// SERIAL: linalg.reduce { arith.addf } ins(%{{.*}} : tensor<32x784xf32>)
func.func @batch_norm_sum(%x: tensor<64x32x28x28xf32>) -> tensor<32xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<32xf32>) -> tensor<32xf32>
  %r = linalg.reduce { arith.addf } ins(%x : tensor<64x32x28x28xf32>) outs(%f : tensor<32xf32>) dimensions = [0, 2, 3]
  return %r : tensor<32xf32>
}

// -----

// A maximum, one trailing dim (no collapse): the combiner is cloned into
// both stages with its fill value (-inf) for the partial maxima.
// CHECK-LABEL: func.func @max_over_rows_and_columns
// CHECK-NOT: tensor.collapse_shape
// CHECK: %[[LOW:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[LOW]] : f32) outs(%{{.*}} : tensor<7x1031xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// CHECK:   arith.maximumf
// CHECK: linalg.reduce { arith.maximumf } ins(%{{.*}} : tensor<7x1031xf32>) {{.*}} dimensions = [1]
func.func @max_over_rows_and_columns(%x: tensor<13x7x1031xf32>) -> tensor<7xf32> {
  %low = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<7xf32>
  %f = linalg.fill ins(%low : f32) outs(%e : tensor<7xf32>) -> tensor<7xf32>
  %r = linalg.reduce { arith.maximumf } ins(%x : tensor<13x7x1031xf32>) outs(%f : tensor<7xf32>) dimensions = [0, 2]
  return %r : tensor<7xf32>
}

// -----

// Must not fire: no trailing reduced dim (a bias gradient's sum over the
// batch: its inner loop is already the parallel one); only trailing
// reduced dims (a row sum); every dim reduced; below 65536 elements.
// CHECK-LABEL: func.func @not_split
// CHECK-NOT: linalg.generic
// CHECK-NOT: tensor.collapse_shape
// CHECK-COUNT-4: linalg.reduce
// CHECK-NOT: linalg.generic
func.func @not_split(%a: tensor<1024x512xf32>, %b: tensor<8x1024x512xf32>, %c: tensor<64x32x28xf32>, %d: tensor<8x32x15x15xf32>)
    -> (tensor<512xf32>, tensor<8xf32>, tensor<f32>, tensor<32xf32>) {
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<512xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<512xf32>) -> tensor<512xf32>
  %r1 = linalg.reduce { arith.addf } ins(%a : tensor<1024x512xf32>) outs(%f1 : tensor<512xf32>) dimensions = [0]
  %e2 = tensor.empty() : tensor<8xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<8xf32>) -> tensor<8xf32>
  %r2 = linalg.reduce { arith.addf } ins(%b : tensor<8x1024x512xf32>) outs(%f2 : tensor<8xf32>) dimensions = [1, 2]
  %e3 = tensor.empty() : tensor<f32>
  %f3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<f32>) -> tensor<f32>
  %r3 = linalg.reduce { arith.addf } ins(%c : tensor<64x32x28xf32>) outs(%f3 : tensor<f32>) dimensions = [0, 1, 2]
  %e4 = tensor.empty() : tensor<32xf32>
  %f4 = linalg.fill ins(%z : f32) outs(%e4 : tensor<32xf32>) -> tensor<32xf32>
  %r4 = linalg.reduce { arith.addf } ins(%d : tensor<8x32x15x15xf32>) outs(%f4 : tensor<32xf32>) dimensions = [0, 2, 3]
  return %r1, %r2, %r3, %r4 : tensor<512xf32>, tensor<8xf32>, tensor<f32>, tensor<32xf32>
}

// -----

// An elementwise generic whose first loop has one step (an im2col's one
// group): its threads share the first longer loop.
// CHECK-LABEL: func.func @unit_leading_dim
// CHECK: scf.forall (%{{.*}}) = (0) to (288) step (36)
// CHECK:   linalg.generic {{.*}} outs(%{{.*}} : tensor<1x36x784xf32>)
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @unit_leading_dim(%x: tensor<1x288x784xf32>) -> tensor<1x288x784xf32> {
  %e = tensor.empty() : tensor<1x288x784xf32>
  %r = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<1x288x784xf32>) outs(%e : tensor<1x288x784xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<1x288x784xf32>
  return %r : tensor<1x288x784xf32>
}
