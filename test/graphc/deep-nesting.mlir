// Text nested deeper than MLIR's recursive parser can take (it overflowed
// the stack: exit 139) is rejected before parsing, with the line and column,
// by graphc (exit 3, a parse error) and by ember-opt; nesting a graph might
// really have passes.
// RUN: rm -rf %t && mkdir %t
// RUN: awk 'BEGIN { n = 200000; s = ""; for (i = 0; i < n; i++) s = s "["; t = ""; for (i = 0; i < n; i++) t = t "]"; print "func.func @g(%%x: tensor<2xf32>) -> tensor<2xf32> attributes {a = " s t "} {"; print "  return %%x : tensor<2xf32>"; print "}" }' > %t/brackets.mlir
// RUN: awk 'BEGIN { n = 100000; s = ""; for (i = 0; i < n; i++) s = s "tuple<"; t = ""; for (i = 0; i < n; i++) t = t ">"; print "func.func @g(%%x: " s "f32" t ") {"; print "  return"; print "}" }' > %t/tuples.mlir
// RUN: awk 'BEGIN { n = 100000; print "func.func @g() {"; for (i = 0; i < n; i++) print "\"test.op\"() ({"; for (i = 0; i < n; i++) print "}) : () -> ()"; print "  return"; print "}" }' > %t/regions.mlir
// RUN: not graphc %t/brackets.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=BRACKETS
// RUN: sh -c 'graphc %t/brackets.mlir --emit=ember 2>/dev/null; test $? -eq 3'
// RUN: not graphc %t/tuples.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=TUPLES
// RUN: not graphc %t/regions.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=REGIONS
// RUN: not ember-opt %t/brackets.mlir 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not ember-opt %t/regions.mlir 2>&1 | FileCheck %s --check-prefix=OPTREGIONS
// RUN: graphc %s --emit=ember | FileCheck %s

// BRACKETS:   graphc: brackets.mlir:1:{{[0-9]+}}: the input nests deeper than 256 levels of brackets, types or regions
// TUPLES:     graphc: tuples.mlir:1:{{[0-9]+}}: the input nests deeper than 256 levels
// REGIONS:    graphc: regions.mlir:{{[0-9]+}}:{{[0-9]+}}: the input nests deeper than 256 levels
// OPT:        ember-opt: {{.*}}brackets.mlir:1:{{[0-9]+}}: the input nests deeper than 256 levels
// OPTREGIONS: ember-opt: {{.*}}regions.mlir:{{[0-9]+}}:{{[0-9]+}}: the input nests deeper than 256 levels

// A rank-4 constant, arrows, comparisons in strings and comments: fine.
// "(((((" and <<<<< here do not count.
// CHECK: ember.constant
func.func @ok(%x: tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32> {
  %c = ember.constant dense<[[[[1.0, 2.0]]]]> : tensor<1x1x1x2xf32>
  %0 = ember.add %x, %c : tensor<1x1x1x2xf32>
  return %0 : tensor<1x1x1x2xf32>
}
