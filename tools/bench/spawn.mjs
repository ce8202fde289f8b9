// @ts-check
/**
 * Runs one step as a child process, with a quiet window before it, a
 * time limit, the background load measured around it, and one retry.
 *
 * Why a retry: the packages under test are rebuilt while benchmarks run
 * (workers load @loop/aio's dist/ when they start), and a child that starts
 * during a rebuild can crash or hang through no fault of the code measured.
 * Both attempts are kept in the results, so a failure is never hidden: a
 * step that fails twice is reported as failed, with its stderr.
 *
 * The child gets its own process group, so a timeout ends the child and
 * every process it started (the thread-pool suite runs one process per
 * library and repetition) by that group's id, and nothing else.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { parseResult } from './child.mjs';
import { BackgroundMeter, waitQuiet } from './quiet.mjs';

/**
 * @typedef {object} Attempt
 * @property {boolean} ok
 * @property {number | null} exitCode
 * @property {string | null} signal
 * @property {boolean} timedOut
 * @property {number} wallS
 * @property {number} bgBefore  cores used by other processes in the quiet window before
 * @property {number} bgDuring  cores used by other processes while the step ran
 * @property {string} error     why it failed ('' when ok)
 * @property {string} stderrTail
 */

/**
 * @typedef {object} StepRecord
 * @property {string} id
 * @property {string} title
 * @property {string} kind
 * @property {string} command
 * @property {boolean} ok
 * @property {Attempt[]} attempts
 * @property {unknown} result   the child's JSON result (of the last attempt), or null
 */

/**
 * The JSON result in a child's stdout: after the harness marker, or else
 * the last non-empty line (the package runners print bare JSON).
 * @param {string} stdout
 * @returns {unknown}
 */
export function extractResult(stdout) {
  const marked = parseResult(stdout);
  if (marked !== undefined) return marked;
  const last = stdout.trim().split('\n').pop();
  if (!last) throw new Error('no output');
  return JSON.parse(last);
}

/**
 * @param {import('./steps.mjs').Step} step
 * @param {string} root     workspace root (the child's cwd)
 * @param {number} quietMaxMs
 * @param {(line: string) => void} echo  progress lines (the child's stderr)
 * @returns {Promise<{ attempt: Attempt, result: unknown }>}
 */
function attemptOnce(step, root, quietMaxMs, echo) {
  const bgBefore = waitQuiet({ maxMs: quietMaxMs });
  const meter = new BackgroundMeter();
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [step.script, ...step.args], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr = (stderr + d).slice(-8000);
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) echo(l);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        // The child's process group: the child and whatever it spawned.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, step.timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallS = (performance.now() - t0) / 1000;
      /** @type {unknown} */
      let result = null;
      let error = '';
      if (timedOut) error = `timed out after ${step.timeoutS} s`;
      else if (code !== 0) error = signal ? `killed by ${signal}` : `exit code ${code}`;
      else {
        try {
          result = extractResult(stdout);
        } catch (e) {
          error = `no result: ${/** @type {Error} */ (e).message}`;
        }
      }
      resolve({
        attempt: {
          ok: error === '',
          exitCode: code,
          signal,
          timedOut,
          wallS: Number(wallS.toFixed(1)),
          bgBefore,
          bgDuring: Number(meter.read().toFixed(2)),
          error,
          stderrTail: error === '' ? '' : stderr.slice(-2000),
        },
        result,
      });
    });
  });
}

/**
 * Runs a step, retrying once on failure.
 * @param {import('./steps.mjs').Step} step
 * @param {string} root
 * @param {number} quietMaxMs
 * @param {(line: string) => void} echo
 * @returns {Promise<StepRecord>}
 */
export async function runStep(step, root, quietMaxMs, echo) {
  /** @type {Attempt[]} */
  const attempts = [];
  let result = null;
  for (let i = 0; i < 2; i++) {
    const r = await attemptOnce(step, root, quietMaxMs, echo);
    attempts.push(r.attempt);
    result = r.result;
    if (r.attempt.ok) break;
    echo(`!! ${step.id} failed (${r.attempt.error})${i === 0 ? ', retrying once' : ''}`);
  }
  const ok = attempts[attempts.length - 1].ok;
  return { id: step.id, title: step.title, kind: step.kind, command: `node ${[step.script, ...step.args].join(' ')}`, ok, attempts, result };
}
