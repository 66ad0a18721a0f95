// RUN: ember-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(ember-tie-results))' | FileCheck %s

// Fires in place: the SGD update is the last reader of %w and reads each
// element where it writes it, so it writes %w itself; result 1 is gone.
// CHECK-LABEL: func.func @update_in_place
// CHECK-SAME:    (%[[X:.*]]: memref<4x8xf32>, %[[W:.*]]: memref<8x16xf32>, %[[G:.*]]: memref<8x16xf32>) -> memref<4x16xf32>
// CHECK-NOT:     ember.tied_results
// CHECK:         linalg.matmul ins(%[[X]], %[[W]] : {{.*}}) outs(%[[Y:.*]] : memref<4x16xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[W]], %[[G]] : {{.*}}) outs(%[[W]] : memref<8x16xf32>)
// CHECK-NOT:     memref.copy
// CHECK:         return %[[Y]] : memref<4x16xf32>
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @update_in_place(%x: memref<4x8xf32>, %w: memref<8x16xf32>, %g: memref<8x16xf32>) -> (memref<4x16xf32>, memref<8x16xf32>) attributes {ember.tied_results = array<i64: 1, 1>} {
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<4x16xf32>)
  linalg.matmul ins(%x, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%y : memref<4x16xf32>)
  %n = memref.alloc() : memref<8x16xf32>
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%w, %g : memref<8x16xf32>, memref<8x16xf32>) outs(%n : memref<8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  }
  return %y, %n : memref<4x16xf32>, memref<8x16xf32>
}

// -----

// Fires with a copy: the matmul reads %w after the update is written, so
// the update goes to its own buffer and is copied over %w at the end.
// CHECK-LABEL: func.func @read_after_the_update
// CHECK-SAME:    (%{{.*}}: memref<4x8xf32>, %[[W:.*]]: memref<8x16xf32>, %{{.*}}: memref<8x16xf32>) -> memref<4x16xf32>
// CHECK:         %[[N:.*]] = memref.alloc() : memref<8x16xf32>
// CHECK:         linalg.generic {{.*}} outs(%[[N]] : memref<8x16xf32>)
// CHECK:         linalg.matmul ins(%{{.*}}, %[[W]] :
// CHECK:         memref.copy %[[N]], %[[W]]
// CHECK-NEXT:    return %{{.*}} : memref<4x16xf32>
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @read_after_the_update(%x: memref<4x8xf32>, %w: memref<8x16xf32>, %g: memref<8x16xf32>) -> (memref<4x16xf32>, memref<8x16xf32>) attributes {ember.tied_results = array<i64: 1, 1>} {
  %zero = arith.constant 0.0 : f32
  %n = memref.alloc() : memref<8x16xf32>
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%w, %g : memref<8x16xf32>, memref<8x16xf32>) outs(%n : memref<8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  }
  %y = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<4x16xf32>)
  linalg.matmul ins(%x, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%y : memref<4x16xf32>)
  return %y, %n : memref<4x16xf32>, memref<8x16xf32>
}

// -----

// Fires with a copy: the writer reads %w transposed, elsewhere than where
// it writes (in place, a thread would read an element another overwrote).
// CHECK-LABEL: func.func @transposed_update
// CHECK:         linalg.generic {{.*}} outs(%[[N:.*]] : memref<8x8xf32>)
// CHECK:         memref.copy %[[N]], %arg0
#map = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
func.func @transposed_update(%w: memref<8x8xf32>) -> memref<8x8xf32> attributes {ember.tied_results = array<i64: 0, 0>} {
  %n = memref.alloc() : memref<8x8xf32>
  linalg.generic {indexing_maps = [#t, #map], iterator_types = ["parallel", "parallel"]} ins(%w : memref<8x8xf32>) outs(%n : memref<8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return %n : memref<8x8xf32>
}

// -----

// Must not fire: no attribute, nothing changes.
// CHECK-LABEL: func.func @untied
// CHECK-SAME:    -> memref<8xf32>
// CHECK:         return %{{.*}} : memref<8xf32>
func.func @untied(%w: memref<8xf32>) -> memref<8xf32> {
  %n = memref.alloc() : memref<8xf32>
  memref.copy %w, %n : memref<8xf32> to memref<8xf32>
  return %n : memref<8xf32>
}

// -----

// expected-error @+1 {{ember-tie-results: result 0 ('memref<4xf32>') cannot be computed in argument 0 ('memref<8xf32>')}}
func.func @wrong_type(%w: memref<8xf32>) -> memref<4xf32> attributes {ember.tied_results = array<i64: 0, 0>} {
  %n = memref.alloc() : memref<4xf32>
  return %n : memref<4xf32>
}

// -----

// expected-error @+1 {{ember-tie-results: tie 0 (result 1, argument 0) is out of range (1 results, 1 arguments)}}
func.func @out_of_range(%w: memref<8xf32>) -> memref<8xf32> attributes {ember.tied_results = array<i64: 1, 0>} {
  %n = memref.alloc() : memref<8xf32>
  return %n : memref<8xf32>
}

// -----

// expected-error @+1 {{ember-tie-results: result 1 or argument 0 is tied twice}}
func.func @twice(%w: memref<8xf32>) -> (memref<8xf32>, memref<8xf32>) attributes {ember.tied_results = array<i64: 0, 0, 1, 0>} {
  %n = memref.alloc() : memref<8xf32>
  %m = memref.alloc() : memref<8xf32>
  return %n, %m : memref<8xf32>, memref<8xf32>
}

// -----

// Fires: result 1 returns %q itself (as a gradient may be), while %q is
// updated in place: the result is a copy of %q taken on entry, before the
// update writes over it.
// CHECK-LABEL: func.func @result_reads_a_tied_argument
// CHECK-SAME:    (%[[P:.*]]: memref<8xf32>, %[[Q:.*]]: memref<8xf32>) -> memref<8xf32>
// CHECK:         %[[OLD:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT:    memref.copy %[[Q]], %[[OLD]]
// CHECK:         linalg.generic {{.*}} ins(%[[Q]] : memref<8xf32>) outs(%[[Q]] : memref<8xf32>)
// CHECK:         return %[[OLD]] : memref<8xf32>
#map = affine_map<(d0) -> (d0)>
func.func @result_reads_a_tied_argument(%p: memref<8xf32>, %q: memref<8xf32>) -> (memref<8xf32>, memref<8xf32>) attributes {ember.tied_results = array<i64: 0, 1>} {
  %n = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%q : memref<8xf32>) outs(%n : memref<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.negf %a : f32
    linalg.yield %d : f32
  }
  return %n, %q : memref<8xf32>, memref<8xf32>
}
