// Every scenario of the QEMU oracle ($LOOP_ORACLE_DIR, by default
// ../shared/oracle beside the checkout, read at test time), replayed
// against loopd by qmp_oracle.py: one test per scenario. A missing oracle
// folder fails here rather than skipping.
import { describe, it } from 'vitest';
import { replayCmdlineScenario, replayQmpScenario, scenarioNames } from './replay.js';

const { qmp, cmdline } = scenarioNames();

describe('/oracle', () => {
  it.each(qmp)('%s', { timeout: 120_000 }, async (name) => {
    await replayQmpScenario(name);
  });

  it.each(cmdline)('%s (cmdline)', { timeout: 300_000 }, async (name) => {
    await replayCmdlineScenario(name);
  });
});
