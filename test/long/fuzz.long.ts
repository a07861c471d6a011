/**
 * Fuzzing at 10× the CI budget (`npm run test:long`): the parser fuzzers of
 * test/security/fuzz-parsers.test.ts with `TESSERA_PARSER_FUZZ_SCALE=10` (about a million
 * inputs) and the route fuzzer of packages/server/test/robustness/fuzz-routes.test.ts with
 * `TESSERA_FUZZ_RUNS=20000` per property (240,000 requests). Both print their counts.
 * `TESSERA_FUZZ_SEED=random` for a fresh seed (printed on failure).
 */
process.env.TESSERA_PARSER_FUZZ_SCALE ??= '10';
process.env.TESSERA_FUZZ_RUNS ??= '20000';
await import('../security/fuzz-parsers.test.js');
await import('../../packages/server/test/robustness/fuzz-routes.test.js');
