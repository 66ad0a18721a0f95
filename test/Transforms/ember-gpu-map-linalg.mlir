// RUN: ember-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(ember-gpu-map-linalg),canonicalize)' | FileCheck %s
// RUN: ember-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(ember-gpu-map-linalg{small-work=0}),canonicalize)' | FileCheck %s --check-prefix=TILED
// RUN: ember-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(ember-gpu-map-linalg{small-work=0 tf32}),canonicalize)' | FileCheck %s --check-prefix=TF32

// A linear layer with ReLU, as bufferization leaves it: the bias broadcast
// becomes the matmul's prologue, the transpose folds into its indexing map,
// the ReLU is its epilogue, and the pre-activation buffer, read by no one
// after, is neither stored nor allocated. Small: one thread per output.
// CHECK-LABEL: func.func @layer
// CHECK-SAME:    (%[[X:.*]]: memref<4x40xf32>, %[[W:.*]]: memref<16x40xf32>, %[[B:.*]]: memref<16xf32>, %[[OUT:.*]]: memref<4x16xf32>)
// CHECK-NOT:     memref.alloc
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c256
// CHECK:           scf.if
// CHECK:             %[[BIAS:.*]] = memref.load %[[B]][%[[J:.*]]] : memref<16xf32>
// CHECK:             %[[SUM:.*]] = scf.for %[[K:.*]] = {{.*}} iter_args(%[[ACC:.*]] = %[[BIAS]])
// CHECK:               memref.load %[[X]][%[[I:.*]], %[[K]]]
// CHECK:               memref.load %[[W]][%[[J]], %[[K]]]
// CHECK:               arith.mulf
// CHECK:               arith.addf %[[ACC]]
// CHECK:             %[[RELU:.*]] = arith.maximumf %[[SUM]]
// CHECK-NOT:         memref.store
// CHECK:             memref.store %[[RELU]], %[[OUT]][%[[I]], %[[J]]]
// CHECK-NOT:         memref.store
// CHECK:         gpu.terminator
// CHECK-NOT:     linalg.
// CHECK-NOT:     gpu.launch
// CHECK:         return

// Larger than small-work: the tiled contraction. Blocks of 16x16 threads
// (32x32 tiles: 64x64 would make too few blocks), both inputs staged
// through workgroup memory between barriers, FMAs; K = 40 is two chunks of
// 16 and an exact last chunk of 8.
// TILED-LABEL: func.func @layer
// TILED:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c16, {{.*}} = %c16, {{.*}}) workgroup(%[[AS:.*]] : memref<16x32xf32, #gpu.address_space<workgroup>>, %[[BS:.*]] : memref<16x32xf32, #gpu.address_space<workgroup>>)
// TILED:           scf.for {{.*}} iter_args
// TILED:             memref.store {{.*}}, %[[AS]]
// TILED:             memref.store {{.*}}, %[[BS]]
// TILED:             gpu.barrier
// TILED:             scf.for
// TILED:               memref.load %[[AS]]
// TILED:               memref.load %[[BS]]
// TILED:               arith.mulf {{.*}} fastmath<contract>
// TILED:               arith.addf {{.*}} fastmath<contract>
// TILED:             gpu.barrier
// TILED:           scf.for {{.*}} = %c0 to %c8 step %c1
// TILED:           gpu.barrier
// TILED:           arith.maximumf
// TILED-NOT:     linalg.
// TILED-NOT:     gpu.launch
// With TF32 allowed, the same tiles on tensor cores: K in chunks of 16
// padded with zeros past 40, every staged element rounded to TF32 (to
// nearest, ties away: + 0x1000, low 13 bits cleared; NaN kept), 8 warps of
// 16x8 mma tiles, the bias as the accumulators' start and ReLU after.
// TF32-LABEL: func.func @layer
// TF32:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c16, {{.*}} = %c16, {{.*}}) workgroup(%[[AS:.*]] : memref<16x32xf32, #gpu.address_space<workgroup>>, %[[BS:.*]] : memref<16x32xf32, #gpu.address_space<workgroup>>)
// TF32:           scf.for %{{.*}} = %c0 to %c48 step %c16
// TF32:             arith.addi %{{.*}}, %c4096_i32 : i32
// TF32:             arith.andi %{{.*}}, %c-8192_i32 : i32
// TF32:             arith.cmpf uno
// TF32:             memref.store {{.*}}, %[[AS]]
// TF32:             memref.store {{.*}}, %[[BS]]
// TF32:             gpu.barrier
// TF32:             vector.from_elements {{.*}} : vector<4x1xf32>
// TF32:             vector.from_elements {{.*}} : vector<2x1xf32>
// TF32:             nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 8], tf32Enabled} : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
// TF32:             nvgpu.mma.sync
// TF32-NOT:         {{nvgpu.mma.sync|arith.mulf}}
// TF32:             gpu.barrier
// TF32-NOT:         arith.mulf
// TF32:           arith.maximumf
func.func @layer(%x: memref<4x40xf32>, %w: memref<16x40xf32>, %b: memref<16xf32>, %out: memref<4x16xf32>) {
  %t = memref.alloc() : memref<40x16xf32>
  %acc = memref.alloc() : memref<4x16xf32>
  linalg.broadcast ins(%b : memref<16xf32>) outs(%acc : memref<4x16xf32>) dimensions = [0]
  linalg.transpose ins(%w : memref<16x40xf32>) outs(%t : memref<40x16xf32>) permutation = [1, 0]
  linalg.matmul ins(%x, %t : memref<4x40xf32>, memref<40x16xf32>) outs(%acc : memref<4x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<4x16xf32>) outs(%out : memref<4x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %in, %z : f32
    linalg.yield %r : f32
  }
  memref.dealloc %t : memref<40x16xf32>
  memref.dealloc %acc : memref<4x16xf32>
  return
}

// -----

// Small ops in a row share one block, a barrier between them: the row sums
// (the fill folded into the reduction's start) are in memory before the
// division reads them. The sums are an argument: stored.
// CHECK-LABEL: func.func @group
// TILED-LABEL: func.func @group
// CHECK-SAME:    (%[[X:.*]]: memref<6x10xf32>, %[[S:.*]]: memref<6xf32>, %[[OUT:.*]]: memref<6x10xf32>)
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %c1, {{.*}} = %c1, {{.*}} = %c1) threads({{.*}}) in ({{.*}} = %c64, {{.*}} = %c1, {{.*}} = %c1)
// CHECK:           scf.for
// CHECK:             %[[ROW:.*]] = scf.for {{.*}} iter_args({{.*}} = %cst)
// CHECK:             memref.store %[[ROW]], %[[S]]
// CHECK:           gpu.barrier
// CHECK:           scf.for
// CHECK:             memref.load %[[S]]
// CHECK:             arith.divf
// CHECK:             memref.store {{.*}}, %[[OUT]]
// CHECK-NOT:       gpu.barrier
// CHECK:           gpu.terminator
// CHECK-NOT:     gpu.launch
func.func @group(%x: memref<6x10xf32>, %s: memref<6xf32>, %out: memref<6x10xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%s : memref<6xf32>)
  linalg.reduce ins(%x : memref<6x10xf32>) outs(%s : memref<6xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %r = arith.addf %in, %acc : f32
      linalg.yield %r : f32
    }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %s : memref<6x10xf32>, memref<6xf32>) outs(%out : memref<6x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Must not fire: a transpose into an argument is the caller's result, so it
// is not folded away; its reader runs as its epilogue on the same values.
// CHECK-LABEL: func.func @copy_into_argument
// CHECK-SAME:    (%[[X:.*]]: memref<3x5xf32>, %[[T:.*]]: memref<5x3xf32>, %[[OUT:.*]]: memref<5x3xf32>)
// CHECK:         gpu.launch
// CHECK:           %[[V:.*]] = memref.load %[[X]]
// CHECK:           memref.store %[[V]], %[[T]]
// CHECK:           %[[N:.*]] = arith.negf %[[V]]
// CHECK:           memref.store %[[N]], %[[OUT]]
// CHECK-NOT:     gpu.launch
func.func @copy_into_argument(%x: memref<3x5xf32>, %t: memref<5x3xf32>, %out: memref<5x3xf32>) {
  linalg.transpose ins(%x : memref<3x5xf32>) outs(%t : memref<5x3xf32>) permutation = [1, 0]
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t : memref<5x3xf32>) outs(%out : memref<5x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.negf %a : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Must not fire: a transpose read by two ops stays (a buffer in memory);
// its readers are not epilogues of a reduction that reads it transposed.
// CHECK-LABEL: func.func @copy_read_twice
// CHECK:         memref.store {{.*}} : memref<5x3xf32>
// CHECK:         gpu.barrier
func.func @copy_read_twice(%x: memref<3x5xf32>, %o1: memref<5xf32>, %o2: memref<3xf32>) {
  %t = memref.alloc() : memref<5x3xf32>
  linalg.transpose ins(%x : memref<3x5xf32>) outs(%t : memref<5x3xf32>) permutation = [1, 0]
  linalg.reduce ins(%t : memref<5x3xf32>) outs(%o1 : memref<5xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %r = arith.addf %in, %acc : f32
      linalg.yield %r : f32
    }
  linalg.reduce ins(%t : memref<5x3xf32>) outs(%o2 : memref<3xf32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %r = arith.addf %in, %acc : f32
      linalg.yield %r : f32
    }
  memref.dealloc %t : memref<5x3xf32>
  return
}

// -----

func.func @race(%x: memref<4x4xf32>) {
  // expected-error @+1 {{ember-gpu-map-linalg: operand 0 is read elsewhere than where the op writes it: the threads of a kernel would race}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x4xf32>) outs(%x : memref<4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// A long row sum is split over a block of 256 threads; the partials of a
// warp (32 threads of the one row) are combined by xor shuffles first, so
// only each warp's first thread stores one (8 in all) to workgroup memory.
// CHECK-LABEL: func.func @row_sum
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c256, {{.*}} workgroup(%[[P:.*]] : memref<8x1xf32, #gpu.address_space<workgroup>>)
// CHECK:           scf.for %{{.*}} = %[[T:arg[0-9]+]] to %c1000 step %c256
// CHECK:           gpu.shuffle xor %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK:           gpu.shuffle xor %{{.*}}, %c8_i32, %c32_i32 : f32
// CHECK:           gpu.shuffle xor %{{.*}}, %c4_i32, %c32_i32 : f32
// CHECK:           gpu.shuffle xor %{{.*}}, %c2_i32, %c32_i32 : f32
// CHECK:           %[[S:.*]], %{{.*}} = gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK:           %[[W:.*]] = arith.addf %[[S]]
// CHECK:           scf.if
// CHECK:             %[[ROW:.*]] = arith.divui %[[T]], %c32
// CHECK:             memref.store %[[W]], %[[P]][%[[ROW]], %c0]
// CHECK:           gpu.barrier
// CHECK:           scf.for %{{.*}} = %c0 to %c8 step %c1
func.func @row_sum(%x: memref<3x1000xf32>, %out: memref<3xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<3xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<3x1000xf32>) outs(%out : memref<3xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A column max over 4 points: thread y * 4 + x, so a warp holds 8 rows of
// the same 4 points and the shuffles that combine them stop at offset 4.
// CHECK-LABEL: func.func @few_columns
// CHECK:         workgroup(%{{.*}} : memref<8x4xf32, #gpu.address_space<workgroup>>)
// CHECK:           gpu.shuffle xor %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK-NEXT:      arith.maximumf
// CHECK-NEXT:      gpu.shuffle xor %{{.*}}, %c8_i32, %c32_i32 : f32
// CHECK-NEXT:      arith.maximumf
// CHECK-NEXT:      gpu.shuffle xor %{{.*}}, %c4_i32, %c32_i32 : f32
// CHECK-NEXT:      arith.maximumf
// CHECK-NOT:       gpu.shuffle
// CHECK:           gpu.barrier
func.func @few_columns(%x: memref<1000x4xf32>, %out: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<1000x4xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maximumf %in, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Must not shuffle: 32 points side by side fill a warp (each thread of it
// has a point of its own), and the combining goes through workgroup memory.
// CHECK-LABEL: func.func @columns
// CHECK:         workgroup(%{{.*}} : memref<8x32xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT:     gpu.shuffle
// CHECK:         return
func.func @columns(%x: memref<1000x64xf32>, %out: memref<64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<64xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<1000x64xf32>) outs(%out : memref<64xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Must not shuffle: a warp shuffle moves 32 bits; f64 partials go through
// workgroup memory, one row per thread.
// CHECK-LABEL: func.func @row_sum_f64
// CHECK:         workgroup(%{{.*}} : memref<256x1xf64, #gpu.address_space<workgroup>>)
// CHECK-NOT:     gpu.shuffle
// CHECK:         return
func.func @row_sum_f64(%x: memref<3x1000xf64>, %out: memref<3xf64>) {
  %zero = arith.constant 0.0 : f64
  linalg.fill ins(%zero : f64) outs(%out : memref<3xf64>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<3x1000xf64>) outs(%out : memref<3xf64>) {
  ^bb0(%in: f64, %acc: f64):
    %r = arith.addf %in, %acc : f64
    linalg.yield %r : f64
  }
  return
}

// -----

// An elementwise op over more points than a group takes: each thread
// computes 4 consecutive points of the innermost dim, one aligned 16-byte
// load per input (the bias, indexed by that dim, too), the op on
// vector<4xf32>, a captured scalar in every lane, one 16-byte store: a
// quarter as many threads (150 blocks of 256 for 153,600 points).
// CHECK-LABEL: func.func @bias_relu
// CHECK:         gpu.launch blocks({{.*}}) in (%{{.*}} = %c150, {{.*}} threads({{.*}}) in (%{{.*}} = %c256,
// CHECK:           %[[T:.*]] = arith.addi
// CHECK:           arith.cmpi ult, %[[T]], %c38400
// CHECK:           %[[P:.*]] = arith.muli %[[T]], %c4
// CHECK:           %[[J:.*]] = arith.remui %[[P]], %c512
// CHECK:           %[[X:.*]] = vector.load %arg0[%{{.*}}, %[[J]]] {alignment = 16 : i64} : memref<300x512xf32>, vector<4xf32>
// CHECK:           %[[B:.*]] = vector.load %arg1[%[[J]]] {alignment = 16 : i64} : memref<512xf32>, vector<4xf32>
// CHECK:           %[[S:.*]] = arith.addf %[[X]], %[[B]] : vector<4xf32>
// CHECK:           %[[R:.*]] = arith.maximumf %[[S]], %{{.*}} : vector<4xf32>
// CHECK:           vector.store %[[R]], %arg2[%{{.*}}, %[[J]]] {alignment = 16 : i64} : memref<300x512xf32>, vector<4xf32>
func.func @bias_relu(%x: memref<300x512xf32>, %b: memref<512xf32>, %out: memref<300x512xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %b : memref<300x512xf32>, memref<512xf32>) outs(%out : memref<300x512xf32>) {
  ^bb0(%in: f32, %bias: f32, %o: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A value per row (a map without the innermost dim) is one scalar load in
// every lane.
// CHECK-LABEL: func.func @row_scale
// CHECK:           %[[S:.*]] = memref.load %arg1[%{{.*}}] : memref<300xf32>
// CHECK:           vector.broadcast %[[S]] : f32 to vector<4xf32>
// CHECK:           vector.store
func.func @row_scale(%x: memref<300x512xf32>, %s: memref<300xf32>, %out: memref<300x512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %s : memref<300x512xf32>, memref<300xf32>) outs(%out : memref<300x512xf32>) {
  ^bb0(%in: f32, %scale: f32, %o: f32):
    %r = arith.mulf %in, %scale : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Must not vectorise: rows of 10 (not a multiple of 4) would misalign
// every other row's vectors.
// CHECK-LABEL: func.func @rows_of_ten
// CHECK-NOT:     vector.
// CHECK:         memref.store
func.func @rows_of_ten(%x: memref<7000x10xf32>, %out: memref<7000x10xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<7000x10xf32>) outs(%out : memref<7000x10xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.negf %in : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Must not vectorise: a transposed read is not 4 consecutive elements.
// CHECK-LABEL: func.func @transposed
// CHECK-NOT:     vector.
// CHECK:         memref.store
func.func @transposed(%x: memref<512x512xf32>, %out: memref<512x512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<512x512xf32>) outs(%out : memref<512x512xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.negf %in : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Must not vectorise: an i1 buffer (a mask) is not 32-bit elements.
// CHECK-LABEL: func.func @mask
// CHECK-NOT:     vector.
// CHECK:         memref.store
func.func @mask(%x: memref<300x512xf32>, %out: memref<300x512xi1>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<300x512xf32>) outs(%out : memref<300x512xi1>) {
  ^bb0(%in: f32, %o: i1):
    %r = arith.cmpf ogt, %in, %zero : f32
    linalg.yield %r : i1
  }
  return
}

// -----

// Must not vectorise: a body that reads its indices (linalg.index).
// CHECK-LABEL: func.func @indexed
// CHECK-NOT:     vector.
// CHECK:         memref.store
func.func @indexed(%out: memref<300x512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%out : memref<300x512xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 1 : index
    %j = arith.index_cast %i : index to i32
    %r = arith.sitofp %j : i32 to f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A body that yields a value from outside it (a fill as a generic): the
// value in every lane, stored as one vector.
// CHECK-LABEL: func.func @yield_from_outside
// CHECK:           %[[V:.*]] = vector.broadcast %{{.*}} : f32 to vector<4xf32>
// CHECK:           vector.store %[[V]], %arg0[
func.func @yield_from_outside(%out: memref<300x512xf32>, %c: f32) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%out : memref<300x512xf32>) {
  ^bb0(%o: f32):
    linalg.yield %c : f32
  }
  return
}

// -----

// Must not use tensor cores even with TF32 allowed: a float64 product
// (TF32 is for float32), a contraction-shaped op whose body only yields an
// input, and a product that is not a multiply-add (max-plus).
// TF32-LABEL: func.func @f64_product
// TF32-NOT:     nvgpu.mma.sync
// TF32:         arith.mulf
// TF32-LABEL: func.func @yields_an_input
// TF32-NOT:     nvgpu.mma.sync
// TF32:         return
// TF32-LABEL: func.func @max_plus
// TF32-NOT:     nvgpu.mma.sync
// TF32:         arith.maximumf
func.func @f64_product(%a: memref<64x64xf64>, %b: memref<64x64xf64>, %c: memref<64x64xf64>) {
  linalg.matmul ins(%a, %b : memref<64x64xf64>, memref<64x64xf64>) outs(%c : memref<64x64xf64>)
  return
}
func.func @yields_an_input(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %c: memref<64x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>, affine_map<(i, j, k) -> (i, j)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    linalg.yield %x : f32
  }
  return
}
func.func @max_plus(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %c: memref<64x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>, affine_map<(i, j, k) -> (i, j)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %s = arith.addf %x, %y : f32
    %m = arith.maximumf %acc, %s : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A gather (a convolution's padding) loads its source in its body, not
// through an operand: the source's producer still stores it (no operand
// reads it later), before a barrier, and the gather is no epilogue of it.
// CHECK-LABEL: func.func @gather_reads_in_body
// CHECK-SAME:    (%[[X:.*]]: memref<4x4xf32>, %[[OUT:.*]]: memref<4x6xf32>)
// CHECK:         %[[TMP:.*]] = memref.alloc() : memref<4x4xf32>
// CHECK:         gpu.launch
// CHECK:           arith.maximumf
// CHECK:           memref.store %{{.*}}, %[[TMP]]
// CHECK:           gpu.barrier
// CHECK:           memref.load %[[TMP]]
// CHECK:           memref.store %{{.*}}, %[[OUT]]
#gid = affine_map<(d0, d1) -> (d0, d1)>
func.func @gather_reads_in_body(%x: memref<4x4xf32>, %out: memref<4x6xf32>) {
  %tmp = memref.alloc() : memref<4x4xf32>
  linalg.generic {indexing_maps = [#gid, #gid], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x4xf32>) outs(%tmp : memref<4x4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %zero = arith.constant 0.0 : f32
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#gid], iterator_types = ["parallel", "parallel"]} outs(%out : memref<4x6xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %t = arith.subi %j, %c1 : index
    %lo = arith.maxsi %t, %c1 : index
    %jj = arith.minsi %lo, %c3 : index
    %v = memref.load %tmp[%i, %jj] : memref<4x4xf32>
    linalg.yield %v : f32
  }
  memref.dealloc %tmp : memref<4x4xf32>
  return
}
