// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-fuse-elementwise))' | FileCheck %s

// A chain of elementwise generics becomes one.
// CHECK-LABEL: func.func @chain
// CHECK:         %[[R:.*]] = linalg.generic
// CHECK:           arith.maximumf
// CHECK:           arith.mulf
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @chain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %z : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%r : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

// Must not fire: the collapse of the image batch stays in front of the
// matmul, which stays a linalg.matmul (upstream's linalg-fuse-elementwise-ops
// turns it into a rank-5 generic).
// CHECK-LABEL: func.func @reshape_into_matmul
// CHECK:         %[[C:.*]] = tensor.collapse_shape
// CHECK:         linalg.matmul ins(%[[C]], %{{.*}} : tensor<64x784xf32>, tensor<784x16xf32>)
// CHECK-NOT:     linalg.generic
func.func @reshape_into_matmul(%x: tensor<64x1x28x28xf32>, %w: tensor<784x16xf32>) -> tensor<64x16xf32> {
  %z = arith.constant 0.0 : f32
  %c = tensor.collapse_shape %x [[0], [1, 2, 3]] : tensor<64x1x28x28xf32> into tensor<64x784xf32>
  %e = tensor.empty() : tensor<64x16xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x16xf32>) -> tensor<64x16xf32>
  %m = linalg.matmul ins(%c, %w : tensor<64x784xf32>, tensor<784x16xf32>) outs(%f : tensor<64x16xf32>) -> tensor<64x16xf32>
  return %m : tensor<64x16xf32>
}

// -----

// Must not fire: a producer with two users is not duplicated into both
// when it is costly to compute again (exp).
// CHECK-LABEL: func.func @two_users
// CHECK-COUNT-3: linalg.generic
#id1 = affine_map<(d0) -> (d0)>
func.func @two_users(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %p = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = math.exp %in : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %a = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%p : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.addf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %b = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%p : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}

// -----

// A cheap producer (one subtraction a point, as a batch norm's x - mean)
// with two generic users is computed again inside each of them, and is
// gone: no pass writes it out.
// CHECK-LABEL: func.func @cheap_two_users
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>, %[[M:.*]]: tensor<8xf32>)
// CHECK-COUNT-2: linalg.generic {{.*}} ins(%[[X]], %[[M]] : tensor<8xf32>, tensor<8xf32>)
// CHECK-NOT: linalg.generic
#id1 = affine_map<(d0) -> (d0)>
func.func @cheap_two_users(%x: tensor<8xf32>, %mean: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %p = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]} ins(%x, %mean : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  %a = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%p : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %b = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%p : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.negf %in : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}

// -----

// Must not fire: a cheap producer one of whose users is not a generic (a
// reduction) stays whole, and is not computed again in its other user.
// CHECK-LABEL: func.func @cheap_reduced_user
// CHECK: %[[P:.*]] = linalg.generic
// CHECK: linalg.generic {{.*}} ins(%[[P]] : tensor<8xf32>)
// CHECK: linalg.reduce {{.*}} ins(%[[P]] : tensor<8xf32>)
#id1 = affine_map<(d0) -> (d0)>
func.func @cheap_reduced_user(%x: tensor<8xf32>, %mean: tensor<8xf32>) -> (tensor<8xf32>, tensor<f32>) {
  %e = tensor.empty() : tensor<8xf32>
  %p = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]} ins(%x, %mean : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  %a = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%p : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<f32>
  %f = linalg.fill ins(%z : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %r = linalg.reduce { arith.addf } ins(%p : tensor<8xf32>) outs(%f : tensor<f32>) dimensions = [0]
  return %a, %r : tensor<8xf32>, tensor<f32>
}
