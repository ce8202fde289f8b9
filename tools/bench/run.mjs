// @ts-check
/**
 * `npm run bench`: builds the packages, runs every package's bench suite and
 * the harness's comparisons (one child process each), and writes the
 * report with its plots.
 *
 *   npm run bench                  full run (< 20 min on 2 vCPUs); writes
 *                                  docs/benchmarks.md, docs/bench/*.svg and
 *                                  docs/bench/results.json
 *   npm run bench -- --quick       smoke check (< 2 min); writes the same files
 *                                  under $TMPDIR/loop-bench-quick/ and never
 *                                  touches docs/ unless --out says so
 *   --out DIR                      write DIR/benchmarks.md and DIR/bench/
 *   --only id,id                   run only these steps (output to a temp dir
 *                                  unless --out is given)
 *   --no-build                     skip `nx run-many -t build`
 *   --report-only FILE             no measuring: rebuild the report from a
 *                                  results.json written by an earlier run
 *   --quiet-max-ms N               longest wait for a quiet window (default
 *                                  8000 full, 1000 quick)
 *
 * Exit code 1 when a step failed (after the report, which lists it).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './machine.mjs';
import { writeReport } from './report/index.mjs';
import { runStep } from './spawn.mjs';
import { steps as allSteps } from './steps.mjs';

const ROOT_URL = new URL('../../', import.meta.url);
const ROOT = fileURLToPath(ROOT_URL);

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @param {string} name */
  const value = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const only = value('--only')?.split(',');
  const out = value('--out');
  return {
    quick,
    only,
    build: !argv.includes('--no-build'),
    reportOnly: value('--report-only'),
    quietMaxMs: Number(value('--quiet-max-ms') ?? (quick ? 1000 : 8000)),
    // The full report in docs/ is only written by a complete full run, or on request.
    outDir: out ?? (quick ? join(tmpdir(), 'loop-bench-quick') : only ? join(tmpdir(), 'loop-bench-partial') : join(ROOT, 'docs')),
  };
}

/** @param {string} s */
function say(s) {
  process.stdout.write(`${s}\n`);
}

function build() {
  say('building the packages (nx run-many -t build)...');
  const t0 = performance.now();
  const r = spawnSync(join(ROOT, 'node_modules/.bin/nx'), ['run-many', '-t', 'build', '--output-style=static'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
  });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}\n${r.stderr}\n`);
    throw new Error('build failed: nothing to measure');
  }
  return Number(((performance.now() - t0) / 1000).toFixed(1));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  /** @type {import('./report/index.mjs').Results} */
  let results;
  if (args.reportOnly) {
    results = JSON.parse(readFileSync(args.reportOnly, 'utf8'));
  } else {
    const t0 = performance.now();
    const machine = describeMachine(ROOT_URL);
    say(`@loop benchmarks (${args.quick ? 'quick' : 'full'}), ${machine.cores} CPUs ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadavg.join(' ')}`);
    const buildS = args.build ? build() : 0;
    // Inside a step the children wait less: in quick mode one 300 ms window
    // (the load is recorded, not waited out), else up to 3 s per part.
    const list = allSteps({ quick: args.quick, quietMaxMs: args.quick ? 300 : Math.min(args.quietMaxMs, 3000) }).filter((s) => !args.only || args.only.includes(s.id));
    if (args.only && list.length === 0) throw new Error(`--only matches no step`);
    const records = [];
    for (const [i, step] of list.entries()) {
      say(`\n[${i + 1}/${list.length}] ${step.title} (${step.id}), ${((performance.now() - t0) / 1000).toFixed(0)} s into the run`);
      const rec = await runStep(step, ROOT, args.quietMaxMs, (line) => say(`  ${line}`));
      const last = rec.attempts[rec.attempts.length - 1];
      say(`  -> ${rec.ok ? 'ok' : `FAILED (${last.error})`} in ${last.wallS} s, other load ${last.bgBefore} cores before, ${last.bgDuring} during`);
      records.push(rec);
    }
    results = {
      mode: args.quick ? 'quick' : args.only ? 'partial' : 'full',
      machine,
      buildS,
      wallS: Number(((performance.now() - t0) / 1000).toFixed(1)),
      loadavgEnd: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(2))),
      steps: records,
    };
  }
  mkdirSync(join(args.outDir, 'bench'), { recursive: true });
  if (!args.reportOnly) writeFileSync(join(args.outDir, 'bench', 'results.json'), JSON.stringify(results, null, 1) + '\n');
  const files = writeReport(results, args.outDir, ROOT_URL);
  say(`\nwrote ${files.length} files: ${join(args.outDir, 'benchmarks.md')} and ${join(args.outDir, 'bench')}/`);
  const failed = results.steps.filter((s) => !s.ok);
  say(`wall time ${results.wallS} s; ${failed.length === 0 ? 'all steps ok' : `FAILED: ${failed.map((s) => s.id).join(', ')}`}`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

await main();
