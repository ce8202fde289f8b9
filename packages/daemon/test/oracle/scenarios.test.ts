// Every scenario of the QEMU oracle ($LOOP_ORACLE_DIR, by default
// ../shared/oracle beside the checkout, read at test time), replayed
// against loopd by qmp_oracle.py: one test per scenario. A missing oracle
// folder fails here rather than skipping. loopd's own scenarios in
// extra/ (with QEMU's recorded answers beside them) are replayed the same
// way, by the same script.
import { describe, it } from 'vitest';
import { EXTRA_DIR, replayCmdlineScenario, replayQmpScenario, scenarioNames } from './replay.js';

const { qmp, cmdline } = scenarioNames();
const extra = scenarioNames(EXTRA_DIR);

describe('/oracle', () => {
  it.each(qmp)('%s', { timeout: 120_000 }, async (name) => {
    await replayQmpScenario(name);
  });

  it.each(cmdline)('%s (cmdline)', { timeout: 300_000 }, async (name) => {
    await replayCmdlineScenario(name);
  });
});

describe('/oracle/extra', () => {
  it.each(extra.qmp)('%s', { timeout: 120_000 }, async (name) => {
    await replayQmpScenario(name, EXTRA_DIR);
  });

  it.each(extra.cmdline)('%s (cmdline)', { timeout: 300_000 }, async (name) => {
    await replayCmdlineScenario(name, EXTRA_DIR);
  });
});
