#!/usr/bin/env bash
# Runs tokenizer_bench and, on the very same corpora, npm tiktoken@1.0.22 (WASM build of OpenAI's
# Rust tiktoken) and gpt-tokenizer@4.0.0, installed with this machine's npm into a temporary folder
# that is removed afterwards. Prints both sides' figures and the speed ratios.
#   bench/tokenizer_bench/compare_npm.sh [path/to/tokenizer_bench] [MiB per corpus] [reps]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench="${1:-${BUILD_DIR:-build}/bench/tokenizer_bench/tokenizer_bench}"
mb="${2:-10}"
reps="${3:-3}"
[[ -x "$bench" ]] || { echo "tokenizer_bench not found at $bench (build with -DVOXLINE_BUILD_BENCH=ON)" >&2; exit 2; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are required" >&2; exit 2; }

tmp="$(mktemp -d -t voxline-tokbench.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/npm" "$tmp/corpus"
(cd "$tmp/npm" && npm init -y >/dev/null 2>&1 &&
  npm install --no-audit --no-fund --loglevel=error tiktoken@1.0.22 gpt-tokenizer@4.0.0 >/dev/null)
cp "$here/npm_side.mjs" "$tmp/npm/"

"$bench" --mb "$mb" --reps "$reps" --write-corpus "$tmp/corpus" --json "$tmp/voxline.json"
echo
(cd "$tmp/npm" && node npm_side.mjs "$tmp/corpus" "$reps") > "$tmp/npm.json"

node - "$tmp/voxline.json" "$tmp/npm.json" <<'JS'
const fs = require('fs');
const vx = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const npm = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
console.log(`npm (node ${process.version}) load: ` +
  Object.entries(npm.load_ms).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ') +
  `; process RSS at end ${npm.rss_mb.toFixed(0)} MB`);
console.log(`voxline load (wall / CPU): o200k_base ${vx.load_ms.o200k_base.toFixed(1)} / ${vx.load_cpu_ms.o200k_base.toFixed(1)} ms, cl100k_base ` +
  `${vx.load_ms.cl100k_base.toFixed(1)} / ${vx.load_cpu_ms.cl100k_base.toFixed(1)} ms; tables resident +${(vx.rss_tables_kb / 1024).toFixed(1)} MiB`);
const pad = (s, n) => String(s).padEnd(n);
const num = (x, n) => x.toFixed(1).padStart(n);
console.log('\nMB/s by wall clock and by CPU time (best of the runs). The machine may be shared: the CPU-time');
console.log('speed-up is the stable comparison; wall-clock ratios move with whatever else is running.');
console.log(`\n${pad('encoding', 12)}${pad('corpus', 14)}${pad('op', 8)}${pad('library', 18)}` +
  `${'MB/s'.padStart(8)}${'Mtok/s'.padStart(8)}${'CPU MB/s'.padStart(10)}${'tokens'.padStart(10)}` +
  `  speed-up (CPU / wall)`);
let mismatch = 0;
for (const v of vx.rows) {
  const peers = npm.rows.filter((r) => r.encoding === v.encoding && r.corpus === v.corpus &&
    (r.op === v.op || (v.op === 'count' && r.lib === 'tiktoken' && r.op === 'encode')));
  console.log(`${pad(v.encoding, 12)}${pad(v.corpus, 14)}${pad(v.op, 8)}${pad('voxline', 18)}` +
    `${num(v.mb_s, 8)}${num(v.tok_s / 1e6, 8)}${num(v.mb_s_cpu, 10)}${String(v.tokens).padStart(10)}`);
  for (const p of peers) {
    const op = p.op === v.op ? '' : ` (${p.op})`;
    if (p.tokens !== v.tokens) mismatch++;
    console.log(`${pad('', 34)}${pad(p.lib + op, 18)}${num(p.mb_s, 8)}${num(p.tok_s / 1e6, 8)}` +
      `${num(p.mb_s_cpu, 10)}${String(p.tokens).padStart(10)}  ` +
      `${(v.mb_s_cpu / p.mb_s_cpu).toFixed(1)}x / ${(v.mb_s / p.mb_s).toFixed(1)}x`);
  }
}
console.log(mismatch ? `\nWARNING: ${mismatch} token counts differ between libraries` :
  '\nAll libraries produced identical token counts on both corpora.');
JS
