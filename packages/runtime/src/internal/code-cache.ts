import ivm from 'isolated-vm';

// isolated-vm sets these on the Script it returns; its typings only declare them on CachedDataResult.
type CompiledScript = ivm.Script & ivm.CachedDataResult & { cachedDataRejected?: boolean };

/**
 * V8 code cache shared by all isolates, keyed by bundle sha256: the second isolate of a bundle skips
 * parsing and compiling. We only ever feed V8 data that we produced ourselves from the same source:
 * cached data from a plugin (or anyone else) is never accepted.
 */
export class CodeCache {
  private readonly entries = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = 512) {}

  compile(isolate: ivm.Isolate, code: string, filename: string, key: string): ivm.Script {
    const cachedData = this.entries.get(key);
    if (cachedData) {
      const script: CompiledScript = isolate.compileScriptSync(code, { filename, cachedData });
      if (!script.cachedDataRejected) {
        this.hits++;
        return script;
      }
      this.entries.delete(key);
    }
    this.misses++;
    const script: CompiledScript = isolate.compileScriptSync(code, { filename, produceCachedData: true });
    if (script.cachedData) {
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      this.entries.set(key, script.cachedData);
    }
    return script;
  }

  get size(): number {
    return this.entries.size;
  }
}
