// Resolve hook: @kabelsalat/* publish their ES modules only under the
// bundler-only "module" field, and some @tonaljs/* name a "main" they do
// not ship; point Node at the files that exist.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

export async function resolve(specifier, context, next) {
  const match = /^@kabelsalat\/(web|lib|core)$/.exec(specifier);
  if (match) {
    return { url: pathToFileURL(join(here, 'node_modules', '@kabelsalat', match[1], 'dist', 'index.mjs')).href, shortCircuit: true };
  }
  try {
    return await next(specifier, context);
  } catch (error) {
    // Some @tonaljs packages name a "main" they do not ship.
    const tonal = /^@tonaljs\/[^/]+$/.exec(specifier);
    if (tonal) return next(`${specifier}/dist/index.mjs`, context);
    throw error;
  }
}
