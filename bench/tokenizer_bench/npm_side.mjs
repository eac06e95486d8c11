// The npm side of compare_npm.sh: npm tiktoken (WASM build of OpenAI's Rust core) and gpt-tokenizer
// on the corpora tokenizer_bench wrote. Prints a JSON object like tokenizer_bench --json.
//   node npm_side.mjs <corpus dir> <reps>
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { get_encoding } from 'tiktoken';
import * as gptO200k from 'gpt-tokenizer/encoding/o200k_base';
import * as gptCl100k from 'gpt-tokenizer/encoding/cl100k_base';

const [, , dir, repsText] = process.argv;
const reps = Number(repsText || 3);
const rows = [];
const load = {};
const best = (fn) => {
  let ms = Infinity;
  let out;
  for (let r = 0; r < reps; ++r) {
    const t0 = performance.now();
    out = fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return [ms, out];
};
const corpora = ['english_code', 'multilingual'].map((name) => [name, readFileSync(`${dir}/${name}.txt`, 'utf8')]);
for (const encName of ['o200k_base', 'cl100k_base']) {
  let t0 = performance.now();
  const tk = get_encoding(encName);
  load[`tiktoken ${encName}`] = performance.now() - t0;
  const gpt = encName === 'o200k_base' ? gptO200k : gptCl100k;
  t0 = performance.now();
  gpt.encode('warm up');  // gpt-tokenizer builds its tables on import/first use
  load[`gpt-tokenizer ${encName} (first encode)`] = performance.now() - t0;
  for (const [corpus, text] of corpora) {
    const mb = Buffer.byteLength(text, 'utf8') / 1e6;
    const add = (lib, op, ms, tokens) =>
      rows.push({ lib, encoding: encName, corpus, op, mb_s: mb / (ms / 1000), tok_s: tokens / (ms / 1000), tokens });
    let [ms, ids] = best(() => tk.encode_ordinary(text));
    add('tiktoken', 'encode', ms, ids.length);
    [ms, ids] = best(() => gpt.encode(text));
    add('gpt-tokenizer', 'encode', ms, ids.length);
    const [cms, n] = best(() => gpt.countTokens(text));
    add('gpt-tokenizer', 'count', cms, n);
  }
  tk.free();
}
console.log(JSON.stringify({ load_ms: load, rows, rss_mb: process.memoryUsage().rss / 1e6 }));
