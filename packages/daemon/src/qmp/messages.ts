/**
 * The messages a QMP server sends on its own: the greeting and events.
 * Member order follows what QEMU 7.2 puts on the wire.
 */
import type { JsonObject } from '@loop/qom';
import type { QmpVersion } from '../version.js';

/**
 * The greeting sent when a client connects.
 *
 * @qemu qmp_greeting (monitor/qmp.c)
 * @since 0.0.0
 */
export function qmpGreeting(version: QmpVersion, capabilities: readonly string[] = ['oob']): JsonObject {
  return {
    QMP: {
      version: {
        qemu: { micro: version.qemu.micro, minor: version.qemu.minor, major: version.qemu.major },
        package: version.package,
      },
      capabilities: [...capabilities],
    },
  };
}

/**
 * An event's time stamp: wall-clock seconds and microseconds since the epoch.
 *
 * @qemu qmp_add_timestamp (monitor/monitor.c)
 * @since 0.0.0
 */
export function qmpTimestamp(nowMs: number = performance.timeOrigin + performance.now()): {
  seconds: number;
  microseconds: number;
} {
  const totalUs = Math.floor(nowMs * 1000);
  return { seconds: Math.floor(totalUs / 1_000_000), microseconds: totalUs % 1_000_000 };
}

/**
 * An event message: `{"timestamp": {...}, "event": NAME, "data": {...}}`
 * (`data` left out when undefined, as QEMU leaves it out for events without data).
 *
 * @qemu qapi_event_emit, monitor_qapi_event_emit
 * @since 0.0.0
 */
export function qmpEvent(event: string, data?: JsonObject): JsonObject {
  const message: JsonObject = { timestamp: qmpTimestamp(), event };
  if (data !== undefined) message.data = data;
  return message;
}
