// Bad input: a one-line diagnostic with the file and location, and a
// distinct exit code per kind of failure (never a crash: `not` fails on one).
// RUN: split-file %s %t
// RUN: not graphc %t/syntax.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: sh -c 'graphc %t/syntax.mlir --emit=ember 2>/dev/null; test $? -eq 3'
// RUN: not graphc %t/verify.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=VERIFY
// RUN: sh -c 'graphc %t/verify.mlir --emit=ember 2>/dev/null; test $? -eq 4'
// A location that is not a bare file position still names one: a fused
// op's first, a call site's callee, a named position's; an ONNX node's
// name (a name without a position) is quoted. graphc printed none of these.
// RUN: not graphc %t/fused-loc.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=FUSEDLOC
// RUN: not graphc %t/callsite-loc.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=CALLLOC
// RUN: not graphc %t/name-loc.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=NAMELOC
// RUN: not graphc %t/named-position-loc.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=NAMEDPOS
// RUN: not graphc %t/two-functions.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=TWO
// RUN: sh -c 'graphc %t/two-functions.mlir --emit=ember 2>/dev/null; test $? -eq 5'
// RUN: not graphc %t/good.mlir --target=cuda --emit=asm 2>&1 | FileCheck %s --check-prefix=STAGE
// RUN: sh -c 'graphc %t/good.mlir --target=cuda --emit=asm 2>/dev/null; test $? -eq 5'
// RUN: not graphc %t/good.mlir --target=cuda --emit=ptx --chip=sm_90},x{ 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not graphc %t/missing.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=IO
// A FIFO (or a device) is refused at once: reading one blocked for ever.
// RUN: rm -f %t/fifo.mlir && mkfifo %t/fifo.mlir
// RUN: not graphc %t/fifo.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=FIFO
// RUN: sh -c 'graphc %t/fifo.mlir --emit=ember 2>/dev/null; test $? -eq 2'
// RUN: not ember-opt %t/fifo.mlir 2>&1 | FileCheck %s --check-prefix=OPTFIFO
// MLIR's diagnostic printer opens the file a location names, to show its
// line: ember-opt read /dev/zero for ever on a diagnostic at a location
// naming it. Such a location is refused first (its name escaped here);
// graphc never opens it.
// RUN: not timeout 60 ember-opt %t/device-location.mlir 2>&1 | FileCheck %s --check-prefix=OPTDEVLOC
// RUN: not timeout 60 graphc %t/device-location.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=DEVLOC
// RUN: not graphc /dev/zero --emit=ember 2>&1 | FileCheck %s --check-prefix=DEVICE
// RUN: sh -c 'graphc %t/missing.mlir --emit=ember 2>/dev/null; test $? -eq 2'
// RUN: not graphc %t/model.onnx --emit=ember 2>&1 | FileCheck %s --check-prefix=ONNX
// RUN: sh -c 'graphc %t/model.onnx --emit=ember 2>/dev/null; test $? -eq 3'
// RUN: not graphc %t/good.mlir --emit=obj 2>&1 | FileCheck %s --check-prefix=BINARY
// RUN: sh -c 'graphc %t/good.mlir --frobnicate 2>/dev/null; test $? -eq 1'
// RUN: not graphc %t/good.mlir --emit=onnx-import 2>&1 | FileCheck %s --check-prefix=IMPORTONLY
// RUN: sh -c 'graphc %t/good.mlir --emit=onnx-import 2>/dev/null; test $? -eq 1'
// RUN: ember-opt %t/good.mlir --emit-bytecode -o %t/good.mlirbc
// RUN: head -c 40 %t/good.mlirbc > %t/truncated.mlirbc
// RUN: not graphc %t/truncated.mlirbc --emit=ember 2>&1 | FileCheck %s --check-prefix=TRUNC
// RUN: sh -c 'graphc %t/truncated.mlirbc --emit=ember 2>/dev/null; test $? -eq 3'
// Ops outside the ember dialect are rejected, naming the op, for both
// targets (a self-recursive func.call once compiled, and crashed ember-run).
// RUN: not graphc %t/recursive-call.mlir -o %t/r.ember 2>&1 | FileCheck %s --check-prefix=FOREIGN
// RUN: sh -c 'graphc %t/recursive-call.mlir -o %t/r.ember 2>/dev/null; test $? -eq 5'
// RUN: not graphc %t/recursive-call.mlir --target=cuda --emit=ptx 2>&1 | FileCheck %s --check-prefix=FOREIGN
// RUN: not graphc %t/arith.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=ARITH
// RUN: not graphc %t/private-helper.mlir --emit=ember 2>&1 | FileCheck %s --check-prefix=HELPER
// A launch beyond CUDA's limits (grid y above 65535) does not compile: it
// would fail on the device.
// RUN: not graphc %t/wide.mlir --target=cuda --emit=artifact -o %t/wide.ember 2>&1 | FileCheck %s --check-prefix=WIDE
// llvm.inline_asm reached LLVM and aborted it ("LLVM ERROR", exit 134).
// RUN: not graphc %t/inline-asm.mlir -o %t/asm.ember 2>&1 | FileCheck %s --check-prefix=ASM
// Bytecode on which MLIR's own reader crashes (found by fuzz_ember_ir): read
// in a child process first, and rejected as malformed, by graphc and by
// ember-opt.
// RUN: cp %S/../fuzz/regressions/ember_ir/bytecode-reader-segv.mlirbc %t/segv.mlirbc
// RUN: not graphc %t/segv.mlirbc --emit=ember 2>&1 | FileCheck %s --check-prefix=SEGV
// RUN: sh -c 'graphc %t/segv.mlirbc --emit=ember 2>/dev/null; test $? -eq 3'
// RUN: not ember-opt %t/segv.mlirbc 2>&1 | FileCheck %s --check-prefix=OPTSEGV
// On some malformed files the reader writes past its buffers and does not
// crash (found by fuzz_ember_ir: the fuzzer's heap was corrupt many inputs
// later). So the reader never runs in the process that goes on: the child
// sends the module back as text, and a bad file is rejected there.
// RUN: cp %S/../fuzz/regressions/ember_ir/bytecode-reader-silent-overflow.mlirbc %t/overflow.mlirbc
// RUN: not graphc %t/overflow.mlirbc --emit=ember 2>&1 | FileCheck %s --check-prefix=OVERFLOW
// RUN: sh -c 'graphc %t/overflow.mlirbc --emit=ember 2>/dev/null; test $? -eq 3'
// RUN: not ember-opt %t/overflow.mlirbc 2>&1 | FileCheck %s --check-prefix=OPTOVERFLOW
// What comes back as text keeps every location: a verifier's error in
// bytecode names the line of the text it was made from, and good bytecode
// goes through ember-opt as it would as text.
// RUN: ember-opt %t/verify.mlir --mlir-very-unsafe-disable-verifier-on-parsing --emit-bytecode -o %t/verify.mlirbc
// RUN: not graphc %t/verify.mlirbc --emit=ember 2>&1 | FileCheck %s --check-prefix=VERIFYBC
// RUN: sh -c 'graphc %t/verify.mlirbc --emit=ember 2>/dev/null; test $? -eq 4'
// RUN: not ember-opt %t/verify.mlirbc 2>&1 | FileCheck %s --check-prefix=OPTVERIFY
// RUN: ember-opt %t/good.mlirbc | FileCheck %s --check-prefix=OPTGOOD
// The child reading bytecode loads --irdl-file's dialects first, as
// MlirOptMain does for text (without them: "dialect 'irdltest' is unknown").
// RUN: ember-opt --irdl-file=%t/dialect.irdl.mlir %t/irdl-user.mlir --emit-bytecode -o %t/irdl-user.mlirbc
// RUN: ember-opt --irdl-file=%t/dialect.irdl.mlir %t/irdl-user.mlirbc | FileCheck %s --check-prefix=OPTIRDL
// RUN: not ember-opt %t/irdl-user.mlirbc 2>&1 | FileCheck %s --check-prefix=OPTNOIRDL
// OPTIRDL: "irdltest.op"() : () -> i32
// OPTNOIRDL: dialect 'irdltest' is unknown

// SEGV:    graphc: segv.mlirbc: malformed MLIR bytecode: MLIR's bytecode reader crashed on it (signal {{[0-9]+}})
// OPTSEGV: ember-opt: {{.*}}segv.mlirbc: malformed MLIR bytecode: MLIR's bytecode reader crashed on it
// OVERFLOW: graphc: overflow.mlirbc{{.*}}
// OPTOVERFLOW: {{.*}}overflow.mlirbc{{.*}}
// VERIFYBC: graphc: {{.*}}verify.mlir:2:{{[0-9]+}}: 'ember.matmul' op contracting dimensions differ: [2, 3] x [4, 5]
// OPTVERIFY: verify.mlir:2:{{[0-9]+}}: error: 'ember.matmul' op contracting dimensions differ: [2, 3] x [4, 5]
// OPTGOOD: ember.relu %{{.*}} : tensor<2xf32>
// PARSE:   graphc: syntax.mlir:2:{{[0-9]+}}: expected
// VERIFY:  graphc: verify.mlir:2:{{[0-9]+}}: 'ember.matmul' op contracting dimensions differ: [2, 3] x [4, 5]
// FUSEDLOC: graphc: model.py:3:4: 'ember.matmul' op contracting dimensions differ
// CALLLOC: graphc: lib.py:10:2: 'ember.matmul' op contracting dimensions differ
// NAMELOC: graphc: "conv1": 'ember.matmul' op contracting dimensions differ
// NAMEDPOS: graphc: model.py:42:9: 'ember.matmul' op contracting dimensions differ
// TWO:     graphc: two-functions.mlir:{{[0-9]+}}:{{[0-9]+}}: a graph module must have one public function
// STAGE:   graphc: stage 'asm' is not available for --target=cuda
// CHIP:    graphc: invalid CUDA chip 'sm_90},x{'
// FIFO:    graphc: cannot read '{{.*}}fifo.mlir': it is a FIFO, not a regular file
// OPTFIFO: ember-opt: cannot read '{{.*}}fifo.mlir': it is a FIFO, not a regular file
// OPTDEVLOC: ember-opt: {{.*}}device-location.mlir: a location names '/dev/zero', which is a character device, not a regular file
// DEVLOC: graphc: /dev/zero:2:2: 'ember.matmul' op contracting dimensions differ
// DEVICE:  graphc: cannot read '/dev/zero': it is a character device, not a regular file
// IO:      graphc: cannot read '{{.*}}missing.mlir': cannot open: No such file or directory
// ONNX:    graphc: {{.*}}model.onnx: not a valid ONNX model (the protobuf does not parse)
// BINARY:  graphc: --emit=obj writes a binary file: give -o OUT
// IMPORTONLY: graphc: --emit=onnx-import shows what an ONNX model imports to: give a .onnx file, not '{{.*}}good.mlir'
// TRUNC:   graphc: {{.*}}
// FOREIGN: graphc: recursive-call.mlir:2:8: 'func.call' is not an Ember graph op: a graph holds ember ops and one func.return
// ARITH:   graphc: arith.mlir:2:8: 'arith.constant' is not an Ember graph op
// HELPER:  graphc: private-helper.mlir:4:1: a graph module holds one function; 'helper' is another
// WIDE:    graphc: wide.mlir:{{[0-9]+}}:{{[0-9]+}}: ember-gpu-map-linalg: 2400000000000 points need 2343750000 blocks of 256 threads of 4 points each, more than CUDA's grid limit of 2147483647
// ASM:     graphc: inline-asm.mlir:2:8: 'llvm.inline_asm' is not an Ember graph op

//--- syntax.mlir
func.func @graph(%a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = ember.relu %a tensor<2xf32>
  return %0 : tensor<2xf32>
}
//--- verify.mlir
func.func @graph(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}
//--- fused-loc.mlir
func.func @graph(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32> loc(fused["model.py":3:4, "model.py":5:6])
  return %0 : tensor<2x5xf32>
}
//--- callsite-loc.mlir
func.func @graph(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32> loc(callsite("lib.py":10:2 at "main.py":20:3))
  return %0 : tensor<2x5xf32>
}
//--- name-loc.mlir
func.func @graph(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32> loc("conv1")
  return %0 : tensor<2x5xf32>
}
//--- named-position-loc.mlir
func.func @graph(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32> loc("node7"("model.py":42:9))
  return %0 : tensor<2x5xf32>
}
//--- two-functions.mlir
func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {
  return %a : tensor<2xf32>
}
func.func @g(%a: tensor<2xf32>) -> tensor<2xf32> {
  return %a : tensor<2xf32>
}
//--- dialect.irdl.mlir
irdl.dialect @irdltest {
  irdl.operation @op {
    %0 = irdl.any
    irdl.results(res: %0)
  }
}
//--- irdl-user.mlir
func.func @f() -> i32 {
  %0 = "irdltest.op"() : () -> i32
  return %0 : i32
}
//--- good.mlir
func.func @graph(%a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = ember.relu %a : tensor<2xf32>
  return %0 : tensor<2xf32>
}
//--- device-location.mlir
func.func @graph(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %0 = ember.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32> loc("\2Fdev\2Fzero":2:2)
  return %0 : tensor<2x5xf32>
}
//--- model.onnx
not really onnx
//--- recursive-call.mlir
func.func @graph(%a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = func.call @graph(%a) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
//--- arith.mlir
func.func @graph(%a: tensor<2xf32>) -> tensor<2xf32> {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  %0 = ember.add %a, %c : tensor<2xf32>
  return %0 : tensor<2xf32>
}
//--- private-helper.mlir
func.func @graph(%a: tensor<2xf32>) -> tensor<2xf32> {
  return %a : tensor<2xf32>
}
func.func private @helper(%a: tensor<2xf32>) -> tensor<2xf32> {
  return %a : tensor<2xf32>
}
//--- inline-asm.mlir
func.func @graph(%a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = llvm.inline_asm "ud2", "" : () -> i32
  return %a : tensor<2xf32>
}
//--- wide.mlir
func.func @graph(%a: tensor<2x1200000000000xf32>) -> tensor<2x1200000000000xf32> {
  %0 = ember.relu %a : tensor<2x1200000000000xf32>
  return %0 : tensor<2x1200000000000xf32>
}
