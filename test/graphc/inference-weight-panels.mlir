// The form in which the frontend's inference graphs pass a weight (its
// transpose's column panels X [N / w, K, w], made W^T again by
// `ember.transpose [1, 0, 2]` and `ember.reshape`, see
// frontend/lib/WeightCache.cpp) reaches the CPU code as panels read as they
// are: through the graph and linalg pipelines, the product's tiles read X,
// and nothing transposes or copies it, for AVX-512 and AVX2 code.
// RUN: graphc %s --emit=vectorized --cpu=skylake-avx512 | FileCheck %s
// RUN: graphc %s --emit=vectorized --cpu=haswell | FileCheck %s

// CHECK-LABEL: func.func @graph
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<16x100x32xf32>
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     linalg.copy
// CHECK:         vector.transfer_read %[[X]]{{.*}} : tensor<16x100x32xf32>, vector<32xf32>
// CHECK:         arith.maximumf
func.func @graph(%x: tensor<64x100xf32>, %w: tensor<16x100x32xf32>) -> tensor<64x512xf32> {
  %t = ember.transpose %w [1, 0, 2] : tensor<16x100x32xf32> -> tensor<100x16x32xf32>
  %b = ember.reshape %t : tensor<100x16x32xf32> -> tensor<100x512xf32>
  %m = ember.matmul %x, %b : (tensor<64x100xf32>, tensor<100x512xf32>) -> tensor<64x512xf32>
  %r = ember.relu %m : tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}
