// @rjsf/core's test helper (getTestRegistry) imports the ajv8 validator; the workbench never uses it
// (ajv compiles schemas with `new Function`, which the CSP forbids). This stands in for it so the
// bundle carries no schema compiler at all.
export default {};
export function customizeValidator(): never {
  throw new Error('the workbench validates settings through the host API, not with ajv');
}
