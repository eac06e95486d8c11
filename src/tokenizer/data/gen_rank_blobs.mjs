// Converts OpenAI .tiktoken rank files into the compact form compiled into libvoxline.
// Usage: node gen_rank_blobs.mjs <dir with o200k_base.tiktoken and cl100k_base.tiktoken> <out dir>
// Layout of <name>.vxtk (little-endian): "VXTK0001" | u32 n_ranks | u32 blob_bytes |
// u8 length[n_ranks] | token bytes concatenated in rank order. Ranks must be 0..n-1 contiguous.
// The sha256 of each input must equal upstream tiktoken's expected_hash (ENCODINGS.md section 1).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const kExpected = {
  o200k_base: '446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d',
  cl100k_base: '223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7',
};

const [, , inDir, outDir] = process.argv;
if (!inDir || !outDir) {
  console.error('usage: node gen_rank_blobs.mjs <in dir> <out dir>');
  process.exit(2);
}
for (const [name, hash] of Object.entries(kExpected)) {
  const raw = readFileSync(join(inDir, `${name}.tiktoken`));
  const got = createHash('sha256').update(raw).digest('hex');
  if (got !== hash) throw new Error(`${name}: sha256 ${got} != expected ${hash}`);
  const lines = raw.toString('latin1').split('\n').filter((l) => l.length > 0);
  const tokens = new Array(lines.length);
  for (const line of lines) {
    const [b64, rankText] = line.split(' ');
    const rank = Number(rankText);
    if (!Number.isInteger(rank) || rank < 0 || rank >= lines.length || tokens[rank])
      throw new Error(`${name}: bad or duplicate rank in line ${line}`);
    tokens[rank] = Buffer.from(b64, 'base64');
  }
  const header = Buffer.alloc(16);
  header.write('VXTK0001', 0, 'latin1');
  const blob = Buffer.concat(tokens);
  header.writeUInt32LE(tokens.length, 8);
  header.writeUInt32LE(blob.length, 12);
  const lengths = Buffer.from(tokens.map((t) => {
    if (t.length < 1 || t.length > 255) throw new Error(`${name}: token length ${t.length}`);
    return t.length;
  }));
  writeFileSync(join(outDir, `${name}.vxtk`), Buffer.concat([header, lengths, blob]));
  console.log(`${name}: ${tokens.length} ranks, ${blob.length} token bytes, sha256 ok`);
}
