/**
 * `tessera keys list|rotate|retire`: the JWT signing keys of the deployment. Listing reads the
 * store only (it never creates a key). Rotation is the library's (`auth.rotateKeys()`: one
 * rotator at a time through the store's lease, the new key published before it signs, the
 * other instances told through the cluster bus). Retiring sets `retiresAt`/`expiresAt` with
 * `store.updateSigningKey` after checking that some key can still sign at every moment.
 * Nothing here prints key material: only kids, algorithms and times.
 */
import type { SigningKeyRecord } from 'tessera';
import { CONFIG_FLAGS_HELP, parseCommand } from './args.js';
import { withContext } from './context.js';
import type { CommandContext } from './context.js';
import { CliError, EXIT, isoTime, notFound, printJson, printLines, printTable, relativeTime, shortTime } from './output.js';
import type { Column } from './output.js';
import { runSubcommand } from './subcommands.js';

const GROUP_USAGE = `Usage: tessera keys <command> [options]

Commands:
  list                      the signing keys and their status (next, current, retiring, expired)
  rotate [--dry-run]        publish a new key now; it signs after the publish lead, the current one retires
  retire <kid> [--dry-run]  stop a key signing now; it leaves the JWKS once its last token expired

See "tessera keys <command> --help".`;

const LIST_USAGE = `Usage: tessera keys list [--json]

Lists every stored signing key (never its material) with its status:
  next      published in the JWKS, not signing yet (publish before use)
  current   signing (SIGNS "yes" marks the one the server signs with)
  retiring  no longer signing, still published and verifying until EXPIRES
  expired   gone from the JWKS; removed by the next purge

  --json               print {"now":…,"keys":[{kid, alg, status, signing, createdAt,
                       activatesAt, retiresAt, expiresAt}]}

${CONFIG_FLAGS_HELP}`;

const ROTATE_USAGE = `Usage: tessera keys rotate [--dry-run] [--json]

Rotates the signing key (TESSERA_JWT_ALG): a new key is published in the JWKS at once and
signs after the publish lead, so verifiers caching the JWKS learn it first; the current key
signs until then and stays published until the last token it signed has expired (access token
TTL + clock tolerance). One rotation at a time across instances (a lease in the store); running
servers are told through the cluster bus, or reload their keys within 30 seconds.

  --dry-run            print the plan, change nothing
  --json               print {"dryRun":…,"newKey":{kid, alg, publishedAt, activatesAt},
                       "retiring":[{kid, retiresAt, expiresAt}]}

${CONFIG_FLAGS_HELP}`;

const RETIRE_USAGE = `Usage: tessera keys retire <kid> [--now] [--dry-run] [--json]

Stops a key from signing now and schedules its removal from the JWKS once the last token it
signed has expired (access token TTL + clock tolerance); tokens it signed stay valid until
then. Refused when no other key could sign: rotate first ("tessera keys rotate"). When the
only other key is a next key, the key signs until that one takes over, so that some key can
sign at every moment.

With --now (a key that leaked), the key also stops verifying at once: every token it signed,
and any its thief makes, is refused from now on. Refused unless another key can sign now.

  <kid>                the key (see "tessera keys list")
  --now                stop signing and verifying now (a retired key too)
  --dry-run            print what would change, change nothing
  --json               print {"dryRun":…,"kid":…,"changed":…,"retiresAt":…,"expiresAt":…,"note":…}

${CONFIG_FLAGS_HELP}`;

/** A key's place in its lifecycle at a time. */
export type KeyStatus = 'next' | 'current' | 'retiring' | 'expired';

/** The status of `key` at `now` (ms). */
export function keyStatus(key: SigningKeyRecord, now: number): KeyStatus {
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  if (key.retiresAt !== null && key.retiresAt <= now) return 'retiring';
  if (key.activatesAt > now) return 'next';
  return 'current';
}

/** The kid the key ring signs with at `t`: the newest active, unretired key (KeyRing's rule). */
function signerAt(keys: readonly SigningKeyRecord[], t: number): string | undefined {
  let best: SigningKeyRecord | undefined;
  for (const k of keys) {
    if (k.activatesAt > t || (k.retiresAt !== null && k.retiresAt <= t)) continue;
    if (!best || k.activatesAt > best.activatesAt || (k.activatesAt === best.activatesAt && k.createdAt > best.createdAt)) best = k;
  }
  return best?.kid;
}

/**
 * The first instant from `now` on at which no key could sign, or undefined. Who signs changes
 * only when a key activates or retires, and only a retirement can leave no one: checking now
 * and every later retirement is enough.
 */
function firstSigningGap(keys: readonly SigningKeyRecord[], now: number): number | undefined {
  const instants = [now, ...keys.map((k) => k.retiresAt).filter((t): t is number => t !== null && t > now)].sort((a, b) => a - b);
  return instants.find((t) => signerAt(keys, t) === undefined);
}

/** A key as printed: times in ISO 8601, never the key material. */
function shownKey(k: SigningKeyRecord, now: number, signer: string | undefined) {
  return {
    kid: k.kid,
    alg: k.alg,
    status: keyStatus(k, now),
    signing: k.kid === signer,
    createdAt: isoTime(k.createdAt),
    activatesAt: isoTime(k.activatesAt),
    retiresAt: k.retiresAt === null ? null : isoTime(k.retiresAt),
    expiresAt: k.expiresAt === null ? null : isoTime(k.expiresAt),
  };
}

type ShownKey = ReturnType<typeof shownKey>;

const KEY_COLUMNS: readonly Column<ShownKey>[] = [
  { header: 'KID', value: (k) => k.kid },
  { header: 'ALG', value: (k) => k.alg },
  { header: 'STATUS', value: (k) => k.status },
  { header: 'SIGNS', value: (k) => (k.signing ? 'yes' : '') },
  { header: 'CREATED', value: (k) => shortTime(k.createdAt) },
  { header: 'ACTIVATES', value: (k) => shortTime(k.activatesAt) },
  { header: 'RETIRES', value: (k) => shortTime(k.retiresAt) },
  { header: 'EXPIRES', value: (k) => shortTime(k.expiresAt) },
];

async function list(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { name: 'keys list', usage: LIST_USAGE, config: true });
  if (!parsed) return EXIT.ok;
  return withContext(parsed.configArgv, async (ctx) => {
    const now = Date.now();
    const records = await ctx.store.listSigningKeys();
    const signer = signerAt(records, now);
    const keys = records.map((k) => shownKey(k, now, signer));
    if (parsed.json) printJson({ now: isoTime(now), keys });
    else printTable(keys, KEY_COLUMNS, '(no signing keys yet: the server creates the first on start)');
    return EXIT.ok;
  });
}

/** How long after its retirement a key still verifies: the last token it signed must expire. */
function verifyWindowMs(ctx: CommandContext): number {
  return (ctx.config.accessTokenTtlSeconds + ctx.config.clockToleranceSeconds) * 1000;
}

interface RotationReport {
  dryRun: boolean;
  newKey: { kid: string | null; alg: string; publishedAt: string; activatesAt: string };
  retiring: Array<{ kid: string; retiresAt: string; expiresAt: string }>;
  note?: string;
}

async function rotate(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { name: 'keys rotate', usage: ROTATE_USAGE, config: true, options: { 'dry-run': { type: 'boolean' } } });
  if (!parsed) return EXIT.ok;
  const dryRun = parsed.values['dry-run'] === true;
  return withContext(parsed.configArgv, async (ctx) => {
    const now = Date.now();
    const before = await ctx.store.listSigningKeys();
    const alg = ctx.config.jwtAlgorithm;
    let report: RotationReport;
    if (dryRun && !before.some((k) => k.alg === alg && keyStatus(k, now) === 'current')) {
      // Starting the auth service would create the first key: a dry run must not.
      report = {
        dryRun, newKey: { kid: null, alg, publishedAt: isoTime(now), activatesAt: isoTime(now) }, retiring: [],
        note: `no ${alg} key can sign yet: the first one is created, signing at once, by the server's first start or by a rotation`,
      };
    } else if (dryRun) {
      const auth = await ctx.auth();
      const plan = await auth.rotateKeys({ dryRun: true });
      const activatesAt = Date.parse(plan.activatesAt);
      // The library's rule (planRotation): every unexpired key that would still sign after
      // the new key activates retires then, and expires once its last token has.
      const retiring = before
        .filter((k) => (k.expiresAt === null || k.expiresAt > now) && (k.retiresAt === null || k.retiresAt > activatesAt))
        .map((k) => ({ kid: k.kid, retiresAt: plan.activatesAt, expiresAt: isoTime(activatesAt + verifyWindowMs(ctx)) }));
      report = { dryRun, newKey: { kid: plan.kid, alg, publishedAt: isoTime(now), activatesAt: plan.activatesAt }, retiring };
    } else {
      const auth = await ctx.auth();
      const done = await auth.rotateKeys();
      const after = await ctx.store.listSigningKeys();
      const created = after.find((k) => k.kid === done.kid);
      const retiring = after
        .filter((k) => {
          const old = before.find((b) => b.kid === k.kid);
          return old !== undefined && (old.retiresAt !== k.retiresAt || old.expiresAt !== k.expiresAt) && k.retiresAt !== null;
        })
        .map((k) => ({ kid: k.kid, retiresAt: isoTime(k.retiresAt), expiresAt: isoTime(k.expiresAt) }));
      report = {
        dryRun,
        newKey: { kid: done.kid, alg: created?.alg ?? alg, publishedAt: isoTime(created?.createdAt ?? now), activatesAt: done.activatesAt },
        retiring,
      };
    }
    printRotation(report, now, parsed.json);
    return EXIT.ok;
  });
}

function printRotation(report: RotationReport, now: number, json: boolean): void {
  if (json) return printJson(report);
  const lines = [report.dryRun ? 'Rotation plan (dry run: nothing was changed):' : 'Rotated the signing key:'];
  const { newKey } = report;
  const signs = relativeTime(Date.parse(newKey.activatesAt), now);
  lines.push(`  new ${newKey.alg} key ${newKey.kid ?? '(generated on rotation)'}: published ${shortTime(newKey.publishedAt)}, signs from ${shortTime(newKey.activatesAt)} (${signs})`);
  for (const r of report.retiring) {
    lines.push(`  ${r.kid}: stops signing ${shortTime(r.retiresAt)}, leaves the JWKS ${shortTime(r.expiresAt)}`);
  }
  if (report.note) lines.push(`  note: ${report.note}`);
  printLines(...lines);
}

const RELOAD_NOTE = 'Running servers learn it through the cluster bus at once, or at their next key reload (every 30 seconds).';

interface RetirePlan {
  retiresAt: number;
  expiresAt: number;
  note: string;
}

/** When `target` can stop signing without leaving a moment with no signing key; null if never. */
function planRetirement(keys: readonly SigningKeyRecord[], target: SigningKeyRecord, now: number, windowMs: number): RetirePlan | null {
  const withRetirement = (at: number) => keys.map((k) => (k.kid === target.kid ? { ...k, retiresAt: at } : k));
  const expiresFor = (at: number) => {
    // A key that never signed has no token to wait for.
    const expires = target.activatesAt >= at ? at : at + windowMs;
    return target.expiresAt === null ? expires : Math.min(expires, target.expiresAt);
  };
  if (firstSigningGap(withRetirement(now), now) === undefined) {
    return { retiresAt: now, expiresAt: expiresFor(now), note: 'stops signing now' };
  }
  // Only a next key can take over: the earliest activation after which no gap remains.
  const successors = keys
    .filter((k) => k.kid !== target.kid && k.activatesAt > now && (k.retiresAt === null || k.retiresAt > k.activatesAt))
    .sort((a, b) => a.activatesAt - b.activatesAt);
  for (const s of successors) {
    if (firstSigningGap(withRetirement(s.activatesAt), now) === undefined) {
      return {
        retiresAt: s.activatesAt,
        expiresAt: expiresFor(s.activatesAt),
        note: `signs until ${s.kid} takes over at ${isoTime(s.activatesAt)} (retiring it sooner would leave no key to sign tokens)`,
      };
    }
  }
  return null;
}

async function retire(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    name: 'keys retire', usage: RETIRE_USAGE, config: true, positionals: ['kid'], options: { 'dry-run': { type: 'boolean' }, now: { type: 'boolean' } },
  });
  if (!parsed) return EXIT.ok;
  const kid = parsed.positionals[0]!;
  const dryRun = parsed.values['dry-run'] === true;
  const atOnce = parsed.values.now === true;
  return withContext(parsed.configArgv, async (ctx) => {
    const now = Date.now();
    const keys = await ctx.store.listSigningKeys();
    const target = keys.find((k) => k.kid === kid);
    if (!target) throw notFound(`no signing key with kid ${JSON.stringify(kid.slice(0, 80))} (see "tessera keys list")`);
    const report = (changed: boolean, retiresAt: number | null, expiresAt: number | null, note: string) => {
      if (parsed.json) printJson({ dryRun, kid, changed, retiresAt: retiresAt === null ? null : isoTime(retiresAt), expiresAt: expiresAt === null ? null : isoTime(expiresAt), note });
      else {
        printLines(`${dryRun && changed ? 'Would retire' : changed ? 'Retired' : 'Unchanged:'} ${kid}: ${note}${expiresAt === null ? '' : `; leaves the JWKS ${shortTime(isoTime(expiresAt))}`}${dryRun && changed ? ' (dry run: nothing was changed)' : ''}`);
        if (changed && !dryRun) printLines(RELOAD_NOTE);
      }
      return EXIT.ok;
    };
    const status = keyStatus(target, now);
    const save = async (retiresAt: number, expiresAt: number) => {
      if (dryRun) return;
      await ctx.store.updateSigningKey(kid, { retiresAt, expiresAt });
      await ctx.publish({ type: 'keys_changed' }).catch((error: unknown) => {
        process.stderr.write(`tessera: warning: could not notify running servers (${error instanceof Error ? error.message : String(error)}); they reload their keys within 30 seconds\n`);
      });
    };
    if (atOnce) {
      if (status === 'expired') return report(false, target.retiresAt, target.expiresAt, 'already expired: it verifies nothing');
      const others = keys.map((k) => (k.kid === kid ? { ...k, retiresAt: now } : k));
      if (firstSigningGap(others, now) !== undefined) {
        throw new CliError(EXIT.usage, `refusing to retire ${kid} now: no other key can sign access tokens yet. `
          + 'Run "tessera keys rotate", then this again once the new key signs (after the 60 s publish lead).');
      }
      const retiresAt = target.retiresAt !== null && target.retiresAt < now ? target.retiresAt : now;
      await save(retiresAt, now);
      return report(true, retiresAt, now, 'stops signing and verifying now: every token it signed is refused (other services\' verifiers drop it at their next JWKS refresh)');
    }
    if (status === 'expired' || status === 'retiring') {
      return report(false, target.retiresAt, target.expiresAt, `already ${status === 'expired' ? 'expired' : 'retired'}`);
    }
    const plan = planRetirement(keys, target, now, verifyWindowMs(ctx));
    if (plan === null) {
      throw new CliError(EXIT.usage, `refusing to retire ${kid}: no other key could sign access tokens, so JWT sign-ins and refreshes would fail. `
        + 'Run "tessera keys rotate" first: the new key is published now and signs after the publish lead, and the rotation retires this key at that moment.');
    }
    if (target.retiresAt !== null && target.retiresAt <= plan.retiresAt) {
      return report(false, target.retiresAt, target.expiresAt, `already scheduled to stop signing at ${isoTime(target.retiresAt)}`);
    }
    await save(plan.retiresAt, plan.expiresAt);
    return report(true, plan.retiresAt, plan.expiresAt, plan.note);
  });
}

/** `tessera keys …`. */
export function runKeys(argv: string[]): Promise<number> {
  return runSubcommand('keys', argv, GROUP_USAGE, { list, rotate, retire });
}
