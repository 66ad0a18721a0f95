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

// -----

// A gather reading a cheap elementwise result (a convolution's bias and
// relu, through a transposing map) reads the producer's inputs instead:
// the producer's body is applied at each extract's point, and the producer
// is gone.
// CHECK-LABEL: func.func @into_gather
// CHECK-SAME:    (%[[X:.*]]: tensor<4x2x6x6xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      outs(%{{.*}} : tensor<2x4x3x3xf32>)
// CHECK:           %[[C:.*]] = linalg.index 1
// CHECK:           %[[V:.*]] = tensor.extract %[[X]][%[[C]], %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK:           %[[BIAS:.*]] = tensor.extract %[[B]][%[[C]]]
// CHECK:           %[[S:.*]] = arith.addf %[[V]], %[[BIAS]]
// CHECK:           %[[R:.*]] = arith.maximumf %[[S]], %{{.*}} fastmath<nsz>
// CHECK:           tensor.extract %[[X]]
// CHECK:           arith.cmpf ogt, %{{.*}}, %[[R]]
// CHECK-NOT:     linalg.generic
func.func @into_gather(%x: tensor<4x2x6x6xf32>, %b: tensor<4xf32>) -> tensor<2x4x3x3xf32> {
  %z = arith.constant 0.0 : f32
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %e = tensor.empty() : tensor<2x4x6x6xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (c, n, h, w)>, affine_map<(n, c, h, w) -> (c)>, affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %b : tensor<4x2x6x6xf32>, tensor<4xf32>) outs(%e : tensor<2x4x6x6xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %m = arith.maximumf %s, %z fastmath<nsz> : f32
    linalg.yield %m : f32
  } -> tensor<2x4x6x6xf32>
  %pe = tensor.empty() : tensor<2x4x3x3xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%pe : tensor<2x4x3x3xf32>) {
  ^bb0(%out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %h2 = arith.muli %h, %c2 : index
    %w2 = arith.muli %w, %c2 : index
    %w21 = arith.addi %w2, %c1 : index
    %a = tensor.extract %r[%n, %c, %h2, %w2] : tensor<2x4x6x6xf32>
    %d = tensor.extract %r[%n, %c, %h2, %w21] : tensor<2x4x6x6xf32>
    %gt = arith.cmpf ogt, %d, %a : f32
    %best = arith.select %gt, %d, %a : f32
    linalg.yield %best : f32
  } -> tensor<2x4x3x3xf32>
  return %p : tensor<2x4x3x3xf32>
}

// -----

// A producer that reads its own point (linalg.index) gets the extract's
// indices for it.
// CHECK-LABEL: func.func @index_into_gather
// CHECK-SAME:    (%[[X:.*]]: tensor<8xindex>, %[[I:.*]]: index)
// CHECK:         %[[V:.*]] = tensor.extract %[[X]][%[[I]]]
// CHECK:         %[[R:.*]] = arith.addi %[[V]], %[[I]] : index
// CHECK:         return %[[R]]
func.func @index_into_gather(%x: tensor<8xindex>, %i: index) -> index {
  %e = tensor.empty() : tensor<8xindex>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<8xindex>) outs(%e : tensor<8xindex>) {
  ^bb0(%in: index, %out: index):
    %k = linalg.index 0 : index
    %m = arith.addi %in, %k : index
    linalg.yield %m : index
  } -> tensor<8xindex>
  %v = tensor.extract %r[%i] : tensor<8xindex>
  return %v : index
}

// -----

// Must not fire: the producer is also an ordinary input of another generic
// (it stays written out, so computing it again in the gather saves nothing).
// CHECK-LABEL: func.func @gather_and_elementwise_user
// CHECK:         %[[R:.*]] = linalg.generic
// CHECK:         tensor.extract %[[R]]
func.func @gather_and_elementwise_user(%x: tensor<8xf32>, %i: index) -> (f32, tensor<8xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %z : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %v = tensor.extract %r[%i] : tensor<8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%r : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    %n = math.exp %m : f32
    linalg.yield %n : f32
  } -> tensor<8xf32>
  return %v, %s : f32, tensor<8xf32>
}

// -----

// Must not fire: the producer's body is not cheap (math.exp, computed again
// at every read of an overlapping window).
// CHECK-LABEL: func.func @costly_producer
// CHECK:         %[[R:.*]] = linalg.generic
// CHECK:           math.exp
// CHECK:         tensor.extract %[[R]]
func.func @costly_producer(%x: tensor<8xf32>, %i: index) -> f32 {
  %e = tensor.empty() : tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = math.exp %in : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %v = tensor.extract %r[%i] : tensor<8xf32>
  return %v : f32
}

// -----

// Must not fire: the producer reads its init (an accumulation into an
// existing value), whose point the gather would have to read too.
// CHECK-LABEL: func.func @producer_reads_init
// CHECK:         %[[R:.*]] = linalg.generic
// CHECK:         tensor.extract %[[R]]
func.func @producer_reads_init(%x: tensor<8xf32>, %acc: tensor<8xf32>, %i: index) -> f32 {
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.addf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %v = tensor.extract %r[%i] : tensor<8xf32>
  return %v : f32
}

// -----

// Must not fire: the consumer reads the producer through windows (an
// im2col's `oh + kh`), so each producer point would be computed again for
// every window holding it; the producer (here a ReLU; in a convolution,
// the padded input moved channels-last) stays written out.
// CHECK-LABEL: func.func @window_read
// CHECK:         %[[R:.*]] = linalg.generic
// CHECK:           arith.maximumf
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[R]] : tensor<2x6x6x4xf32>)
// CHECK-NOT:       arith.maximumf
func.func @window_read(%x: tensor<2x6x6x4xf32>) -> tensor<2x4x4x3x3x4xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x6x6x4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x6x6x4xf32>) outs(%e : tensor<2x6x6x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %z : f32
    linalg.yield %m : f32
  } -> tensor<2x6x6x4xf32>
  %ce = tensor.empty() : tensor<2x4x4x3x3x4xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d3, d2 + d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%r : tensor<2x6x6x4xf32>) outs(%ce : tensor<2x4x4x3x3x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x4x4x3x3x4xf32>
  return %c : tensor<2x4x4x3x3x4xf32>
}
