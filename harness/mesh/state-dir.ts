/** The run's state folder (its layout is the one the workloads use) and the package root. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export { statePaths, type StatePaths } from '../../services/kit/state-layout.ts';

export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
