// xAPI consumers, independent of isletflow: Learning Locker's statement validator
// (xapi-validation, the rules its LRS applies), and an LRS's statement-id rule (xAPI 1.0.3,
// "Statement Immutability"): a statement whose id is stored with other content is refused (409),
// the same statement again is accepted without change. Reads {"posts": [[statement, ...], ...]}
// on stdin (each post one batch, all or nothing, in order) and prints a JSON report.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const validate = require('xapi-validation').default;

// Key order does not make two statements differ; LRS-set properties are not compared.
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().filter((k) => !['stored', 'authority'].includes(k)).map((k) => [k, canonical(value[k])]));
  }
  return value;
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const stored = new Map();
const posts = [];
for (const batch of input.posts) {
  const warnings = batch.flatMap((s, i) => validate(s).map((w) => `statement ${i}: ${JSON.stringify(w.path ?? w)} ${w.message ?? ''}`.trim()));
  const conflicts = batch.filter((s) => stored.has(s.id) && stored.get(s.id) !== JSON.stringify(canonical(s))).map((s) => s.id);
  const ids = batch.map((s) => s.id);
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  const status = warnings.length || repeated.length ? 400 : conflicts.length ? 409 : 200;
  if (status === 200) for (const s of batch) stored.set(s.id, JSON.stringify(canonical(s)));
  posts.push({ status, warnings, conflicts, repeated });
}
process.stdout.write(JSON.stringify({ posts, stored: stored.size }) + '\n');
