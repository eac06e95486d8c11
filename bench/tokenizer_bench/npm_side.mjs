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
// Best of `reps` runs, by wall time and (separately) by process CPU time (user + system, so V8's GC
// helper threads count too); CPU time stays meaningful when other processes load the machine.
const best = (fn) => {
  let ms = Infinity;
  let cpu = Infinity;
  let out;
  for (let r = 0; r < reps; ++r) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    out = fn();
    ms = Math.min(ms, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  return [ms, out, cpu];
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
    const add = (lib, op, [ms, out, cpu]) => {
      const tokens = typeof out === 'number' ? out : out.length;
      rows.push({ lib, encoding: encName, corpus, op, mb_s: mb / (ms / 1000), tok_s: tokens / (ms / 1000),
        mb_s_cpu: mb / (cpu / 1000), tokens });
    };
    add('tiktoken', 'encode', best(() => tk.encode_ordinary(text)));
    add('gpt-tokenizer', 'encode', best(() => gpt.encode(text)));
    add('gpt-tokenizer', 'count', best(() => gpt.countTokens(text)));
  }
  tk.free();
}
console.log(JSON.stringify({ load_ms: load, rows, rss_mb: process.memoryUsage().rss / 1e6 }));
