// Human-readable rendering of the demo: a timeline of trace events labelled with the FIG. 2 step,
// per-device timings, and a summary.
import type { TraceEvent } from '@simedge/device-sdk/wire';
import type { Report } from './scenario.js';

export const STEP_NAMES: Record<number, string> = {
  201: 'attach',
  202: 'attach confirmed',
  203: 'request (hello/chal/prov)',
  204: 'validate',
  205: 'deploy order',
  206: 'order received',
  207: 'service ready / in use',
  208: 'bye / leaving',
  209: 'remove order',
  210: 'removed / term',
};

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function ms(v: number | undefined): string {
  return v === undefined ? '-' : `${v.toFixed(1)} ms`;
}

/** One line per event: offset, step, actor, event, detail. Events must carry `at` in ms. */
export function renderTimeline(events: TraceEvent[]): string {
  if (events.length === 0) return '(no events)\n';
  const t0 = (events[0] as TraceEvent).at;
  const lines = events.map((e) => {
    const off = `+${(e.at - t0).toFixed(1)}`.padStart(9);
    const step = e.step ? String(e.step) : '   ';
    return `${off} ms  ${step}  ${pad(e.actor, 26)} ${pad(e.ev, 14)} ${e.detail ?? ''}`.trimEnd();
  });
  return lines.join('\n') + '\n';
}

export function renderSummary(r: Report): string {
  const out: string[] = [];
  out.push('Per-device timings (attach = 201->202, provision = hello->ready, use = mean round trip, roam = cell change->ready at the new edge, off = bye->term):');
  out.push(`  ${pad('IMSI', 17)} ${pad('attach', 10)} ${pad('provision', 10)} ${pad('use', 10)} ${pad('roam', 10)} ${pad('off', 10)} edges        result`);
  for (const d of r.devices) {
    const t = d.timings;
    out.push(`  ${pad(d.imsi, 17)} ${pad(ms(t.attachMs), 10)} ${pad(ms(t.provisionMs), 10)} ${pad(ms(t.useMs), 10)} ${pad(ms(t.roamMs), 10)} ${pad(ms(t.offMs), 10)} ${pad(d.edges.join('->') || '-', 12)} ${d.ok ? 'ok' : `FAILED: ${d.error}`}`);
  }
  out.push('');
  out.push('Steps: ' + Object.entries(STEP_NAMES).map(([k, v]) => `${k} ${v}`).join(' | '));
  out.push('');
  const okDevices = r.devices.filter((d) => d.ok).length;
  out.push(`Summary: ${okDevices}/${r.devices.length} devices completed every step 201-210` + (r.roamer ? `; ${r.roamer} roamed to the visited network` : '') +
    `; leftovers after switch-off: ${r.leftovers.instances} instances, ${r.leftovers.provisions} provisions, ${r.leftovers.sessions} sessions; ${r.durationMs.toFixed(0)} ms in all.`);
  out.push(r.ok ? 'RESULT: ok' : `RESULT: FAILED\n  - ${r.reasons.join('\n  - ')}`);
  return out.join('\n') + '\n';
}
