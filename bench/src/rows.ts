/**
 * @module rows
 * One result row from a measurement: the ratio ours / anchor when both
 * were measured, and whether the goal for that ratio is met.
 */
import type { Row } from './suite.js';

export function row(r: Omit<Row, 'ratio' | 'goal'>, goal?: number): Row {
  const ratio = r.ours !== null && r.anchor !== null && r.anchor > 0 ? r.ours / r.anchor : null;
  const out: Row = { ...r, ratio };
  if (goal !== undefined) out.goal = { ratio: goal, met: ratio === null ? null : r.better === 'higher' ? ratio >= goal : ratio <= goal };
  if (!out.note) delete out.note;
  return out;
}
