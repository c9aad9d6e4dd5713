#!/usr/bin/env bash
# Runs llama.cpp's own llama-bench and `jsl-med bench` on the same synthetic GGUF, with the same threads and
# repetitions, and prints pp/tg tokens/s of both and the ratio jsl-med / llama-bench.
#
# llama-bench is built once from the llama.cpp source that node-llama-cpp bundles (the same release as the
# binaries jsl-med runs), OUTSIDE the repository. The first build takes 10-20 minutes on 2 cores.
#
# Usage: scripts/bench-vs-llama-bench.sh [SHAPE] [QUANT]        (default: 0.5b q4; run `npm run build` first)
# Environment: THREADS (default: physical cores, at most 2), REPS (default 5),
#              LLAMA_CPP_SRC (default /tmp/llama.cpp; cloned from node-llama-cpp's git bundle when missing),
#              LLAMA_BENCH_BUILD (default /tmp/llama-bench-build), JSL_MED_CACHE_DIR (where the synthetic model goes).
set -euo pipefail

shape="${1:-0.5b}"
quant="${2:-q4}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${LLAMA_CPP_SRC:-/tmp/llama.cpp}"
build="${LLAMA_BENCH_BUILD:-/tmp/llama-bench-build}"
reps="${REPS:-5}"
cores="$(node -e "import('systeminformation').then(s => s.default.cpu()).then(c => console.log(c.physicalCores || require('os').availableParallelism()))" 2>/dev/null || nproc)"
threads="${THREADS:-$(( cores < 2 ? cores : 2 ))}"
if (( threads > cores )); then
  echo "THREADS=$threads is more than the $cores physical cores: the figures would be meaningless" >&2
  exit 2
fi

case "$build/" in "$root"/*) echo "LLAMA_BENCH_BUILD must be outside the repository" >&2; exit 2 ;; esac

if [[ ! -f "$root/dist/commands/bench.js" ]]; then
  echo "dist/ is missing: run npm run build first" >&2
  exit 2
fi

llama_bench="$build/bin/llama-bench"
if [[ ! -x "$llama_bench" ]]; then
  if [[ ! -f "$src/CMakeLists.txt" ]]; then
    echo "cloning llama.cpp from node-llama-cpp's bundle into $src" >&2
    git clone --quiet "$root/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$src" >&2
  fi
  echo "building llama-bench in $build (10-20 minutes on 2 cores)" >&2
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >&2
  cmake --build "$build" --target llama-bench -j2 >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "jsl-med bench --synthetic $shape --quant $quant -r $reps --threads $threads" >&2
node "$root/bin/run.js" bench --synthetic "$shape" --quant "$quant" -r "$reps" --threads "$threads" --quiet > "$work/jsl-med.ndjson"
model="$(node -e "console.log(JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8').split('\n')[0]).model.path)" "$work/jsl-med.ndjson")"

echo "llama-bench -m $model -t $threads -p 512 -n 128 -r $reps" >&2
"$llama_bench" -m "$model" -t "$threads" -p 512 -n 128 -r "$reps" -o json > "$work/llama-bench.json" 2> "$work/llama-bench.log" || {
  cat "$work/llama-bench.log" >&2
  exit 7
}

node - "$work/jsl-med.ndjson" "$work/llama-bench.json" <<'EOF'
const {readFileSync} = require('node:fs')
const [jslFile, llamaFile] = process.argv.slice(2)
const jsl = JSON.parse(readFileSync(jslFile, 'utf8').split('\n')[0])
const llama = JSON.parse(readFileSync(llamaFile, 'utf8'))
const test = (prompt, gen) => llama.find((t) => t.n_prompt === prompt && t.n_gen === gen)
const rows = [
  ['pp512', test(512, 0), jsl.speed.pp.tokensPerSecond],
  ['tg128', test(0, 128), jsl.speed.tg.tokensPerSecond],
]
const first = llama[0]
console.log(`model: ${jsl.model.path} (${jsl.model.fileType}, ${(jsl.model.sizeBytes / 2 ** 20).toFixed(1)} MiB, sha256 ${jsl.model.sha256.slice(0, 12)}…)`)
console.log(`cpu: ${jsl.hardware.cpu.model}, threads ${jsl.hardware.threads}; llama-bench build ${first.build_commit} (${first.build_number}), flash_attn ${first.flash_attn}; jsl-med: node-llama-cpp ${jsl.software.nodeLlamaCpp}, llama.cpp ${jsl.software.llamaCpp.release}, flash attention ${jsl.settings.flashAttention}`)
console.log('')
console.log('| test  | llama-bench t/s     | jsl-med t/s         | jsl-med / llama-bench |')
console.log('| ----- | ------------------- | ------------------- | --------------------- |')
for (const [name, reference, ours] of rows) {
  const fmt = (mean, sd) => `${mean.toFixed(2)} ± ${sd.toFixed(2)}`.padEnd(19)
  console.log(`| ${name} | ${fmt(reference.avg_ts, reference.stddev_ts)} | ${fmt(ours.mean, ours.sd)} | ${(ours.mean / reference.avg_ts).toFixed(3).padEnd(21)} |`)
}
EOF
