/**
 * The lazy built-ins of scripts/build.ts (builtinsThroughRequire) list each module's export names
 * as the building Node has them. Lambda's nodejs24.x moves through Node 24 minors on its own
 * schedule, so this runs every shim the build can make against the Node running the tests (CI
 * runs it on each Node 24 it is given): it must list exactly that Node's exports and read and write
 * through to them. A name Node adds in a later minor is the one thing a shim built earlier lacks;
 * the build refuses any major but Lambda's, and Node removes exports only in a major.
 */
import { builtinModules, createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { lazyBuiltin } from '../scripts/build.ts';

const require = createRequire(import.meta.url);

/** Evaluates a shim as esbuild's CommonJS wrapper would, with the real require. */
function evaluate(source: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', 'require', source)(module, module.exports, require);
  return module.exports;
}

describe('lazy built-ins against the running Node', () => {
  it('runs on Node 24, the major the build and Lambda use', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  const specifiers = builtinModules
    .filter((n) => !n.startsWith('_'))
    .map((n) => (n.startsWith('node:') ? n : `node:${n}`));
  for (const name of specifiers) {
    it(`${name}: the shim lists exactly this Node's exports and reads through to them`, () => {
      const real = require(name) as Record<string, unknown>;
      const shim = evaluate(lazyBuiltin(name));
      if (shim === real) return; // required eagerly as it is (a function module, or process)
      expect(Object.getOwnPropertyNames(shim).sort()).toEqual(Object.getOwnPropertyNames(real).sort());
      expect(Object.keys(shim).sort()).toEqual(Object.keys(real).sort());
      for (const key of Object.keys(real).slice(0, 5)) expect(shim[key]).toBe(real[key]);
    });
  }
});
