// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-lower-vectors))' | FileCheck %s --implicit-check-not=vector.contract --implicit-check-not=vector.outerproduct

// A bufferized 8x32 register tile whose accumulator is still read and written
// on every K step: the transfer pair moves out of the K loop (not further:
// it depends on the tile's %i, %j), the tile is carried as an iter_arg, and
// the contraction becomes one broadcast of A and one FMA per row.
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @tile_8x32
// CHECK-SAME:    (%[[A:.*]]: memref<64x784xf32>, %[[B:.*]]: memref<784x512xf32>, %[[C:.*]]: memref<64x512xf32>)
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:      scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:        %[[INIT:.*]] = vector.transfer_read %[[C]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true, true]} : memref<64x512xf32>, vector<8x32xf32>
// CHECK-NEXT:        %[[RK:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<8x32xf32>) {
// CHECK-NOT:           %[[C]]
// CHECK:               %[[VA:.*]] = vector.transfer_read %[[A]][%[[I]], %[[K]]], %{{.*}} : memref<64x784xf32>, vector<8x1xf32>
// CHECK-NEXT:          %[[VB:.*]] = vector.transfer_read %[[B]][%[[K]], %[[J]]], %{{.*}} : memref<784x512xf32>, vector<1x32xf32>
// CHECK-NEXT:          %[[BROW:.*]] = vector.extract %[[VB]][0] : vector<32xf32> from vector<1x32xf32>
// CHECK-NEXT:          %[[A0:.*]] = vector.extract %[[VA]][0, 0] : f32 from vector<8x1xf32>
// CHECK-NEXT:          %[[A0V:.*]] = vector.broadcast %[[A0]] : f32 to vector<32xf32>
// CHECK-NEXT:          %[[ACC0:.*]] = vector.extract %[[ACC]][0] : vector<32xf32> from vector<8x32xf32>
// CHECK-NEXT:          %[[F0:.*]] = vector.fma %[[A0V]], %[[BROW]], %[[ACC0]] : vector<32xf32>
// CHECK-NEXT:          vector.insert %[[F0]], %{{.*}} [0] : vector<32xf32> into vector<8x32xf32>
// CHECK-COUNT-7:       vector.fma %{{.*}}, %[[BROW]], %{{.*}} : vector<32xf32>
// CHECK-NOT:           vector.fma
// CHECK:               %[[NEW:.*]] = vector.insert %{{.*}}, %{{.*}} [7] : vector<32xf32> into vector<8x32xf32>
// CHECK-NOT:           %[[C]]
// CHECK:               scf.yield %[[NEW]] : vector<8x32xf32>
// CHECK-NEXT:        }
// CHECK-NEXT:        vector.transfer_write %[[RK]], %[[C]][%[[I]], %[[J]]] {in_bounds = [true, true]} : vector<8x32xf32>, memref<64x512xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    return
func.func @tile_8x32(%a: memref<64x784xf32>, %b: memref<784x512xf32>, %c: memref<64x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c512 = arith.constant 512 : index
  %c784 = arith.constant 784 : index
  %pad = ub.poison : f32
  scf.for %i = %c0 to %c64 step %c8 {
    scf.for %j = %c0 to %c512 step %c32 {
      scf.for %k = %c0 to %c784 step %c1 {
        %va = vector.transfer_read %a[%i, %k], %pad {in_bounds = [true, true]} : memref<64x784xf32>, vector<8x1xf32>
        %vb = vector.transfer_read %b[%k, %j], %pad {in_bounds = [true, true]} : memref<784x512xf32>, vector<1x32xf32>
        %acc = vector.transfer_read %c[%i, %j], %pad {in_bounds = [true, true]} : memref<64x512xf32>, vector<8x32xf32>
        %r = vector.contract {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %va, %vb, %acc : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
        vector.transfer_write %r, %c[%i, %j] {in_bounds = [true, true]} : vector<8x32xf32>, memref<64x512xf32>
      }
    }
  }
  return
}

// -----

// What ember-cpu-vectorize-pipeline plus bufferization hand over: the
// accumulator already an iter_arg, the row of B a rank-1 read (which becomes
// a plain vector.load) broadcast to vector<1x32xf32>.
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @tile_from_pipeline
// CHECK-SAME:    (%[[A:.*]]: memref<8x784xf32>, %[[B:.*]]: memref<784x32xf32>, %[[C:.*]]: memref<8x32xf32>)
// CHECK:         %[[INIT:.*]] = vector.transfer_read %[[C]]
// CHECK:         scf.for %[[K:.*]] = %{{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<8x32xf32>)
// CHECK:           %[[BROW:.*]] = vector.load %[[B]][%[[K]], %{{.*}}] : memref<784x32xf32>, vector<32xf32>
// CHECK-COUNT-8:   vector.fma %{{.*}}, %[[BROW]], %{{.*}} : vector<32xf32>
// CHECK-NOT:       vector.fma
// CHECK:           scf.yield
// CHECK:         vector.transfer_write %{{.*}}, %[[C]]
func.func @tile_from_pipeline(%a: memref<8x784xf32>, %b: memref<784x32xf32>, %c: memref<8x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c784 = arith.constant 784 : index
  %pad = ub.poison : f32
  %init = vector.transfer_read %c[%c0, %c0], %pad {in_bounds = [true, true]} : memref<8x32xf32>, vector<8x32xf32>
  %res = scf.for %k = %c0 to %c784 step %c1 iter_args(%acc = %init) -> (vector<8x32xf32>) {
    %va = vector.transfer_read %a[%c0, %k], %pad {in_bounds = [true, true]} : memref<8x784xf32>, vector<8x1xf32>
    %row = vector.transfer_read %b[%k, %c0], %pad {in_bounds = [true]} : memref<784x32xf32>, vector<32xf32>
    %vb = vector.broadcast %row : vector<32xf32> to vector<1x32xf32>
    %r = vector.contract {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %va, %vb, %acc : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
    scf.yield %r : vector<8x32xf32>
  }
  vector.transfer_write %res, %c[%c0, %c0] {in_bounds = [true, true]} : vector<8x32xf32>, memref<8x32xf32>
  return
}

// -----

// Nothing to do: a function without vector ops is unchanged.
// CHECK-LABEL: func.func @no_vectors
// CHECK-SAME:    (%[[X:.*]]: memref<4xf32>, %[[Y:.*]]: memref<4xf32>)
// CHECK-NOT:     vector.
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:      %[[V:.*]] = memref.load %[[X]][%[[I]]] : memref<4xf32>
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[V]], %[[V]] : f32
// CHECK-NEXT:      memref.store %[[S]], %[[Y]][%[[I]]] : memref<4xf32>
// CHECK-NEXT:    }
// CHECK-NOT:     vector.
// CHECK:         return
func.func @no_vectors(%x: memref<4xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %x[%i] : memref<4xf32>
    %s = arith.addf %v, %v : f32
    memref.store %s, %y[%i] : memref<4xf32>
  }
  return
}
