// @ts-check
/**
 * The child side of the harness protocol. Every comparison runs in its own
 * process (a crash, a hang or a leaked worker then costs one step, not the
 * run) and hands its result back as one JSON line on stdout, after a marker
 * so that anything else the child or a library prints cannot be mistaken
 * for it.
 *
 * @module
 */

/** Prefix of the result line on a child's stdout. */
export const RESULT_MARKER = '@@loop-bench-result ';

/**
 * @typedef {object} ChildParams
 * @property {boolean} quick
 * @property {number} quietMaxMs  how long to wait for a quiet window between measured parts
 */

/**
 * Finds the result in a child's stdout; undefined if the child died before
 * printing one.
 * @param {string} stdout
 * @returns {unknown}
 */
export function parseResult(stdout) {
  const at = stdout.lastIndexOf(RESULT_MARKER);
  if (at < 0) return undefined;
  const line = stdout.slice(at + RESULT_MARKER.length).split('\n', 1)[0];
  return JSON.parse(line);
}

/**
 * Runs `main` with the parameters the harness passed as JSON in argv[2],
 * prints its result, and exits: a comparison may leave pools or iothreads
 * that keep the event loop alive, and waiting for them to wind down is not
 * part of any measurement.
 * @template T
 * @param {(params: ChildParams) => Promise<T>} main
 */
export async function runChild(main) {
  /** @type {ChildParams} */
  const params = { quick: false, quietMaxMs: 3000, ...JSON.parse(process.argv[2] ?? '{}') };
  try {
    const result = await main(params);
    process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify(result)}\n`, () => process.exit(0));
  } catch (err) {
    console.error(err);
    process.exit(1);
  }
}
