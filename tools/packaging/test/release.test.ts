/**
 * The release flow works before anyone runs it for real: `changeset version` (on a copy) bumps every
 * published package that has changesets and writes its CHANGELOG, leaves private packages alone, and
 * `pnpm publish -r --dry-run` would publish exactly the published packages.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type PlannedRelease, planRelease, publishDryRun } from '../src/release.js';
import { ROOT, publishedPackages } from '../src/workspace.js';

/** The packages each pending changeset names. */
function pendingChangesets(): { file: string; packages: string[]; summary: string }[] {
  const dir = join(ROOT, '.changeset');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const [, front = '', body = ''] = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text) ?? [];
      return { file, packages: [...front.matchAll(/^"([^"]+)":/gm)].map((m) => m[1]!), summary: body.trim() };
    });
}

describe('changeset version (on a copy of the workspace)', () => {
  let plan: PlannedRelease[] = [];
  beforeAll(async () => {
    plan = await planRelease();
  }, 180_000);
  const published = publishedPackages().map((p) => p.manifest.name);

  it('every changeset names published packages only', () => {
    for (const c of pendingChangesets()) for (const p of c.packages) expect({ file: c.file, p, published: published.includes(p) }).toEqual({ file: c.file, p, published: true });
  });

  it('bumps every published package that has changesets and writes its CHANGELOG with each summary', () => {
    const changesets = pendingChangesets();
    for (const name of published) {
      const mine = changesets.filter((c) => c.packages.includes(name));
      const r = plan.find((p) => p.name === name)!;
      if (mine.length === 0) continue;
      expect(r.to, name).not.toBe(r.from);
      expect(r.changelog, name).toMatch(new RegExp(`^# ${name}\\n\\n## ${r.to.replaceAll('.', '\\.')}\\n`));
      for (const c of mine) expect(r.changelog, `${name} ← ${c.file}`).toContain(c.summary.split('\n')[0]!);
    }
  });

  it('never versions a private package (examples, bench, tools)', () => {
    const privates = plan.filter((p) => p.private);
    expect(privates.length).toBeGreaterThan(0);
    for (const p of privates) expect({ name: p.name, to: p.to, changelog: p.changelog }).toEqual({ name: p.name, to: p.from, changelog: null });
  });
});

it('pnpm publish -r --dry-run would publish exactly the published packages', async () => {
  const r = await publishDryRun();
  expect({ code: r.code, stderr: r.stderr.split('\n').filter((l) => /^npm (ERR|error)|ERR_PNPM/.test(l)) }).toEqual({ code: 0, stderr: [] });
  const announced = [...(r.stdout + r.stderr).matchAll(/^\+ (@tsquic\/[\w-]+)@/gm)].map((m) => m[1]!).sort();
  expect(announced).toEqual(
    publishedPackages()
      .map((p) => p.manifest.name)
      .sort(),
  );
}, 300_000);
