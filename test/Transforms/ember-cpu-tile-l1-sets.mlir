// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions))' | FileCheck %s
// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions{l1-bytes=49152 l1-ways=12}))' | FileCheck %s --check-prefix=WAYS12
// RUN: ember-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ember-cpu-vectorize-contractions{vector-bits=256}))' | FileCheck %s --check-prefix=AVX2

// A register tile reads A's rows a column at a time, each row's cache line
// serving 16 K steps: its rows must stay in the L1 meanwhile. With K = 1024
// floats (4 KiB) every row of A falls in the same set of a 32 KiB 8-way L1
// (the default model: Zen 3 and 4), which holds 8 of them, so the tile is
// at most 8 rows tall: 6 x 64 here (24 accumulators; 12 x 32 or 13 x 32
// without the limit, whose rows evicted each other: 512x1024x512 ran at
// 0.65x OpenBLAS on Zen 4, 1.16x with 6 x 64). A 12-way L1 (48 KiB, Intel's
// Golden Cove and later) holds 12 rows: 12 x 32 (an 8-row tile ends each
// block).
// With AVX2's 16 registers the tile is 4 x 16 either way: it fits.
// CHECK-LABEL: func.func @rows_one_set
// CHECK:         vector.contract {{.*}} into vector<6x64xf32>
// CHECK-NOT:     vector<12x32xf32>
// WAYS12-LABEL: func.func @rows_one_set
// WAYS12:        vector.contract {{.*}} into vector<{{1[0-2]}}x32xf32>
// AVX2-LABEL:  func.func @rows_one_set
// AVX2:          vector.contract {{.*}} into vector<4x16xf32>
func.func @rows_one_set(%a: tensor<512x1024xf32>, %b: tensor<1024x512xf32>, %c: tensor<512x512xf32>) -> tensor<512x512xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<512x1024xf32>, tensor<1024x512xf32>) outs(%c : tensor<512x512xf32>) -> tensor<512x512xf32>
  return %r : tensor<512x512xf32>
}

// -----

// Must not fire: rows 4000 bytes apart (K = 1000, not a whole number of
// 64-byte lines) spread over the L1's sets, and rows 2 KiB apart (K = 512)
// over two sets, 16 rows: both keep their tall tiles.
// CHECK-LABEL: func.func @rows_spread
// CHECK:         vector.contract {{.*}} into vector<{{1[0-6]}}x32xf32>
// CHECK-LABEL: func.func @rows_two_sets
// CHECK:         vector.contract {{.*}} into vector<{{1[0-6]}}x32xf32>
func.func @rows_spread(%a: tensor<512x1000xf32>, %b: tensor<1000x512xf32>, %c: tensor<512x512xf32>) -> tensor<512x512xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<512x1000xf32>, tensor<1000x512xf32>) outs(%c : tensor<512x512xf32>) -> tensor<512x512xf32>
  return %r : tensor<512x512xf32>
}
func.func @rows_two_sets(%a: tensor<512x512xf32>, %b: tensor<512x512xf32>, %c: tensor<512x512xf32>) -> tensor<512x512xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<512x512xf32>, tensor<512x512xf32>) outs(%c : tensor<512x512xf32>) -> tensor<512x512xf32>
  return %r : tensor<512x512xf32>
}
