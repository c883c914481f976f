#!/usr/bin/env node
// Checks SeqJSON files against the official NASA-AMMOS schema (@nasa-jpl/seq-json-schema, pinned in
// package.json) with Ajv's JSON Schema 2020-12 validator, and, for files written by
// `traverse export`, the checksum recorded in metadata.checksum (SHA-256 of the document without that
// member, in RFC 8785 canonical form; docs/export.md).
//
//   npm ci --prefix tools/seqjson-check          (once; scripts/traverse-setup does it)
//   node tools/seqjson-check/check.mjs FILE...   exit 0: all valid; 1: a file is not; 2: usage
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const require = createRequire(import.meta.url);
const schemaPath = require.resolve('@nasa-jpl/seq-json-schema/schema.json');
const schemaVersion = require('@nasa-jpl/seq-json-schema/package.json').version;
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));

// RFC 8785: members sorted by UTF-16 code units, no white space, numbers and strings as ECMAScript
// serialises them.
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function checksumProblem(doc) {
  const recorded = doc?.metadata?.checksum;
  if (recorded === undefined) return null;
  if (typeof recorded !== 'object' || typeof recorded.value !== 'string')
    return 'metadata.checksum: expected an object with a "value"';
  const rest = structuredClone(doc);
  delete rest.metadata.checksum;
  const now = createHash('sha256').update(canonical(rest), 'utf8').digest('hex');
  if (now !== recorded.value)
    return `metadata.checksum: the content does not match (${recorded.value.slice(0, 12)}… recorded, ${now.slice(0, 12)}… now)`;
  return null;
}

const files = process.argv.slice(2);
if (files.length === 0 || files.includes('--help')) {
  console.error('usage: node tools/seqjson-check/check.mjs FILE.seq.json...');
  process.exit(2);
}

// strict: false as the schema's own tests use it (the schema has keywords Ajv's strict mode flags).
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

let failed = 0;
for (const file of files) {
  let doc;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`${file}: cannot read as JSON: ${e.message}`);
    failed++;
    continue;
  }
  const problems = [];
  if (!validate(doc))
    for (const e of validate.errors) problems.push(`${e.instancePath || '/'}: ${e.message} (${e.schemaPath})`);
  const sum = checksumProblem(doc);
  if (sum) problems.push(sum);
  if (problems.length) {
    failed++;
    console.error(`${file}: not valid SeqJSON (seq-json-schema ${schemaVersion}):`);
    for (const p of problems) console.error(`  ${p}`);
  } else {
    const note = doc?.metadata?.checksum ? ', checksum ok' : '';
    console.log(`${file}: valid SeqJSON (seq-json-schema ${schemaVersion})${note}`);
  }
}
process.exit(failed ? 1 : 0);
