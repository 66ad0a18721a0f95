//===- Passes.td - Ember's compiler-level transforms -------*- tablegen -*-===//
//
// Part of Ember. Passes that prepare upstream IR (linalg, tensor, func) for
// the next stage; graph-level ember passes live with the dialect.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_TRANSFORMS_PASSES_TD
#define EMBER_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Bufferization preparation
//===----------------------------------------------------------------------===//

def EmberCPUStackParallelTemporariesPass
    : Pass<"ember-cpu-stack-parallel-temporaries", "::mlir::func::FuncOp"> {
  let summary = "Put the small temporaries of parallel loop bodies on the stack";
  let description = [{
    A `memref.alloc` inside an `scf.forall` or `scf.parallel` body runs on
    an OpenMP thread. If the system refused it there, nothing could end the
    call cleanly (no jump may leave an OpenMP region), so the runtime would
    have to stop the process. Static allocations of at most `max-bytes`
    bytes (the packing buffers of the matmul panels, 64-100 KiB for the
    Quickstart) become `memref.alloca`: on the thread's stack, freed at the
    end of each iteration (scf-to-openmp gives loop bodies an alloca
    scope), and cheaper than the allocator's lock. Allocations outside
    parallel loops, dynamic ones and larger ones are left alone. Runs after
    bufferization, before the deallocation pipeline.

    Before:
    ```mlir
    scf.forall (%i) in (16) {
      %t = memref.alloc() {alignment = 64 : i64} : memref<784x32xf32>
      ...
    }
    ```
    After:
    ```mlir
    scf.forall (%i) in (16) {
      %t = memref.alloca() {alignment = 64 : i64} : memref<784x32xf32>
      ...
    }
    ```
  }];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"262144",
           "The largest allocation moved to the stack, in bytes">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def EmberReadOnlyArgumentsPass : Pass<"ember-read-only-arguments", "::mlir::func::FuncOp"> {
  let summary = "Mark a graph's tensor arguments read-only for bufferization";
  let description = [{
    A compiled graph's inputs are its caller's values (a tensor's data, a
    parameter): nothing may be computed into their buffers in place. One-shot
    bufferization with function boundaries takes arguments to be writable
    unless they say `bufferization.writable = false`; this pass says it on
    every tensor argument of a function with a body, so that an op that
    would write into an input in place (a `tensor.insert_slice` into it, the
    lowering of `ember.slice_scatter`; an `ember.all_reduce` of it) gets a
    copy instead. Run just before `one-shot-bufferize`, which removes the
    attributes. (Results computed into argument buffers on purpose are
    `ember-tie-results`'s work, after bufferization.)

    Before:
    ```mlir
    func.func @f(%a: tensor<4xf32>) -> tensor<4xf32>
    ```
    After:
    ```mlir
    func.func @f(%a: tensor<4xf32> {bufferization.writable = false}) -> tensor<4xf32>
    ```
  }];
}

def EmberDistinctResultsPass : Pass<"ember-distinct-results", "::mlir::func::FuncOp"> {
  let summary = "Give every tensor a function returns its own value";
  let description = [{
    Each result of a compiled graph becomes an out-parameter of its own
    (`buffer-results-to-out-params`), so no two results may be the same
    value. CSE and folding can merge two requested results into one value;
    this pass copies the repeats (`linalg.copy` into a fresh tensor) so that
    every returned operand is distinct. Function arguments returned as
    results are left alone: bufferization copies those anyway.

    Before:
    ```mlir
    return %0, %0 : tensor<4xf32>, tensor<4xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<4xf32>
    %c = linalg.copy ins(%0 : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    return %0, %c : tensor<4xf32>, tensor<4xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

//===----------------------------------------------------------------------===//
// Fusion on linalg
//===----------------------------------------------------------------------===//

def EmberFuseElementwisePass : Pass<"ember-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Fuse elementwise linalg.generic chains, keeping named contractions";
  let description = [{
    Upstream's elementwise fusion (producer into consumer when the producer
    has one use, or when it is cheap to compute again in each of its users:
    no reduction, at most three arithmetic ops a point, none from the math
    dialect, every user a linalg.generic) and reshape propagation; a gather
    (`tensor.extract` in a generic's body, as max pooling and im2col read
    their input) of such a cheap elementwise result, whose users are all
    gathers, reads the producer's inputs and computes its body at the point
    instead, and the producer is gone. One
    difference from
    `linalg-fuse-elementwise-ops`: a reshape is never folded into a named op
    such as `linalg.matmul`. Upstream does so by rewriting the matmul as a
    higher-rank `linalg.generic` (the input's `tensor<64x1x28x28>` shape
    leaking into the contraction), which then no longer matches the
    register-tiled matmul kernels.

    ```mlir
    %c = tensor.collapse_shape %x [[0], [1, 2, 3]] : tensor<64x1x28x28xf32> into tensor<64x784xf32>
    %m = linalg.matmul ins(%c, %w : ...) outs(...)   // stays a matmul
    %r = linalg.generic ... ins(%m) { maximumf }      // relu
    %s = linalg.generic ... ins(%r) { mulf }          // fused with the relu
    ```
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

//===----------------------------------------------------------------------===//
// CPU code generation
//===----------------------------------------------------------------------===//

def EmberCPULowerVectorsPass : Pass<"ember-cpu-lower-vectors", "::mlir::func::FuncOp"> {
  let summary = "Lower vector contractions and transfers to FMAs and plain loads";
  let description = [{
    Runs on bufferized code. Hoists loop-invariant transfer pairs (so each
    accumulator tile lives in registers across its K loop), then lowers
    `vector.contract` by outer products (one broadcast of A, one load of B
    and one FMA per register row), and rank-1 transfers to plain vector
    loads and stores (higher-rank transfers are unrolled to rank 1 by
    `convert-vector-to-scf{full-unroll}` afterwards). The default contraction lowering produces shuffles instead of
    FMAs, many times slower (see ../shared/notes). Conversions between f32
    and bf16 become integer shifts with rounding (x86 without AVX512-BF16
    has no instruction for them, and LLVM's library call would not resolve
    in a loaded graph).
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::arith::ArithDialect"];
}

def EmberCPUStridedCopiesToLoopsPass : Pass<"ember-cpu-strided-copies-to-loops", "::mlir::func::FuncOp"> {
  let summary = "Rewrite memref.copy of non-contiguous memrefs to linalg.copy";
  let description = [{
    Runs on bufferized code, before `convert-linalg-to-loops`. A
    `memref.copy` whose source or target is not a statically shaped,
    contiguous row-major memref (a copy into a strided subview: a tensor
    inserted into part of a larger one) becomes a `linalg.copy`, which
    `convert-linalg-to-loops` makes loops. `finalize-memref-to-llvm` would
    lower it to a call of MLIR's `memrefCopy` runtime function, which
    Ember's runtime does not have: the graph would not load ("undefined
    symbol: memrefCopy"). Contiguous copies stay `memref.copy` (a
    `memcpy`).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def EmberCPUFuseGatherBlocksPass : Pass<"ember-cpu-fuse-gather-blocks", "::mlir::func::FuncOp"> {
  let summary = "Compute a product and the op gathering from it together, in blocks of images";
  let description = [{
    Runs before `ember-cpu-vectorize-contractions`. A statically shaped
    f32 `linalg.matmul` with the default indexing maps (its accumulator a
    `linalg.fill`) whose result is split by a `tensor.expand_shape` into
    [images, ...] along M or N and read only through `tensor.extract` in
    the body of one all-parallel `linalg.generic` that does not read its
    init (a pooling of a convolution), each gather taking its image index
    straight from one of the generic's loops, is rewritten into one
    `scf.forall` over blocks of images: each block computes its images'
    part of the product into its own temporary (the operand split by
    images, when it is a `tensor.collapse_shape` of an all-parallel generic
    that does not read its init, such as a convolution's window copy, is
    computed for the block too, with that generic's elementwise producer
    read by nothing else, such as the input's zero padding), then its part
    of the generic, gathering from that temporary and writing in place into
    its part of the result. Blocks hold as many images as fit, product,
    operand and result, in half the L2 (`l2-bytes`), with at least two
    blocks (eight from 16 images on), a block of columns a whole number of
    16 floats. The product's result then stays in the cache between the
    product and its reader instead of going out to memory and back (the
    CNN's first convolution at inference: 6.4 MB written, then read by its
    max pooling).

    Does not fire when the product's result fits in half the L2, when no
    block size meets those conditions, when anything else reads the
    product or its expanded result, or when a gather's image index is not
    a loop of the reader.

    Before:
    ```mlir
    %p = linalg.matmul ins(%w, %windows : tensor<32x9xf32>, tensor<9x50176xf32>) outs(%zero : tensor<32x50176xf32>) -> tensor<32x50176xf32>
    %e = tensor.expand_shape %p [[0], [1, 2, 3]] output_shape [32, 64, 28, 28] : tensor<32x50176xf32> into tensor<32x64x28x28xf32>
    %pool = linalg.generic ... outs(%o : tensor<64x32x14x14xf32>) {
      %n = linalg.index 0 : index
      ... tensor.extract %e[%c, %n, %h, %w] ...
    }
    ```
    After (schematically), with a 1 MiB L2: `scf.forall (%b) in (16)`,
    each iteration computing a `tensor<32x3136xf32>` product of its 4
    images' windows and the `tensor<4x32x14x14xf32>` pooling gathering from
    it at image index `%n - 4 * %b`, inserted into the result with
    `tensor.parallel_insert_slice`.
  }];
  let options = [
    Option<"l2Bytes", "l2-bytes", "int64_t", /*default=*/"1048576",
           "Size of a core's level-2 cache">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def EmberCPUVectorizeContractionsPass : Pass<"ember-cpu-vectorize-contractions", "::mlir::func::FuncOp"> {
  let summary = "Tile linalg.matmul into register tiles and vectorize them";
  let description = [{
    Tiles every statically shaped `linalg.matmul` on tensors into
    `Mr x Nr x 1` tiles (Nr one or two vector registers wide, or N itself
    when N fits in two; Mr up to 16 rows, as many as keep 16 accumulator
    registers on AVX-512 or 12 on AVX2; each dividing the problem) and
    vectorizes each tile into a `vector.contract`, which
    `ember-cpu-lower-vectors` turns into outer-product FMAs. Matmuls whose
    sizes have no suitable divisor are left to the scalar loop lowering.

    Before:
    ```mlir
    %r = linalg.matmul ins(%a, %b : tensor<64x784xf32>, tensor<784x512xf32>)
                       outs(%c : tensor<64x512xf32>) -> tensor<64x512xf32>
    ```
    After (schematically): three `scf.for` loops over 8x32 tiles and K, whose
    body reads the tiles with `vector.transfer_read`, computes a
    `vector.contract` on `vector<8x1xf32>` and `vector<1x32xf32>`, and writes
    the `vector<8x32xf32>` accumulator back.

    Tile sizes come from a model of the target (the options below; see
    docs/ember-opt.md). A K x N B that the tiles would read from the L1
    badly is packed into contiguous column panels. When A is over half the
    L2, a packed product's panels run over blocks of rows whose part of A
    fits in it; panels one cache line wide (copied from B, or transposed
    from a weight) are then packed once, before the product, for every
    block to read. A product
    with few
    columns that do not fill whole registers (10 of 16 lanes, or 8 + 2),
    or with one or two rows and a weight transposed in the graph (batch-1
    inference), becomes the dot-product kernel: vectors of partial sums
    along K per result element, summed across lanes once per tile (by a
    tree of shuffles). A one-row tile is one `vector.fma` a K step.

    With `parallel` (the default), the M and N tile loops of a product of at
    least 4 MFLOP are one `scf.forall` instead (N outermost), which
    `ember-cpu-to-llvm-pipeline` runs on threads through OpenMP. When such
    a product's B is a weight transposed in the graph (used by this product
    only), the transpose is packed: the `scf.forall` runs over Nr-column
    panels, each transposing its rows of the weight in register blocks into
    a panel-sized temporary and then running its tiles over M. 2-D f32
    transposes are tiled into 16x16 (or 8x8) blocks that are transposed in
    registers, in an `scf.forall` from 65536 elements on. Elementwise
    `linalg.generic`s of 65536 elements or more (an optimizer's update) are
    split into blocks of whole rows, at least 8, in an `scf.forall`; first,
    an all-parallel generic's innermost loop shorter than 64 is joined with
    the loops before it that every operand reads contiguously with it
    (`[N, C, 28, 28]` becomes `[N, C, 784]`), so that LLVM vectorizes a
    long loop.
  }];
  let options = [
    Option<"parallel", "parallel", "bool", /*default=*/"true",
           "Tile large kernels with scf.forall, to run on several threads">,
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"512",
           "Width of the target's vector registers: 512 (AVX-512), 256 "
           "(AVX2) or 128; sets the register tiles and transpose blocks">,
    Option<"vectorRegisters", "vector-registers", "int64_t", /*default=*/"0",
           "Vector registers of the target (0: 32 with 512-bit registers, "
           "else 16)">,
    Option<"fmaLatency", "fma-latency", "int64_t", /*default=*/"4",
           "Cycles from a vector FMA's issue to its result">,
    Option<"fmaPerCycle", "fma-per-cycle", "int64_t", /*default=*/"2",
           "Vector FMAs the core starts per cycle">,
    Option<"l1Bytes", "l1-bytes", "int64_t", /*default=*/"32768",
           "Size of the level-1 data cache">,
    Option<"l1Ways", "l1-ways", "int64_t", /*default=*/"8",
           "Associativity of the level-1 data cache">,
    Option<"l2Bytes", "l2-bytes", "int64_t", /*default=*/"1048576",
           "Size of a core's level-2 cache">,
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def EmberCPUThreadCountPass : Pass<"ember-cpu-thread-count", "::mlir::ModuleOp"> {
  let summary = "Prepare OpenMP regions for Ember's threads: a runtime "
                "thread count, dynamic loops without barriers";
  let description = [{
    Runs after `convert-scf-to-openmp`. Compiled regions run on Ember's
    runtime threads (ember/runtime/Parallel.h), not an OpenMP runtime:

    - every `omp.parallel` without a `num_threads` clause gets one whose
      value is a call to `ember_num_threads() -> i32`, which Ember's runtime
      exports (it reads `EMBER_NUM_THREADS`, else counts the CPUs the
      process may use that others do not keep busy). So the thread count is
      decided when the code runs, not when it is compiled, and one compiled
      graph serves every setting;
    - every region's worksharing loop becomes `schedule(dynamic)` and
      `nowait`: the runtime hands iterations to whichever threads are
      running (a parked thread's share is taken by the others) and ends the
      region without a barrier. A region holding anything but one
      worksharing loop (or nothing), or a loop with a reduction or an
      ordered clause, is an error: the runtime could not run it correctly.

    Before:
    ```mlir
    omp.parallel {
      omp.wsloop { omp.loop_nest ... }
      omp.terminator
    }
    ```
    After:
    ```mlir
    func.func private @ember_num_threads() -> i32
    ...
    %n = func.call @ember_num_threads() : () -> i32
    omp.parallel num_threads(%n : i32) {
      omp.wsloop nowait schedule(dynamic) { omp.loop_nest ... }
      omp.terminator
    }
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

//===----------------------------------------------------------------------===//
// GPU code generation
//===----------------------------------------------------------------------===//

def EmberTieResultsPass : Pass<"ember-tie-results", "::mlir::func::FuncOp"> {
  let summary = "Compute results into the buffers of the arguments they replace";
  let description = [{
    Runs on a bufferized graph function, before its results become
    out-parameters. The function's `ember.tied_results` attribute (an
    `array<i64>` of (result, argument) pairs, which the frontend writes for
    an optimizer step on a GPU: each parameter's new value into the
    parameter's own buffer) says which results replace which arguments.
    Each tied result stops being a result: its value ends in the argument's
    buffer, and the caller reads it there.

    - **In place** when the result is a fresh allocation of the argument's
      type, and after the first op that writes it no op reads the argument
      (that op itself may read each element of the argument where it writes
      the same element: `p - lr * g`): every use of the allocation becomes
      the argument.
    - **Otherwise** (the argument is read later, or an op this pass does not
      follow touches either buffer): computed as before, then a
      `memref.copy` over the argument just before the return.

    The attribute is removed. Errors: pairs out of range or tying a result
    or argument twice, and a result whose type is not its argument's.
    Without the attribute the pass does nothing.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def EmberGPUMapLinalgPass : Pass<"ember-gpu-map-linalg", "::mlir::func::FuncOp"> {
  let summary = "Map bufferized linalg ops to gpu.launch kernels with real thread mappings";
  let description = [{
    Runs on the bufferized graph function (linalg on memrefs, results as
    out-parameters). Named ops and `memref.copy` are generalized first;
    then every linalg op lands in exactly one `gpu.launch`:

    - **Folding.** A pure copy (transpose, broadcast, copy) read by exactly
      one later op and dead after it is folded into that op's indexing map.
      An all-parallel op that only initialises the output of the next op
      touching its buffer (the `linalg.fill` or bias broadcast before a
      matmul or reduction) becomes that op's *prologue*: its body runs per
      output point instead of a store and a load.
    - **Epilogues.** All-parallel ops that follow an op over the same
      parallel space and read its results pointwise (bias, ReLU, the ReLU
      mask, the SGD update) run in the same kernel on the values still in
      registers; a result no later op reads is not stored.
    - **Contractions** (two parallel dimensions, one reduction, two
      inputs) with more than `small-work` iterations are tiled: 64x64
      output tiles per block of 16x16 threads, a 4x4 register tile per
      thread (32x32 and 2x2 when 64x64 tiles would be fewer than 96
      blocks), K in chunks of 16 (the last one exact) staged through
      workgroup memory between `gpu.barrier`s, loads coalesced along each
      input's contiguous dimension, multiply-adds marked `contract` (FMA).
      With `tf32`, a contraction whose body is `acc + a * b` on f32 runs on
      tensor cores instead: the same block tiles, K chunks of 16 padded
      with zeros past K, every staged element rounded to TF32 (to nearest,
      ties away from zero), and each of the block's 8 warps owning
      `T*T/8` outputs as 16x8 `nvgpu.mma.sync` tiles (m16n8k8,
      `tf32Enabled`, f32 accumulators starting from the op's initial
      values), fragments read from workgroup memory in PTX's layout.
    - **Long reductions** (at least 64 steps per point, the body one
      associative op on the accumulator) are split over a block: thread
      `y * px + x` reduces steps `y, y + ry, ...` of point `x` (px = 32
      points side by side for a column sum, 1 for a row sum). For 32-bit
      values with px < 32, a warp's rows of a point first combine their
      partials by `gpu.shuffle xor` (offsets 16, 8, ... down to px), and
      only each warp's first row stores its partials to workgroup memory;
      after a barrier one thread per point combines the stored partials.
    - **Small ops** (at most `small-points` output points and `small-work`
      iterations) that follow one another run in one kernel of one block of
      `group-threads` threads, a `gpu.barrier` between ops: the
      cross-entropy tail and the bias-gradient reductions of a training
      step cost one launch instead of a dozen.
    - **Everything else** runs one output point per thread (reductions loop
      over their reduced dimensions in registers), 256 threads per block,
      the innermost dimension on consecutive threads. An elementwise chain
      (all-parallel, elementwise bodies, no `linalg.index`) whose innermost
      extent is a multiple of 4 and whose buffers along that dimension are
      32-bit, static and of identity layout runs 4 consecutive points per
      thread: one 16-byte `vector.load`/`vector.store` (aligned: a plan's
      buffers start 16-byte aligned) per operand, the body on
      `vector<4xT>`, an operand that does not vary along the dimension
      loaded once and broadcast.

    An op that reads a buffer it also writes at another index is refused
    (the threads of a kernel have no order).
  }];
  let options = [
    Option<"smallPoints", "small-points", "int64_t", /*default=*/"65536",
           "The most output points of an op run in a one-block group">,
    Option<"smallWork", "small-work", "int64_t", /*default=*/"1048576",
           "The most loop iterations of an op run in a one-block group "
           "(larger contractions are tiled)">,
    Option<"groupThreads", "group-threads", "int64_t", /*default=*/"512",
           "The threads of the block that runs a group of small ops">,
    Option<"tf32", "tf32", "bool", /*default=*/"false",
           "Tiled f32 contractions run on tensor cores in TF32">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::nvgpu::NVGPUDialect"];
}

def EmberGPUNoAliasArgumentsPass : Pass<"ember-gpu-noalias-arguments", "::mlir::ModuleOp"> {
  let summary = "Mark kernel buffer arguments that never alias llvm.noalias";
  let description = [{
    Runs after `gpu-kernel-outlining`. A graph's buffers are distinct
    allocations or distinct function arguments (the graph ABI: arguments
    never overlap), and a view (reshape) aliases the buffer under it. A
    `gpu.func` kernel's memref argument gets `{llvm.noalias}` when, at every
    `gpu.launch_func` of the kernel, its operand's buffer differs from the
    buffer of every other memref operand. The NVPTX back end then reads
    buffers the kernel only reads through the non-coherent cache
    (`ld.global.nc`) and may keep values in registers across stores.

    Must not fire: an argument whose buffer another argument of some launch
    views or repeats, and kernels launched from nowhere.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::LLVM::LLVMDialect"];
}

def EmberGPUMergeKernelModulesPass : Pass<"ember-gpu-merge-kernel-modules", "::mlir::ModuleOp"> {
  let summary = "Move every outlined GPU kernel into one gpu.module";
  let description = [{
    Runs right after `gpu-kernel-outlining`, which makes one `gpu.module`
    per kernel and names every kernel after the host function (so a graph
    would become one PTX module per kernel, all with the same entry name).
    Every kernel moves into the first `gpu.module` and is renamed after the
    module it came from (module names are unique): `@m::@k` becomes
    `@first::@m`. A module holding several symbols names each
    `<module>_<symbol>`; a name already taken gets a numeric suffix. Every
    `gpu.launch_func` is updated to the new reference, and the emptied
    modules are erased. The graph becomes one PTX module with distinct
    entry points: one load (one JIT compilation) at run time, and one file
    that `ptxas` accepts.

    Must not fire: a module with at most one `gpu.module` is left as it is
    (even if its kernel's name differs from its module's), and a
    `gpu.module` whose attributes (e.g. `targets`) differ from the first's
    stays apart.

    Before:
    ```mlir
    gpu.launch_func @f_kernel::@f_kernel ...
    gpu.launch_func @f_kernel_0::@f_kernel ...
    gpu.module @f_kernel { gpu.func @f_kernel(...) kernel { ... } }
    gpu.module @f_kernel_0 { gpu.func @f_kernel(...) kernel { ... } }
    ```
    After:
    ```mlir
    gpu.launch_func @f_kernel::@f_kernel ...
    gpu.launch_func @f_kernel::@f_kernel_0 ...
    gpu.module @f_kernel {
      gpu.func @f_kernel(...) kernel { ... }
      gpu.func @f_kernel_0(...) kernel { ... }
    }
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def EmberGPUKernelsToHostPass : Pass<"ember-gpu-kernels-to-host", "::mlir::ModuleOp"> {
  let summary = "Turn outlined GPU kernels into host functions that run one thread";
  let description = [{
    Runs on a module after `ember-gpu-map-pipeline` (kernels outlined into
    one `gpu.module`, each `gpu.func` under its own name, and a host
    function that launches them) to compile the same kernels for the
    emulated device (`EMBER_FAKE_CUDA=1`). Each kernel `@k`, of any
    `gpu.module`, becomes a public `func.func @ember_emu_k` that takes the
    kernel's arguments, followed by twelve `index` arguments:
    blockIdx.{x,y,z}, threadIdx.{x,y,z}, gridDim.{x,y,z} and
    blockDim.{x,y,z}, and last the block's shared memory, a `memref<Nxi8>`
    where N is the kernel's static workgroup memory in bytes (0 without
    any). Its body is the kernel's, with `gpu.block_id`, `gpu.thread_id`,
    `gpu.grid_dim` and `gpu.block_dim` replaced by those arguments and
    `gpu.return` by `func.return`: one call runs one thread.

    Workgroup attributions (static-shape memrefs of whole-byte integers,
    floats or index, identity layout) are `memref.view`s of the shared
    memory, each at an offset aligned to 16, in the attributions' order;
    private attributions are `memref.alloca`s; GPU address spaces are
    dropped from every type. `gpu.barrier` becomes a call of
    `@ember_emu_barrier`, declared private once in the module: the host
    code's shared object defines it and the emulated device implements it
    (it returns once every thread of the block has called it). A
    `gpu.shuffle` of an `i32` or `f32` becomes a call of
    `@ember_emu_shuffle(value, offset, width, mode) : (i32, i32, i32, i32)
    -> i64` (the value as `i32` bits; mode 0 xor, 1 up, 2 down, 3 idx),
    declared the same way, whose low 32 bits are the result and bit 32
    `valid`: the emulated device returns once every thread of the warp has
    called it. An `nvgpu.mma.sync` m16n8k8 with `tf32Enabled` on f32
    fragments (what `ember-gpu-map-linalg{tf32}` makes) stores its A, B
    and C fragments into stack arrays made once at the function's entry and
    calls `@ember_emu_mma_tf32_m16n8k8(a, b, c, d)` (declared the same
    way), then reads D from the last: the emulated warp's mma. The function notes what the emulator must know:
    `ember.emu_shared_bytes` (N, an i64) and, when it calls the barrier or
    the shuffle, the unit attribute `ember.emu_barriers` (both kept by the
    lowering to `llvm.func`). The `gpu.module`s and the host functions are
    erased.

    What the emulated device cannot run is an error naming it: every other
    `gpu` op (`gpu.dynamic_shared_memory`, shuffles of other types, ...),
    attributions of
    other shapes or types, GPU memory made by any op but an attribution,
    kernel arguments in GPU memory, and any other symbol in a `gpu.module`;
    so are two kernels of one name in different `gpu.module`s (run
    `ember-gpu-merge-kernel-modules` first) and a kernel named `@barrier`
    or `@shuffle` (its function would be the barrier's or the shuffle's).

    Before:
    ```mlir
    gpu.module @graph_kernel {
      gpu.func @graph_kernel(%out: memref<4xf32>, %v: f32) kernel {
        %i = gpu.block_id x
        memref.store %v, %out[%i] : memref<4xf32>
        gpu.return
      }
    }
    ```
    After:
    ```mlir
    func.func @ember_emu_graph_kernel(%out: memref<4xf32>, %v: f32,
        %bx: index, %by: index, %bz: index, %tx: index, %ty: index,
        %tz: index, %gx: index, %gy: index, %gz: index, %dx: index,
        %dy: index, %dz: index, %shared: memref<0xi8>)
        attributes {ember.emu_shared_bytes = 0 : i64} {
      memref.store %v, %out[%bx] : memref<4xf32>
      return
    }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

#endif // EMBER_TRANSFORMS_PASSES_TD
