/**
 * @module report
 * The suite's results as a plain-text table (the console) or a Markdown
 * table (READMEs), with the ratio ours/anchor on every row and the CPU hot
 * spots of the bulk case.
 */
import type { Row, SuiteResult } from './suite.js';

const fmt = (n: number | null, digits = n !== null && Math.abs(n) < 100 ? 1 : 0): string => (n === null ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const ratio = (r: Row): string => (r.ratio === null ? '-' : `${r.ratio.toFixed(2)}×`);
const goal = (r: Row): string => (r.goal ? `${r.better === 'higher' ? '≥' : '≤'} ${r.goal.ratio.toFixed(1)} ${r.goal.met === null ? '?' : r.goal.met ? 'met' : 'NOT met'}` : '');

export function machineLine(res: SuiteResult): string {
  const m = res.machine;
  return `${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; ${res.mode} run ${res.date}, ${res.durationSeconds.toFixed(0)} s`;
}

export function textTable(res: SuiteResult): string {
  const head = ['measurement', 'ours', 'anchor', 'anchor value', 'unit', 'ours/anchor', 'goal'];
  const body = res.rows.map((r) => [r.name, fmt(r.ours), r.anchorName, fmt(r.anchor), r.unit, ratio(r), goal(r)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 1 || i === 3 || i === 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [`tsquic bench — ${machineLine(res)}`, line(head), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const b of body) out.push(line(b));
  for (const r of res.rows) if (r.note) out.push(`note (${r.id}): ${r.note}`);
  out.push('', ...profileLines(res));
  return out.join('\n');
}

function profileLines(res: SuiteResult): string[] {
  const out: string[] = [];
  for (const p of res.profile) {
    out.push(
      `CPU profile, bulk ours → ours at 1,452-B datagrams, ${p.role}: ${p.cpuUsPerDatagram.toFixed(1)} µs CPU per datagram (unprofiled run; the QUIC core alone, sans-IO in one process: ${p.coreUsPerDatagram.toFixed(1)} µs; Node's floor, dgram + node:crypto packet protection without QUIC: ${p.nodeFloorUsPerDatagram.toFixed(1)} µs); ${p.busyMs.toFixed(0)} ms busy; top ${p.top.length} by self time`,
    );
    for (const h of p.top) out.push(`  ${h.selfPercent.toFixed(1).padStart(5)}%  ${h.selfMs.toFixed(0).padStart(6)} ms  ${h.function}  ${h.location}`);
  }
  return out;
}

/** Each distinct method once, with the rows it applies to (rows share methods; the JSON keeps one per row). */
export function methodLines(res: SuiteResult): string[] {
  const byMethod = new Map<string, string[]>();
  for (const r of res.rows) {
    const key = JSON.stringify(r.method);
    byMethod.set(key, [...(byMethod.get(key) ?? []), r.id]);
  }
  const out: string[] = [];
  for (const [key, ids] of byMethod) {
    const m = JSON.parse(key) as Row['method'];
    out.push(`- **${ids.join(', ')}**: ${m.setup}.${m.datagrams ? ` Datagrams: ${m.datagrams}.` : ''}${m.data ? ` Data: ${m.data}.` : ''} Clock: ${m.clock}.`);
  }
  return out;
}

export function markdownTable(res: SuiteResult): string {
  const out = [`Measured on ${machineLine(res)}.`, '', '| measurement | ours | anchor | anchor value | unit | ours / anchor | goal |', '|---|---:|---|---:|---|---:|---|'];
  for (const r of res.rows) out.push(`| ${r.name} | ${fmt(r.ours)} | ${r.anchorName} | ${fmt(r.anchor)} | ${r.unit} | ${ratio(r)} | ${goal(r)} |`);
  out.push('', 'How each figure was taken:', '', ...methodLines(res));
  out.push('', '```', ...profileLines(res), '```');
  return out.join('\n');
}
