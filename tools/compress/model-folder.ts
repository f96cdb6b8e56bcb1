/**
 * Writing a model's folder, `<modelsDir>/<name>/`, all or nothing: the files are staged in a hidden sibling
 * folder, the manifest is made there (the variants are measured from the staged files) and written last,
 * then the stage takes the folder's place by rename. A reader never sees a half-written model, and a failed
 * run leaves the old folder as it was.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '../../src/registry/manifest.js';

export interface ModelFolder {
  modelsDir: string;
  name: string;
  /** File name -> contents: the variant .onnx files and their side files (calibration ranges). */
  files: Record<string, Uint8Array | string>;
  /** Also write a .gitignore for the .onnx files (setup regenerates them from the recorded recipe). */
  ignoreWeights: boolean;
}

/** Files of an existing folder that a rebuild never makes, kept across it (samples, a training record). */
const isMade = (file: string) => file.endsWith('.onnx') || file === 'calibration-ranges.json' || file === '.gitignore';

/**
 * Stages `folder.files`, calls `describe` with the staging path for the manifest, writes it, and swaps the
 * folder into place; returns the manifest. On any failure the stage is removed and the old folder kept.
 */
export async function writeModelFolder(folder: ModelFolder, describe: (stage: string) => ModelManifest | Promise<ModelManifest>): Promise<ModelManifest> {
  const stage = join(folder.modelsDir, `.${folder.name}.tmp-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  try {
    for (const [file, contents] of Object.entries(folder.files)) writeFileSync(join(stage, file), contents);
    const manifest = await describe(stage);
    writeFileSync(join(stage, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    if (folder.ignoreWeights) writeFileSync(join(stage, '.gitignore'), '*.onnx\n*.onnx.tmp-*\n');
    swapInto(stage, join(folder.modelsDir, folder.name));
    return manifest;
  } catch (err) {
    rmSync(stage, { recursive: true, force: true });
    throw err;
  }
}

/** Carries over the files of an existing folder that the stage does not remake, then renames the stage into place. */
function swapInto(stage: string, target: string): void {
  if (existsSync(target)) {
    for (const f of readdirSync(target)) if (!existsSync(join(stage, f)) && !isMade(f)) copyFileSync(join(target, f), join(stage, f));
    const old = `${target}.old-${process.pid}`;
    renameSync(target, old);
    renameSync(stage, target);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(stage, target);
}
