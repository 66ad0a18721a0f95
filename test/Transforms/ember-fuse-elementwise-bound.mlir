// Elementwise fusion copies both bodies into a new op at each step, so an
// unbounded chain costs O(N^2) (4,000 chained relus took 3.6 s, 20,000 ran
// for minutes). Fused bodies stop at 64 ops: a chain of 200 relus becomes
// 4 generics, and a chain of 20,000 compiles to assembly in linear time.
// RUN: awk 'BEGIN { print "func.func @chain(%%x: tensor<4x4xf32>) -> tensor<4x4xf32> {"; p = "%%x"; for (i = 0; i < 200; i++) { print "  %%v" i " = ember.relu " p " : tensor<4x4xf32>"; p = "%%v" i } print "  return " p " : tensor<4x4xf32>"; print "}" }' > %t.200.mlir
// RUN: ember-opt %t.200.mlir --ember-to-linalg-pipeline | FileCheck %s
// RUN: awk 'BEGIN { print "func.func @chain(%%x: tensor<4x4xf32>) -> tensor<4x4xf32> {"; p = "%%x"; for (i = 0; i < 20000; i++) { print "  %%v" i " = ember.relu " p " : tensor<4x4xf32>"; p = "%%v" i } print "  return " p " : tensor<4x4xf32>"; print "}" }' > %t.20000.mlir
// RUN: graphc %t.20000.mlir --emit=asm -o %t.20000.s
// RUN: FileCheck %s --check-prefix=ASM --input-file=%t.20000.s

// CHECK-LABEL: func.func @chain
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT:     linalg.generic
// ASM: ember_entry:
