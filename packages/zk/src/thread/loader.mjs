/**
 * Module resolution hook for the prover thread: resolves `./x.js` to `./x.ts` when only the
 * TypeScript file exists, the convention of this repository's sources. Node 22 strips the types
 * itself; a thread started from a process already running under tsx has tsx's hooks as well.
 */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (
      error?.code === "ERR_MODULE_NOT_FOUND" &&
      /^\.\.?\//.test(specifier) &&
      specifier.endsWith(".js")
    ) {
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
    throw error;
  }
}
