/** Makes sure the local R2 bucket holds the edge variants too big to bundle (transformer-small's). */
import { seedR2 } from '../../tools/setup/seed-r2.js';
import { ROOT } from './stack.js';

export async function seedModels(): Promise<void> {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    await seedR2('models');
  } finally {
    process.chdir(cwd);
  }
}
