#===- blas.sh - The peers' BLAS: which, and on which kernels -------------===#
#
# Part of Ember's benchmarks. Sourced by run-kernels.sh, run-quickstart.sh
# and run-cnn.sh: OpenBLAS is the peers' BLAS (bench_kernels' sgemm, and
# Debian's LibTorch's products and convolutions), and it picks its kernels
# by CPU model. OpenBLAS 0.3.21 (Debian 12) does not know CPUs newer than
# it (Emerald Rapids, family 6 model 207, for one) and falls back to its
# Prescott kernels, SSE3: 5 to 10 times slower than its AVX-512 ones on
# the same machine, which would make every ratio against it meaningless.
# blas_setup asks OpenBLAS which kernels it chose and, where that is older
# than the machine's AVX2, sets OPENBLAS_CORETYPE to the newest kernels the
# machine runs (SkylakeX with AVX-512, Haswell with AVX2). An
# OPENBLAS_CORETYPE already set (EMBER_CPU=haswell runs set Haswell) is
# kept. blas_describe prints the "blas:" line every script shows.
#
#===------------------------------------------------------------------------===#

BLAS_LIB=/usr/lib/x86_64-linux-gnu/libblas.so.3
# The library libblas.so.3 is (Debian's alternatives): OpenBLAS, or the
# reference BLAS under .../blas/.
BLAS_PATH=$(readlink -f "$BLAS_LIB" 2>/dev/null) || BLAS_PATH=
BLAS_NOTE=

# OpenBLAS's name for the kernels it runs with the current environment;
# empty when libblas.so.3 is not OpenBLAS.
blas_core() {
  python3 - "$BLAS_LIB" 2>/dev/null <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
name = lib.openblas_get_corename
name.restype = ctypes.c_char_p
print(name().decode())
PY
}

blas_setup() {
  [[ -n ${OPENBLAS_CORETYPE:-} ]] && return 0
  local core
  core=$(blas_core) || return 0
  [[ -z $core ]] && return 0
  case $core in
    Haswell|Zen|SkylakeX|Cooperlake|SapphireRapids) return 0 ;;
  esac
  local want=
  if grep -qw avx512f /proc/cpuinfo; then
    want=SkylakeX
  elif grep -qw avx2 /proc/cpuinfo; then
    want=Haswell
  fi
  [[ -z $want ]] && return 0
  export OPENBLAS_CORETYPE=$want
  BLAS_NOTE="OpenBLAS does not know this CPU and chose its $core kernels: OPENBLAS_CORETYPE=$want set"
}

# The "blas:" line: the library, the kernels OpenBLAS runs, and why.
blas_describe() {
  local core
  core=$(blas_core) || core=
  echo "blas:    ${BLAS_PATH:-unknown}${core:+ (OpenBLAS kernels: $core)}${OPENBLAS_CORETYPE:+, OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE}${1:+ $1}"
  [[ -n $BLAS_NOTE ]] && echo "blas:    $BLAS_NOTE"
  return 0
}
