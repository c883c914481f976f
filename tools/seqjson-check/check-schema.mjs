#!/usr/bin/env node
// Checks JSON documents against one definition of a JSON Schema 2020-12 file with Ajv (pinned in
// package.json), and with --closed also refuses keys the definition does not name (reference
// schemas such as OpenAI's leave objects open, while the live API rejects unknown keys). Used by the
// VLM tests on the requests the client builds.
//
//   node tools/seqjson-check/check-schema.mjs [--closed] SCHEMA.json DEFINITION FILE...
//   exit 0: all valid; 1: a file is not; 2: usage
import { readFileSync } from 'node:fs';
import process from 'node:process';

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const args = process.argv.slice(2);
const closed = args[0] === '--closed';
if (closed) args.shift();
if (args.length < 3) {
  console.error('usage: check-schema.mjs [--closed] SCHEMA.json DEFINITION FILE...');
  process.exit(2);
}
const [schemaPath, definition, ...files] = args;
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const defs = schema.$defs ?? {};
if (!defs[definition]) {
  console.error(`${schemaPath}: no definition ${definition}`);
  process.exit(2);
}
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema(schema, 'reference');
const validate = ajv.getSchema(`reference#/$defs/${definition}`);

const resolve = (node) => (node && node.$ref ? resolve(defs[node.$ref.replace('#/$defs/', '')]) : node);

// The schema branches that fit a value: allOf members always, oneOf/anyOf choices that validate it.
function branches(node, value) {
  node = resolve(node);
  if (!node || typeof node !== 'object') return [];
  const out = [node];
  for (const sub of node.allOf ?? []) out.push(...branches(sub, value));
  for (const key of ['oneOf', 'anyOf']) {
    for (const sub of node[key] ?? []) {
      const ok = sub.$ref ? ajv.validate({ $ref: `reference${sub.$ref}` }, value) : fits(sub, value);
      if (ok) out.push(...branches(sub, value));
    }
  }
  return out;
}

// A cheap structural test for branches Ajv cannot compile on their own (they hold $refs).
function fits(node, value) {
  if (!node || typeof node !== 'object') return false;
  const isObj = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (node.type === 'object' || node.properties) {
    if (!isObj) return false;
    for (const r of node.required ?? []) if (!(r in value)) return false;
    for (const [k, p] of Object.entries(node.properties ?? {})) {
      const res = resolve(p);
      if (k in value && res && res.enum && !res.enum.includes(value[k])) return false;
    }
    return true;
  }
  if (node.type === 'string') return typeof value === 'string';
  if (node.type === 'array') return Array.isArray(value);
  return false;
}

function unknownKeys(node, value, path, problems) {
  if (value === null || typeof value !== 'object') return;
  const nodes = branches(node, value);
  if (Array.isArray(value)) {
    const items = nodes.map((n) => n.items).filter(Boolean);
    value.forEach((v, i) => items.forEach((it) => unknownKeys(it, v, `${path}/${i}`, problems)));
    return;
  }
  const props = {};
  let open = false;
  for (const n of nodes) {
    Object.assign(props, n.properties ?? {});
    if (n.additionalProperties && typeof n.additionalProperties === 'object') open = true;
  }
  if (!Object.keys(props).length) return;  // a free-form object (e.g. a JSON Schema inside)
  for (const [k, v] of Object.entries(value)) {
    if (!(k in props)) {
      if (!open) problems.push(`${path}/${k}: not a property the reference defines`);
      continue;
    }
    if (k === 'schema' || k === 'parameters') continue;  // user-supplied JSON Schemas
    unknownKeys(props[k], v, `${path}/${k}`, problems);
  }
}

let failed = false;
for (const file of files) {
  let doc;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`${file}: not JSON (${e.message})`);
    failed = true;
    continue;
  }
  const problems = [];
  if (!validate(doc)) for (const e of validate.errors) problems.push(`${e.instancePath || '/'}: ${e.message}`);
  if (closed) unknownKeys(defs[definition], doc, '', problems);
  if (problems.length) {
    failed = true;
    console.error(`${file}: does not match ${definition}`);
    for (const p of problems.slice(0, 20)) console.error(`  ${p}`);
  } else {
    console.log(`${file}: valid ${definition}`);
  }
}
process.exit(failed ? 1 : 0);
