// Resolve hook: @kabelsalat/* publish their ES modules only under the
// bundler-only "module" field; point Node at them.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

export async function resolve(specifier, context, next) {
  const match = /^@kabelsalat\/(web|lib|core)$/.exec(specifier);
  if (match) {
    return { url: pathToFileURL(join(here, 'node_modules', '@kabelsalat', match[1], 'dist', 'index.mjs')).href, shortCircuit: true };
  }
  return next(specifier, context);
}
