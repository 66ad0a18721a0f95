#!/usr/bin/env bash
#===- run-quickstart.sh - Time the Quickstart epoch: Ember and its peers ---===#
#
# Part of Ember's benchmarks. Runs one epoch of the PyTorch Quickstart's
# training (MLP on FashionMNIST, batch 64, SGD lr 1e-3, data loading
# included, the one-time load excluded) in Ember and in its peers, in the
# same run, and prints each epoch's seconds and the ratio peer / Ember
# (above 1: Ember is faster). Builds nothing: give it a configured and built
# build folder.
#
#   bench/run-quickstart.sh [BUILD_DIR]          # default: build
#
# Environment: REPEAT=N runs every contender N times, interleaved, and keeps
# each one's best epoch (default 1); WARMUP=STEPS (default 5); DATA=DIR
# (default /usr/share/datasets/fashion-mnist); PYTHON (default
# /usr/bin/python3, Debian's python3-torch); TORCH2 (default
# $EMBER_PEERS_TORCH2 or ~/.cache/ember-peers/torch2: the PyTorch 2.x
# virtual environment bench/install-torch2.sh makes; EMBER_BENCH_NO_TORCH2=1
# leaves that peer out).
#
# Contenders: LibTorch at 1 and 2 threads, PyTorch 1.13 (Debian's; the
# Quickstart's DataLoader, and batches gathered by index as the LibTorch
# peer does) at 1 thread, PyTorch 2.x from PyPI ("pytorch2", MKL and
# oneDNN; the same two loaders) at 1 and 2 threads, and Ember at 1 and 2
# threads (EMBER_NUM_THREADS); for inference, Ember, LibTorch and
# onnxruntime (bench/inference_onnxruntime.py, in the PyTorch 2.x
# environment) at batch 64 and 1024, 1 and 2 threads. Then Ember's epoch at
# its default thread count, quiet and with a busy loop on every core (the
# shared-machine case; BUSY=0 leaves it out). The peers run
# with OMP_WAIT_POLICY=PASSIVE and with OMP_NUM_THREADS and
# OPENBLAS_NUM_THREADS set to their thread count; Ember with its own
# defaults. A contender that is not available is skipped with a message.
# The last lines compare each at its best thread count with the targets of
# the CPU performance issue.
#
#===------------------------------------------------------------------------===#

set -u

BUILD=${1:-build}
REPEAT=${REPEAT:-1}
WARMUP=${WARMUP:-5}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
PYTHON=${PYTHON:-/usr/bin/python3}
TORCH2=${TORCH2:-${EMBER_PEERS_TORCH2:-$HOME/.cache/ember-peers/torch2}}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$BUILD/bin

if [[ ! -d $BIN ]]; then
  echo "run-quickstart: no $BIN; build first, e.g." >&2
  echo "  cmake -G Ninja -S . -B $BUILD -DCMAKE_BUILD_TYPE=Release && ninja -C $BUILD" >&2
  exit 2
fi

# The contenders: name, threads, command. Availability is checked below.
names=() threads=() commands=()
add() { names+=("$1"); threads+=("$2"); commands+=("$3"); }

if [[ -x $BIN/quickstart_ember ]]; then
  for t in 1 2; do
    add ember "$t" "$BIN/quickstart_ember --data $DATA --warmup $WARMUP"
  done
else
  echo "skip ember: $BIN/quickstart_ember not built"
fi
if [[ -x $BIN/quickstart_libtorch ]]; then
  for t in 1 2; do
    add libtorch "$t" "$BIN/quickstart_libtorch --data $DATA --warmup $WARMUP --threads $t"
  done
else
  echo "skip libtorch: $BIN/quickstart_libtorch not built (configure with LibTorch installed: apt-get install libtorch-dev)"
fi
if [[ -x $PYTHON ]] && "$PYTHON" -c 'import torch' 2>/dev/null; then
  for loader in dataloader batched; do
    add "pytorch/$loader" 1 "$PYTHON $HERE/quickstart_pytorch.py --data $DATA --warmup $WARMUP --threads 1 --loader $loader"
  done
else
  echo "skip pytorch: $PYTHON cannot import torch (Debian: apt-get install python3-torch)"
fi
# PyTorch 2.x: the virtual environment's python, with its env.sh's
# LD_LIBRARY_PATH (the CUDA libraries the wheel loads, even on the CPU).
if [[ ${EMBER_BENCH_NO_TORCH2:-0} == 1 ]]; then
  echo "skip pytorch2: EMBER_BENCH_NO_TORCH2=1"
elif [[ -x $TORCH2/bin/python && -f $TORCH2/env.sh ]] &&
     torch2Lib=$(source "$TORCH2/env.sh" && echo "$LD_LIBRARY_PATH") &&
     torch2Version=$(env LD_LIBRARY_PATH="$torch2Lib" "$TORCH2/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null); then
  for loader in dataloader batched; do
    for t in 1 2; do
      add "pytorch2/$loader" "$t" "env LD_LIBRARY_PATH=$torch2Lib $TORCH2/bin/python $HERE/quickstart_pytorch.py --data $DATA --warmup $WARMUP --threads $t --loader $loader"
    done
  done
else
  echo "skip pytorch2: no PyTorch 2.x in $TORCH2 (bench/install-torch2.sh installs it)"
fi

if [[ ${#names[@]} -eq 0 ]]; then
  echo "run-quickstart: no contender available" >&2
  exit 1
fi

isa=$(grep -m1 -ow avx512f /proc/cpuinfo || grep -m1 -ow avx2 /proc/cpuinfo || echo "no AVX2")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $isa"
source "$(dirname "$0")/blas.sh"
blas_setup
blas_describe "(the peers' matmuls; Debian: libopenblas0-openmp)"
torch1=$("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null)
echo "torch:   ${torch1:-none} ($PYTHON), ${torch2Version:-none} (pytorch2: $TORCH2)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
# The Ember the build folder was configured from.
src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)
if [[ -z $src ]]; then
  rev="no CMakeCache.txt"
elif rev=$(git -C "$src" rev-parse --short HEAD 2>/dev/null); then
  git -C "$src" diff --quiet HEAD 2>/dev/null || rev="$rev with uncommitted changes"
else
  rev="not a git checkout"
fi
echo "ember:   ${src:-unknown source} ($rev), built in $BUILD"
echo

# Runs every contender REPEAT times, interleaved; keeps the best epoch.
declare -A best stepms
for ((round = 1; round <= REPEAT; ++round)); do
  for i in "${!names[@]}"; do
    t=${threads[$i]}
    if [[ ${names[$i]} == ember ]]; then
      # Ember's own thread settings apply (its threads are not OpenMP's);
      # the count is fixed with EMBER_NUM_THREADS.
      line=$(env EMBER_NUM_THREADS=$t ${commands[$i]} 2>&1)
    else
      line=$(env OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t \
               ${commands[$i]} 2>&1)
    fi
    rc=$?
    seconds=$(grep -o 'epoch_s=[0-9.]*' <<<"$line" | head -1 | cut -d= -f2)
    if [[ $rc -ne 0 || -z $seconds ]]; then
      echo "skip ${names[$i]} (threads=$t): it failed (exit $rc):"
      sed 's/^/  | /' <<<"$line" | tail -5
      best[$i]=failed
      continue
    fi
    shown=${line##*$'\n'}
    # quickstart_pytorch.py says "pytorch" whichever torch runs it.
    [[ ${names[$i]} == pytorch2/* ]] && shown="pytorch2${shown#pytorch}"
    echo "round $round: $shown"
    old=${best[$i]:-}
    if [[ -z $old ]] || awk -v a="$seconds" -v b="$old" 'BEGIN { exit !(a < b) }'; then
      best[$i]=$seconds
      stepms[$i]=$(grep -o 'step_ms=[0-9.]*' <<<"$line" | head -1 | cut -d= -f2)
    fi
  done
done

# Each contender's best over its thread counts.
declare -A fastest
for i in "${!names[@]}"; do
  s=${best[$i]}
  [[ $s == failed ]] && continue
  old=${fastest[${names[$i]}]:-}
  if [[ -z $old ]] || awk -v a="$s" -v b="$old" 'BEGIN { exit !(a < b) }'; then
    fastest[${names[$i]}]=$s
  fi
done
emberTime=${fastest[ember]:-}
emberStep=
for i in "${!names[@]}"; do
  [[ ${names[$i]} == ember && ${best[$i]} == "$emberTime" ]] && emberStep=${stepms[$i]:-}
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-20s %7s %9s %14s\n' contender threads epoch_s 'peer / ember'
for i in "${!names[@]}"; do
  s=${best[$i]}
  [[ $s == failed ]] && continue
  if [[ -n $emberTime ]]; then
    ratio=$(awk -v p="$s" -v e="$emberTime" 'BEGIN { printf "%.2f", p / e }')
  else
    ratio=n/a
  fi
  printf '%-20s %7s %9s %14s\n' "${names[$i]}" "${threads[$i]}" "$s" "$ratio"
done

# Compile cost: Ember's first training step in a process with an empty
# on-disk cache (it compiles the step's graph) and in the next process
# (it loads it).
if [[ -x $BIN/quickstart_ember ]]; then
  cacheDir=$(mktemp -d)
  for run in cold warm; do
    line=$(env EMBER_CACHE_DIR="$cacheDir" $BIN/quickstart_ember --data "$DATA" --warmup 1 2>&1)
    first=$(grep -o 'first_step_s=[0-9.]*' <<<"$line" | cut -d= -f2)
    printf -v "first_$run" '%s' "${first:-failed}"
  done
  rm -rf "$cacheDir"
fi

# Inference: samples/s of the model's forward pass at batch 64 and 1024,
# Ember and LibTorch at 1 and 2 threads; each at its best.
declare -A infer
for batch in 64 1024; do
  for t in 1 2; do
    if [[ -x $BIN/quickstart_ember ]]; then
      v=$(env EMBER_NUM_THREADS=$t $BIN/quickstart_ember --infer $batch 2>&1 | grep -o 'samples_per_s=[0-9]*' | cut -d= -f2)
      [[ -n $v ]] && (( v > ${infer[ember,$batch]:-0} )) && infer[ember,$batch]=$v
    fi
    if [[ -x $BIN/quickstart_libtorch ]]; then
      v=$(env OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t \
            $BIN/quickstart_libtorch --infer $batch --threads $t 2>&1 | grep -o 'samples_per_s=[0-9]*' | cut -d= -f2)
      [[ -n $v ]] && (( v > ${infer[libtorch,$batch]:-0} )) && infer[libtorch,$batch]=$v
    fi
    if [[ -n ${torch2Lib:-} ]]; then
      v=$(env LD_LIBRARY_PATH="$torch2Lib" OMP_NUM_THREADS=$t "$TORCH2/bin/python" \
            "$HERE/inference_onnxruntime.py" --batch $batch --threads $t 2>&1 | grep -o 'samples_per_s=[0-9]*' | cut -d= -f2)
      [[ -n $v ]] && (( v > ${infer[onnxruntime,$batch]:-0} )) && infer[onnxruntime,$batch]=$v
    fi
  done
  echo "inference batch $batch (samples/s, best of 1 and 2 threads): ember ${infer[ember,$batch]:-n/a}, libtorch ${infer[libtorch,$batch]:-n/a}, onnxruntime ${infer[onnxruntime,$batch]:-n/a}"
done

# A shared machine: Ember's epoch at its default thread count, quiet, then
# with a busy loop on every core for the whole epoch.
if [[ ${BUSY:-1} != 0 && -x $BIN/quickstart_ember ]]; then
  epochOf() { grep -o 'epoch_s=[0-9.]*' | head -1 | cut -d= -f2; }
  busyQuiet=$($BIN/quickstart_ember --data "$DATA" --warmup "$WARMUP" 2>&1 | epochOf)
  spinners=()
  for ((c = 0; c < $(nproc); ++c)); do
    (while :; do :; done) &
    spinners+=($!)
  done
  busyLoaded=$($BIN/quickstart_ember --data "$DATA" --warmup "$WARMUP" 2>&1 | epochOf)
  kill "${spinners[@]}" 2>/dev/null
  wait "${spinners[@]}" 2>/dev/null
  echo "ember epoch at its default thread count: quiet ${busyQuiet:-failed} s, with $(nproc) busy loops ${busyLoaded:-failed} s"
fi

# The CPU performance issue's targets, each contender at its best setting.
if [[ -n $emberTime ]]; then
  echo
  for target in "libtorch 2" "pytorch2/dataloader 2" "pytorch2/batched 1.5"; do
    read -r peer goal <<<"$target"
    if [[ -z ${fastest[$peer]:-} ]]; then
      echo "target: $peer at its best / ember at its best (goal >= $goal): not measured ($peer did not run)"
      continue
    fi
    awk -v p="${fastest[$peer]}" -v e="$emberTime" -v n="$peer" -v g="$goal" \
      'BEGIN { r = p / e; printf "target: %s at its best / ember at its best = %.2f (goal >= %s): %s\n", n, r, g, (r >= g ? "met" : "NOT met") }'
  done
fi
for batch in 64 1024; do
  e=${infer[ember,$batch]:-}
  for peer in libtorch onnxruntime; do
    p=${infer[$peer,$batch]:-}
    if [[ -z $e || -z $p ]]; then
      echo "target: inference batch $batch, ember / $peer (goal >= 1.3): not measured"
      continue
    fi
    awk -v e="$e" -v p="$p" -v b="$batch" -v n="$peer" 'BEGIN {
      r = e / p; printf "target: inference batch %s, ember %d / %s %d samples/s (each at its best) = %.2f (goal >= 1.3): %s\n", b, e, n, p, r, (r >= 1.3 ? "met" : "NOT met") }'
  done
done
if [[ -n ${busyQuiet:-} && -n ${busyLoaded:-} ]]; then
  awk -v q="$busyQuiet" -v b="$busyLoaded" -v n="$(nproc)" 'BEGIN {
    r = b / q; printf "target: ember epoch with %d busy loops / quiet = %.2f (goal <= 2.5): %s\n", n, r, (r <= 2.5 ? "met" : "NOT met") }'
fi
if [[ -n $emberStep ]]; then
  echo "ember training step (its best epoch, without batching): $emberStep ms"
fi
if [[ -n ${first_cold:-} ]]; then
  echo
  awk -v c="$first_cold" -v w="$first_warm" 'BEGIN {
    printf "ember first step, empty on-disk cache (compiles): %s s (goal < 1.5): %s\n", c, (c + 0 < 1.5 && c != "failed" ? "met" : "NOT met")
    printf "ember first step, next process (loads):           %s s (goal < 0.1): %s\n", w, (w + 0 < 0.1 && w != "failed" ? "met" : "NOT met")
  }'
fi
