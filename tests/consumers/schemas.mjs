// JSON Schema consumers, independent of isletflow: Ajv 8 (draft 2020-12) in its default strict
// mode, with ajv-formats. Reads {"schemas": {NAME: schema}, "data": [[NAME, value], ...]} on stdin;
// compiles every schema (strict: unknown keywords, formats and union types are errors) and
// validates each value against its schema. Prints {"compiled": {NAME: error|null},
// "valid": [true|false, ...], "warnings": [...]}.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const warnings = [];
const logger = { log: () => {}, warn: (...a) => warnings.push(a.join(' ')), error: (...a) => warnings.push(a.join(' ')) };
const input = JSON.parse(readFileSync(0, 'utf8'));
const compiled = {};
const validators = {};
for (const [name, schema] of Object.entries(input.schemas)) {
  const ajv = new Ajv2020({ strict: true, allErrors: true, logger });
  addFormats(ajv);
  try {
    validators[name] = ajv.compile(schema);
    compiled[name] = null;
  } catch (error) {
    compiled[name] = error.message;
  }
}
const valid = input.data.map(([name, value]) => (validators[name] ? validators[name](value) : null));
process.stdout.write(JSON.stringify({ compiled, valid, warnings }) + '\n');
