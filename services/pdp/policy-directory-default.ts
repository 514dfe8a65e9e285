import { fileURLToPath } from 'node:url';

/** The reference policies shipped with the mesh. */
export const PACKAGE_POLICY_DIR = fileURLToPath(new URL('./policies', import.meta.url));
