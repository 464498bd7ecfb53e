/**
 * @module docs
 * The API reference: TypeDoc run on every published package from the sources
 * behind its exports map (`./dist/x.d.ts` ← `src/x.ts`), with the package's
 * own tsconfig, and every warning — an undocumented export above all — an
 * error. Each package's model is written as JSON, then the models are merged
 * into one site.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Application, OptionDefaults, type TypeDocOptions } from 'typedoc';
import { isDeferred, type WorkspacePackage } from './workspace.js';

/** The source files behind a package's export conditions' `types` (declarations are built from them). */
export function sourceEntryPoints(pkg: WorkspacePackage): string[] {
  const types = Object.values(pkg.manifest.exports ?? {}).flatMap((c) => (typeof c === 'object' && c.types ? [c.types] : []));
  return types.map((t) => {
    const src = join(pkg.dir, t.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts'));
    if (!existsSync(src)) throw new Error(`${pkg.manifest.name}: no source ${src} for ${t}`);
    return src;
  });
}

/** What every package's reference is held to. */
const STRICT: Partial<TypeDocOptions> = {
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, invalidPath: true, rewrittenLink: true, notDocumented: true, unusedMergeModuleWith: true },
  // An exported declaration needs a doc comment; its members are documented where the reader needs it.
  requiredToBeDocumented: ['Module', 'Namespace', 'Enum', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias'],
  // protobuf-es marks generated code with @generated.
  blockTags: [...OptionDefaults.blockTags, '@generated'],
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  readme: 'none',
  logLevel: 'Warn',
};

/** Converts one package; resolves with the JSON model's path, or rejects listing the warnings. */
export async function packageModel(pkg: WorkspacePackage, outDir: string): Promise<string> {
  // A package listed in DEFERRED under 'api-reference': built, its warnings printed, not failing.
  const pending = isDeferred(pkg.manifest.name, 'api-reference');
  const app = await Application.bootstrapWithPlugins({
    ...STRICT,
    treatWarningsAsErrors: !pending,
    name: pkg.manifest.name,
    entryPoints: sourceEntryPoints(pkg),
    tsconfig: join(pkg.dir, 'tsconfig.build.json'),
    basePath: pkg.dir,
    disableSources: true,
  });
  const project = await app.convert();
  if (!project) throw new Error(`${pkg.manifest.name}: TypeDoc could not convert the package`);
  app.validate(project);
  if (app.logger.hasErrors() || (app.logger.hasWarnings() && !pending)) throw new Error(`${pkg.manifest.name}: the API reference has warnings (see above)`);
  if (pending && !app.logger.hasWarnings()) throw new Error(`${pkg.manifest.name}: documented now — remove its 'api-reference' entry from DEFERRED (workspace.ts)`);
  const file = join(outDir, `${pkg.manifest.name.replace('/', '+')}.json`);
  await app.generateJson(project, file);
  return file;
}

/** Merges the package models into one HTML site in `outDir`. */
export async function mergeSite(models: readonly string[], outDir: string, readme: string): Promise<void> {
  const app = await Application.bootstrapWithPlugins({ ...STRICT, validation: { invalidLink: true }, name: 'tsquic', entryPointStrategy: 'merge', entryPoints: [...models], readme });
  const project = await app.convert();
  if (!project) throw new Error('TypeDoc could not merge the package models');
  await app.generateDocs(project, outDir);
  if (app.logger.hasErrors() || app.logger.hasWarnings()) throw new Error('the merged API reference has warnings (see above)');
}
