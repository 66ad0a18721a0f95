// --dot shows the graph after fusion, fused ops highlighted.
// RUN: graphc %s --dot | FileCheck %s

// CHECK:      digraph mlp {
// CHECK-DAG:  arg0 [shape=ellipse, label="%arg0\n[2, 8] f32"];
// CHECK:      op0 [label="ember.linear_relu\n[2, 16] f32", style=filled
// CHECK:      arg0 -> op0;
// CHECK:      op1 [label="ember.linear\n[2, 4] f32"];
// CHECK:      op0 -> op1;
// CHECK-NOT:  ember.relu
// CHECK:      }
func.func @mlp(%x: tensor<2x8xf32>, %w1: tensor<16x8xf32>, %b1: tensor<16xf32>, %w2: tensor<4x16xf32>) -> tensor<2x4xf32> {
  %0 = ember.linear %x, %w1, %b1 : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<2x16xf32>
  %1 = ember.relu %0 : tensor<2x16xf32>
  %2 = ember.linear %1, %w2 : (tensor<2x16xf32>, tensor<4x16xf32>) -> tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}
