#!/usr/bin/env node
// Packs every workspace package into npm tarballs that install together:
//   node tools/release/pack-all.mjs [--version X.Y.Z] [--out DIR] [--no-build] [--json]
// --version first sets X.Y.Z as the version of every package and of every @tfvision/*
// dependency between them (exact, so a set published together resolves to itself), in the
// package.json files and package-lock.json. Then it builds (nx, cached) unless --no-build, and
// runs `npm pack` in each package (whose prepack compiles it) into DIR (default dist/packages).
// Refuses to pack when an internal dependency names a version the set does not have.
// nx release would do the bump too, but needs the @nx/js plugin, which the workspace does not install.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'];
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

function fail(message) {
  process.stderr.write(`pack-all: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { out: path.join(root, 'dist', 'packages'), build: true, json: false, version: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-build') o.build = false;
    else if (a === '--json') o.json = true;
    else if (a === '--out' || a === '--version') {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      if (a === '--out') o.out = path.resolve(v);
      else o.version = v;
    } else fail(`unknown argument ${a} (known: --version X.Y.Z, --out DIR, --no-build, --json)`);
  }
  if (o.version !== undefined && !SEMVER.test(o.version)) fail(`--version must look like 1.2.3 or 1.2.3-rc.1, got "${o.version}"`);
  return o;
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const writeJson = (file, value) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

/** Workspace packages in dependency order (a package after everything it depends on). */
function workspacePackages() {
  const dirs = readJson(path.join(root, 'package.json')).workspaces;
  const pkgs = dirs.map((dir) => ({ dir, file: path.join(root, dir, 'package.json'), json: readJson(path.join(root, dir, 'package.json')) }));
  const byName = new Map(pkgs.map((p) => [p.json.name, p]));
  const ordered = [];
  const visit = (p, trail) => {
    if (ordered.includes(p)) return;
    if (trail.includes(p)) fail(`dependency cycle: ${[...trail, p].map((q) => q.json.name).join(' -> ')}`);
    for (const field of DEP_FIELDS) for (const dep of Object.keys(p.json[field] ?? {})) if (byName.has(dep) && field !== 'devDependencies') visit(byName.get(dep), [...trail, p]);
    ordered.push(p);
  };
  for (const p of pkgs) visit(p, []);
  return ordered;
}

function setVersion(pkgs, version) {
  const names = new Set(pkgs.map((p) => p.json.name));
  const retarget = (deps) => {
    for (const dep of Object.keys(deps ?? {})) if (names.has(dep)) deps[dep] = version;
  };
  for (const p of pkgs) {
    p.json.version = version;
    for (const field of DEP_FIELDS) retarget(p.json[field]);
    writeJson(p.file, p.json);
  }
  const lockFile = path.join(root, 'package-lock.json');
  const lock = readJson(lockFile);
  for (const p of pkgs) {
    const entry = lock.packages?.[p.dir];
    if (!entry) continue;
    entry.version = version;
    for (const field of DEP_FIELDS) retarget(entry[field]);
  }
  writeJson(lockFile, lock);
}

function checkInternalVersions(pkgs) {
  const versions = new Map(pkgs.map((p) => [p.json.name, p.json.version]));
  for (const p of pkgs) {
    for (const field of DEP_FIELDS) {
      if (field === 'devDependencies') continue;
      for (const [dep, spec] of Object.entries(p.json[field] ?? {})) {
        if (versions.has(dep) && spec !== versions.get(dep)) {
          fail(`${p.dir}/package.json: ${field}.${dep} is "${spec}" but ${dep} is at ${versions.get(dep)}; run with --version to align them`);
        }
      }
    }
  }
}

const o = parseArgs(process.argv.slice(2));
const pkgs = workspacePackages();
if (o.version !== undefined) setVersion(pkgs, o.version);
checkInternalVersions(pkgs);
if (o.build) execFileSync('npx', ['nx', 'run-many', '-t', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
mkdirSync(o.out, { recursive: true });
const packed = [];
for (const p of pkgs) {
  // stdout holds prepack's output (the compiler's errors), then npm's JSON report on a line of its own.
  let report;
  try {
    report = execFileSync('npm', ['pack', '--json', '--pack-destination', o.out], { cwd: path.join(root, p.dir), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}`);
    fail(`npm pack failed in ${p.dir} (its prepack build, output above)`);
  }
  const [info] = JSON.parse(report.slice(report.search(/^\[/m)));
  packed.push({ name: p.json.name, version: p.json.version, tarball: path.join(o.out, info.filename), files: info.files.length, size: info.size });
}
if (o.json) process.stdout.write(`${JSON.stringify(packed)}\n`);
else for (const t of packed) process.stdout.write(`${t.name}@${t.version}  ${path.relative(process.cwd(), t.tarball)}  (${t.files} files, ${(t.size / 1024).toFixed(0)} KiB)\n`);
