#!/usr/bin/env bash
# Checks the claims in README.md and docs/ that a script can check against
# the code and the built tools. Each mismatch is one line naming the doc,
# the line and what differs; the exit code is 1 if there is any.
#
#   check-docs.sh SOURCE_DIR EMBER_OPT GRAPHC
#
# 1. Pass pipelines. A pipeline's passes are listed after a marker line
#      <!-- pipeline: NAME -->
#    as the backticked spans of the lines that follow, up to the first blank
#    line (a span equal to NAME or --NAME is the label, not a pass). In
#    docs/ember-opt.md, a table row whose second cell is `--NAME` lists them
#    in its fourth cell. Each listed pass is expanded by
#    `ember-opt --pass-pipeline='builtin.module(PASS)' --dump-pass-pipeline`
#    (so options are compared with their defaults filled in, and a nested
#    pipeline such as buffer-deallocation-pipeline is expanded) and the
#    result must equal what `--dump-pass-pipeline` prints for NAME. A
#    sentence "`--NAME` expands to N passes" must give the count ember-opt
#    prints. Every pipeline ember-opt registers must have a marked list.
# 2. Ember's own passes. The lines `Conversion`, `Transforms` and
#    `DialectTransforms` under the layer diagram of docs/architecture.md list
#    exactly the passes of that library's Passes.td, and ember-opt
#    registers each.
# 3. Environment variables. Every EMBER_* name in README.md and docs/
#    occurs in the code (sources, CMake files, scripts), and every EMBER_*
#    variable the code reads with getenv is named in README.md or docs/.
# 4. graphc stages. Every `--emit=STAGE` in README.md and docs/, and every
#    row of docs/graphc.md's stage table, is a stage graphc accepts, for the
#    targets the table's row gives; every stage `graphc --help` lists is in
#    docs/graphc.md.
# 5. Paths. Every repository path (compiler/..., runtime/..., tools/...,
#    and include paths ember/....h) and every relative Markdown link, with
#    its #anchor, in README.md and docs/ exists.
# 6. Tests. Every GoogleTest case (`Suite.Name`) and ctest name
#    (`layering.x`, `unit.x`, `docs.x`, ...) the docs name exists in test/.
set -u -o pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 SOURCE_DIR EMBER_OPT GRAPHC" >&2
  exit 2
fi
src=$1
opt=$2
graphc=$3
for f in "$opt" "$graphc"; do
  if [ ! -x "$f" ]; then
    echo "check-docs: $f is not an executable" >&2
    exit 2
  fi
done
cd "$src" || exit 2
# Tools that do not run would make every claim look false: say so once.
if ! "$opt" --version >/dev/null 2>&1 || ! "$graphc" --help >/dev/null 2>&1; then
  echo "check-docs: cannot run $opt or $graphc" >&2
  "$opt" --version 2>&1 >/dev/null | head -3 >&2
  "$graphc" --help 2>&1 >/dev/null | head -3 >&2
  exit 2
fi

# The pipelines must not depend on this machine: without a usable CUDA
# toolkit, gpu-module-to-binary gets no toolkit= option.
export EMBER_CUDA_PATH=/nonexistent/ember-check-docs

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
empty=$tmp/empty.mlir
echo 'module {}' >"$empty"

failures=0
tab=$'\t'
fail() {
  echo "$1"
  failures=$((failures + 1))
}

docs=(README.md docs/*.md)

#===--------------------------------------------------------------------===#
# 1. Pass pipelines
#===--------------------------------------------------------------------===#

# The leaf passes of a --dump-pass-pipeline listing, one a line, each
# prefixed with the op names it is nested under ("func.func/cse").
flatten() {
  awk '
    /^Pass Manager with/ { next }
    {
      line = $0
      sub(/^[ \t]+/, "", line); sub(/[ \t]+$/, "", line); sub(/,$/, "", line)
      gsub(/  +/, " ", line); gsub(/\{ /, "{", line); gsub(/ \}/, "}", line)
      if (line == "") next
      if (line ~ /\($/) { stack[++depth] = substr(line, 1, length(line) - 1); next }
      if (line ~ /^\)/) { depth--; next }
      path = ""
      for (i = 2; i <= depth; ++i) path = path stack[i] "/"
      print path line
    }'
}

# expand PIPELINE-TEXT: the flattened passes of builtin.module(TEXT), or
# ember-opt's error (and status 1).
expand() {
  local out
  if ! out=$("$opt" "$empty" -o /dev/null --dump-pass-pipeline \
      "--pass-pipeline=builtin.module($1)" 2>&1); then
    printf '%s\n' "$out" | grep -m1 -v '^\^\?$' | sed 's/^<unknown>:0: //'
    return 1
  fi
  printf '%s\n' "$out" | flatten
}

# The pipeline claims: lines "DOC<TAB>LINE<TAB>PIPELINE<TAB>PASS".
claims=$tmp/claims
: >"$claims"
for doc in "${docs[@]}"; do
  awk -v doc="$doc" '
    function spans(text, line,   s) {
      while (match(text, /`[^`]+`/)) {
        s = substr(text, RSTART + 1, RLENGTH - 2)
        text = substr(text, RSTART + RLENGTH)
        if (s == name || s == "--" name) continue
        printf "%s\t%d\t%s\t%s\n", doc, line, name, s
      }
    }
    /^```/ { fenced = !fenced }
    /^<!-- pipeline: [a-z0-9-]+ -->[ \t]*$/ {
      name = $3; inblock = 1; printf "%s\t%d\t%s\t\n", doc, FNR, name; next
    }
    inblock && /^[ \t]*$/ { inblock = 0 }
    inblock { spans($0, FNR); next }
    # A row of ember-opt.md'"'"'s pipeline table.
    !fenced && doc ~ /ember-opt\.md$/ &&
        /^\|[^|]*\|[ \t]*`--ember-[a-z0-9-]+-pipeline`[ \t]*\|/ {
      n = split($0, cell, "|")
      name = cell[3]; gsub(/[ \t`]/, "", name); sub(/^--/, "", name)
      if (cell[5] ~ /`/) { printf "%s\t%d\t%s\t\n", doc, FNR, name; spans(cell[5], FNR) }
      name = ""
    }' "$doc" >>"$claims"
done

# Every pipeline ember-opt registers (--help lists them with the passes).
registered=$("$opt" --help | sed -n 's/^ *--\(ember-[a-z0-9-]*-pipeline\)\b.*/\1/p' | sort -u)
if [ -z "$registered" ]; then
  fail "check-docs: '$opt --help' lists no ember-*-pipeline"
fi
# Composite pipelines are listed by their parts.
composite="ember-cpu-pipeline ember-gpu-pipeline"

for p in $registered; do
  case " $composite " in *" $p "*) continue ;; esac
  if ! awk -F'\t' -v p="$p" '$3 == p && $4 == "" { found = 1 } END { exit !found }' "$claims"; then
    fail "docs/architecture.md: no '<!-- pipeline: $p -->' list for the pipeline $p, which ember-opt registers"
  fi
done

# Compare each listed block with ember-opt's expansion of the pipeline.
awk -F'\t' '$4 == "" { print $1 "\t" $2 "\t" $3 }' "$claims" |
while IFS=$'\t' read -r doc line name; do
  if ! grep -qx -- "$name" <<<"$registered"; then
    echo "$doc:$line: pipeline '$name' is not registered by ember-opt"
    continue
  fi
  truth=$tmp/truth
  expand "$name" >"$truth" || { echo "$doc:$line: ember-opt cannot expand $name"; continue; }
  listed=$tmp/listed
  : >"$listed"
  bad=0
  # The passes of this block: the claims after the block's header line,
  # up to the next header.
  awk -F'\t' -v d="$doc" -v l="$line" -v n="$name" '
    $1 == d && $4 == "" { inside = ($2 == l && $3 == n); next }
    inside && $1 == d { print $2 "\t" $4 }' "$claims" >"$tmp/passes"
  while IFS=$'\t' read -r pline pass; do
    if ! exp=$(expand "$pass"); then
      echo "$doc:$pline: '$pass' in the list of $name is not a pass ember-opt knows: $exp"
      bad=1
      continue
    fi
    printf '%s\n' "$exp" | sed "s|^|$pline\t|" >>"$listed"
  done <"$tmp/passes"
  [ "$bad" = 0 ] || continue
  if ! cut -f2- "$listed" | cmp -s - "$truth"; then
    # Name the first pass that differs, and where the list says otherwise.
    i=0
    mapfile -t want <"$truth"
    mapfile -t have <"$listed"
    while [ $i -lt ${#want[@]} ] && [ $i -lt ${#have[@]} ] &&
          [ "${have[$i]#*$tab}" = "${want[$i]}" ]; do
      i=$((i + 1))
    done
    if [ $i -lt ${#have[@]} ]; then
      at="${have[$i]%%$tab*}"
      found="${have[$i]#*$tab}"
    else
      at=$line
      found="(end of the list)"
    fi
    expected="${want[$i]:-(end of the pipeline)}"
    echo "$doc:$at: the list of $name differs from ember-opt's at pass $((i + 1)): the doc has '$found', ember-opt runs '$expected' (ember-opt --$name --dump-pass-pipeline)"
  fi
done >"$tmp/out1"
while IFS= read -r l; do fail "$l"; done <"$tmp/out1"

# "`--NAME` expands to N passes"
for doc in "${docs[@]}"; do
  grep -n -o '`--ember-[a-z0-9-]*-pipeline` expands to [0-9]* passes' "$doc" |
  while IFS= read -r hit; do
    line=${hit%%:*}
    name=$(printf '%s' "$hit" | sed 's/^[0-9]*:`--\([^`]*\)`.*/\1/')
    said=$(printf '%s' "$hit" | sed 's/.* expands to \([0-9]*\) passes/\1/')
    real=$("$opt" "$empty" -o /dev/null --dump-pass-pipeline "--$name" 2>&1 |
           sed -n 's/^Pass Manager with \([0-9]*\) passes:.*/\1/p' | head -1)
    if [ "$said" != "$real" ]; then
      echo "$doc:$line: says --$name expands to $said passes; ember-opt --dump-pass-pipeline says ${real:-nothing}"
    fi
  done
done >"$tmp/out1b"
while IFS= read -r l; do fail "$l"; done <"$tmp/out1b"

#===--------------------------------------------------------------------===#
# 2. Ember's own passes, by library
#===--------------------------------------------------------------------===#

arch=docs/architecture.md
declare -A tdfile=(
  [Conversion]=compiler/include/ember/Conversion/Passes.td
  [Transforms]=compiler/include/ember/Transforms/Passes.td
  [DialectTransforms]=dialects/ember/include/ember/Dialect/Ember/Transforms/Passes.td
)
optHelp=$("$opt" --help)
for lib in Conversion Transforms DialectTransforms; do
  # The group: the line " LIB  names..." and its indented continuations.
  listedLine=$(grep -n "^ $lib  *[a-z]" "$arch" | head -1 | cut -d: -f1)
  if [ -z "$listedLine" ]; then
    fail "$arch: no ' $lib  <passes>' line under the layer diagram"
    continue
  fi
  listed=$(awk -v from="$listedLine" -v lib="$lib" '
      FNR < from { next }
      FNR == from { sub("^ " lib " *", ""); print; next }
      /^                   [a-z]/ { print; next }
      { exit }' "$arch" | tr ', ' '\n\n' | grep -v '^$' | sort)
  defined=$(sed -n 's/.*: *Pass<"\([a-z0-9-]*\)".*/\1/p' "${tdfile[$lib]}" | sort)
  for p in $(comm -23 <(printf '%s\n' "$listed") <(printf '%s\n' "$defined")); do
    fail "$arch:$listedLine: lists $p under $lib, but ${tdfile[$lib]} defines no such pass"
  done
  for p in $(comm -13 <(printf '%s\n' "$listed") <(printf '%s\n' "$defined")); do
    fail "$arch:$listedLine: the $lib line omits $p (${tdfile[$lib]})"
  done
  for p in $defined; do
    if ! grep -q -- "--$p\b" <<<"$optHelp"; then
      fail "${tdfile[$lib]}: ember-opt --help does not list the pass $p"
    fi
  done
done

#===--------------------------------------------------------------------===#
# 3. Environment variables
#===--------------------------------------------------------------------===#

codeDirs=(frontend runtime compiler tools dialects test examples bench scripts cmake CMakeLists.txt)
for doc in "${docs[@]}"; do
  grep -n -o 'EMBER_[A-Z0-9_]*[A-Z0-9]' "$doc" | sort -u -t: -k2,2 |
  while IFS=: read -r line var; do
    if ! grep -rqw --exclude-dir=build -- "$var" "${codeDirs[@]}" .ci 2>/dev/null; then
      echo "$doc:$line: names $var, which nothing in the code uses"
    fi
  done
done >"$tmp/out3"
while IFS= read -r l; do fail "$l"; done <"$tmp/out3"

grep -rnoE --include='*.cpp' --include='*.h' --include='*.c' \
    'getenv\("EMBER_[A-Z0-9_]+"\)' frontend runtime compiler tools dialects test |
while IFS=: read -r file line call; do
  var=$(printf '%s' "$call" | sed 's/getenv("\(.*\)")/\1/')
  if ! grep -qw -- "$var" "${docs[@]}"; then
    echo "$file:$line: reads $var, which neither README.md nor docs/ documents"
  fi
done | sort -u >"$tmp/out3b"
while IFS= read -r l; do fail "$l"; done <"$tmp/out3b"

#===--------------------------------------------------------------------===#
# 4. graphc stages
#===--------------------------------------------------------------------===#

# Whether graphc takes --emit=STAGE for --target=TARGET: with an input that
# does not exist, an accepted stage gets as far as reading it (exit 2; an
# .onnx name, which every stage, onnx-import included, takes).
accepts() {
  "$graphc" "$tmp/no-such-input.onnx" "--target=$2" "--emit=$1" -o "$tmp/out" \
      >/dev/null 2>&1
  [ $? -eq 2 ]
}

helpStages=$("$graphc" --help | awk '/^stages \(--emit\):/ { on = 1; next }
    on && /^[^ ]/ { exit } on && /^  [a-z]/ { print $1 }')
if [ -z "$helpStages" ]; then
  fail "check-docs: 'graphc --help' lists no stages"
fi
for doc in "${docs[@]}"; do
  grep -n -o -- '--emit=[a-zA-Z0-9_-]*' "$doc" | while IFS=: read -r line emit; do
    stage=${emit#--emit=}
    case $stage in "" | STAGE) continue ;; esac
    if ! accepts "$stage" cpu && ! accepts "$stage" cuda; then
      echo "$doc:$line: graphc does not accept --emit=$stage"
    fi
  done
done >"$tmp/out4"
while IFS= read -r l; do fail "$l"; done <"$tmp/out4"

# Every ONNX op graphc reads (--help lists the importer's op table) is
# documented, with its limits, in docs/graphc.md.
helpOps=$("$graphc" --help | awk '/^these ops:$/ { on = 1; next }
    on && /^[^ ]/ { exit } on { gsub(/[,.]/, ""); for (i = 1; i <= NF; i++) print $i }')
if [ -z "$helpOps" ]; then
  fail "check-docs: 'graphc --help' lists no ONNX ops"
fi
for op in $helpOps; do
  if ! grep -q -w -- "$op" docs/graphc.md; then
    fail "docs/graphc.md: the ONNX op $op (graphc --help) is not documented"
  fi
done

# The stage table: | `stage` [(default)] | cpu|cuda|both | what |
awk '/^\| `[a-z-]+`( \(default\))? \| (cpu|cuda|both) \|/ {
       split($0, cell, "|"); s = cell[2]; t = cell[3]
       gsub(/[ `]/, "", t); sub(/\(default\)/, "", s); gsub(/[ `]/, "", s)
       print FNR "\t" s "\t" t }' docs/graphc.md |
while IFS=$'\t' read -r line stage target; do
  for t in cpu cuda; do
    want=no
    { [ "$target" = both ] || [ "$target" = "$t" ]; } && want=yes
    got=no
    accepts "$stage" "$t" && got=yes
    if [ "$want" != "$got" ]; then
      if [ "$want" = yes ]; then
        echo "docs/graphc.md:$line: graphc --target=$t does not accept --emit=$stage"
      else
        echo "docs/graphc.md:$line: graphc --target=$t accepts --emit=$stage, but the table says $target"
      fi
    fi
  done
done >"$tmp/out4b"
while IFS= read -r l; do fail "$l"; done <"$tmp/out4b"

for stage in $helpStages; do
  if ! grep -q -e "\`$stage\`" -e "--emit=$stage\b" docs/graphc.md; then
    fail "docs/graphc.md: graphc --help lists the stage $stage, which the page does not name"
  fi
done

#===--------------------------------------------------------------------===#
# 5. Paths and links
#===--------------------------------------------------------------------===#

# exists PATH: the path, with {a,b} alternatives, globs, and placeholders
# (NAME, N, <...>) standing for any name, names something in the tree.
exists() {
  local p=$1 alt
  if [[ $p =~ ^(.*)\{([^{}]*)\}(.*)$ ]]; then
    local pre=${BASH_REMATCH[1]} alts=${BASH_REMATCH[2]} post=${BASH_REMATCH[3]}
    IFS=, read -r -a list <<<"$alts"
    for alt in "${list[@]}"; do
      exists "$pre$alt$post" || return 1
    done
    return 0
  fi
  [ -e "$p" ] && return 0
  # A program built from a source of the same name (bench/gpu_step).
  [[ ${p##*/} != *.* ]] && compgen -G "$p.*" >/dev/null && return 0
  local pattern
  pattern=$(printf '%s' "$p" | sed -e 's/<[^>]*>/*/g' -e 's/NAME/*/g' -e 's/\bN\b/*/g')
  compgen -G "$pattern" >/dev/null
}

# GitHub's anchor for a heading.
slug() {
  printf '%s' "$1" | tr 'A-Z' 'a-z' | sed -e 's/[^a-z0-9 _-]//g' -e 's/ /-/g'
}
anchors() {
  awk '/^```/ { f = !f } !f && /^#+ / { sub(/^#+ +/, ""); print }' "$1" |
  while IFS= read -r h; do slug "$h"; echo; done
}

top='(compiler|frontend|runtime|tools|dialects|test|scripts|bench|examples|docs|cmake|\.ci)'
for doc in "${docs[@]}"; do
  dir=$(dirname "$doc")
  # Repository paths.
  grep -n -o -E "(^|[^A-Za-z0-9_./-])$top/[A-Za-z0-9_./{},*<>-]*" "$doc" |
  while IFS=: read -r line path; do
    path=$(printf '%s' "$path" | sed -E 's/^[^A-Za-z0-9_.]//; s/[.,:;]+$//')
    exists "$path" || echo "$doc:$line: $path does not exist"
  done
  # Include paths: ember/....h under one of the include folders.
  grep -n -o -E '(^|[^A-Za-z0-9_./-])ember/[A-Za-z0-9_/*]+\.h' "$doc" |
  while IFS=: read -r line path; do
    path=$(printf '%s' "$path" | sed -E 's/^[^A-Za-z0-9_.]//')
    found=no
    for inc in frontend/include compiler/include runtime/include dialects/ember/include; do
      exists "$inc/$path" && { found=yes; break; }
    done
    [ $found = yes ] || echo "$doc:$line: no header $path in any include folder"
  done
  # Relative links, with their anchors.
  grep -n -o -E '\]\([^)# ]*(#[^) ]*)?\)' "$doc" |
  while IFS=: read -r line link; do
    target=${link#](}
    target=${target%)}
    case $target in http:* | https:* | mailto:*) continue ;; esac
    file=${target%%#*}
    anchor=
    [[ $target == *#* ]] && anchor=${target#*#}
    if [ -n "$file" ]; then
      file=$dir/$file
      if [ ! -e "$file" ]; then
        echo "$doc:$line: the link target $file does not exist"
        continue
      fi
    else
      file=$doc
    fi
    if [ -n "$anchor" ] && [[ $file == *.md ]] &&
       ! grep -qxF -- "$anchor" <<<"$(anchors "$file")"; then
      echo "$doc:$line: $file has no heading for the anchor #$anchor"
    fi
  done
done >"$tmp/out5"
while IFS= read -r l; do fail "$l"; done <"$tmp/out5"

#===--------------------------------------------------------------------===#
# 6. Tests named in the docs
#===--------------------------------------------------------------------===#

# GoogleTest cases (`Suite.Name`, `Suite.Prefix*`) and ctest names.
for doc in "${docs[@]}"; do
  grep -n -o -E '`[A-Z][A-Za-z0-9]*Test\.[A-Za-z0-9_*]+`' "$doc" |
  while IFS=: read -r line name; do
    name=${name//\`/}
    suite=${name%%.*}
    tcase=${name#*.}
    casere=${tcase//\*/[A-Za-z0-9_]*}
    if ! grep -rqE "TEST(_F|_P)?\($suite, *$casere\)" test; then
      echo "$doc:$line: no test $name in test/"
    fi
  done
  grep -n -o -E '`(layering|unit|docs|install|example|deps)\.[a-z0-9.-]+`' "$doc" |
  while IFS=: read -r line name; do
    name=${name//\`/}
    if ! grep -rqE "add_test\(NAME +$name( |\)|$)" --include=CMakeLists.txt test; then
      echo "$doc:$line: no ctest named $name in test/"
    fi
  done
done >"$tmp/out6"
while IFS= read -r l; do fail "$l"; done <"$tmp/out6"

if [ "$failures" -gt 0 ]; then
  echo "check-docs: $failures claim(s) in README.md and docs/ do not match the code"
  exit 1
fi
echo "check-docs: the checked claims in README.md and docs/ match the code"
