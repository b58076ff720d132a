/**
 * What the processes that run plugin code (sandbox workers, the definition extractor) get in their
 * environment beside PATH: UTC and a fixed locale. A guest's `new Date().getHours()`, `toLocaleString()`
 * and `Intl` defaults then give the same answer on a developer's laptop as on the host, and tell the
 * plugin nothing about the machine it runs on. (`C.UTF-8` is ICU's `en-US`.)
 */
export const SANDBOX_PROCESS_ENV = { TZ: 'UTC', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } as const;
