// Schema evolution check for apps already in the field: compares an old and
// a new schema with @graphql-inspector/core and fails on any breaking
// change that SCHEMA_CHANGELOG.md does not list as intended.
//
//   node schema-diff.mjs --old <dir|file> --new <dir|file> --changelog <file>
//
// A directory means every *.graphqls / *.graphql file in it (gqlgen's
// schema/ layout, `extend type` included). A breaking change is intended
// when a list item under the changelog's "## Intended breaking changes"
// heading starts with its schema coordinate in backticks, e.g.
//   - `Post.legacyBody` — removed; apps read bodyHtml since 1.4.
// (the coordinate is what this script prints for the change).
// Exit status: 0 when every breaking change is intended, 1 otherwise, 2 on
// bad input.
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildASTSchema, parse } from 'graphql';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!['old', 'new', 'changelog'].includes(key) || argv[i + 1] === undefined) usage();
    out[key] = argv[i + 1];
  }
  if (!out.old || !out.new) usage();
  return out;
}

function usage() {
  console.error('usage: node schema-diff.mjs --old <dir|file> --new <dir|file> [--changelog SCHEMA_CHANGELOG.md]');
  process.exit(2);
}

function loadSchema(path) {
  let sdl;
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path).filter((f) => /\.graphqls?$/.test(f)).sort();
    if (files.length === 0) throw new Error(`${path}: no .graphqls files`);
    sdl = files.map((f) => readFileSync(join(path, f), 'utf8')).join('\n');
  } else {
    sdl = readFileSync(path, 'utf8');
  }
  return buildASTSchema(parse(sdl), { assumeValidSDL: true });
}

// intendedCoordinates reads the backticked coordinate that starts each list
// item of the "Intended breaking changes" section.
export function intendedCoordinates(markdown) {
  const out = new Set();
  let inSection = false;
  for (const line of markdown.split('\n')) {
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    if (heading) {
      inSection = /^intended breaking changes\b/i.test(heading[2].trim());
      continue;
    }
    const item = inSection && line.match(/^\s*[-*]\s+`([^`]+)`/);
    if (item) out.add(item[1].trim());
  }
  return out;
}

async function main() {
  const a = args();
  let oldSchema, newSchema;
  try {
    oldSchema = loadSchema(a.old);
    newSchema = loadSchema(a.new);
  } catch (err) {
    console.error(`schema-diff: ${err.message}`);
    process.exit(2);
  }
  const intended = a.changelog && existsSync(a.changelog)
    ? intendedCoordinates(readFileSync(a.changelog, 'utf8'))
    : new Set();

  const changes = await diff(oldSchema, newSchema);
  const unlisted = [];
  const counts = { breaking: 0, intended: 0, dangerous: 0, safe: 0 };
  for (const c of changes) {
    const coord = c.path ?? c.message;
    switch (c.criticality.level) {
      case CriticalityLevel.Breaking:
        counts.breaking++;
        if (intended.has(coord)) {
          counts.intended++;
          console.log(`  breaking (intended)  ${coord}: ${c.message}`);
        } else {
          unlisted.push(c);
          console.log(`✖ breaking             ${coord}: ${c.message}`);
        }
        break;
      case CriticalityLevel.Dangerous:
        counts.dangerous++;
        console.log(`⚠ dangerous            ${coord}: ${c.message}`);
        break;
      default:
        counts.safe++; // additions and descriptions: counted, not listed
    }
  }
  console.log(`schema-diff: ${changes.length} change(s): ${counts.breaking} breaking (${counts.intended} intended), ${counts.dangerous} dangerous, ${counts.safe} safe`);
  if (unlisted.length > 0) {
    console.log(`schema-diff: ${unlisted.length} breaking change(s) would break apps already in the field.`);
    console.log('Keep the old field/argument (deprecate it with @deprecated) or, if the break is intended, list it in SCHEMA_CHANGELOG.md under "## Intended breaking changes":');
    for (const c of unlisted) console.log(`  - \`${c.path ?? c.message}\` — why, and what apps should do instead`);
    process.exit(1);
  }
}

await main();
