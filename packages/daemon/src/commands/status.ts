/**
 * Status and identity queries: `query-version`, `query-status`, `query-name`.
 *
 * @qemu qapi/control.json, qapi/run-state.json, qapi/misc.json
 */
import type { Monitor } from '../monitor.js';
import type { QmpCommandDef } from '../qmp/dispatch.js';

/**
 * `query-version`: the daemon's own version numbers in QEMU's shape,
 * `{"qemu": {"micro", "minor", "major"}, "package"}`.
 *
 * @qemu qmp_query_version
 * @since 0.0.0
 */
export const queryVersion: QmpCommandDef<Monitor> = {
  name: 'query-version',
  handler: (_args, { monitor }) => ({
    qemu: { micro: monitor.version.qemu.micro, minor: monitor.version.qemu.minor, major: monitor.version.qemu.major },
    package: monitor.version.package,
  }),
};

/**
 * `query-status`: loopd is always running. The shape is QEMU 7.2's
 * (`singlestep` was still there), as recorded in the oracle transcript
 * 40-qmp-protocol, step 21.
 *
 * @qemu qmp_query_status
 * @since 0.0.0
 */
export const queryStatus: QmpCommandDef<Monitor> = {
  name: 'query-status',
  handler: () => ({ status: 'running', singlestep: false, running: true }),
};

/**
 * `query-name`: `{}`, since loopd has no `-name`.
 *
 * @qemu qmp_query_name
 * @since 0.0.0
 */
export const queryName: QmpCommandDef<Monitor> = {
  name: 'query-name',
  handler: () => ({}),
};
