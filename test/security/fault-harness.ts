/**
 * The SIGKILL fault harness, shared by the short suite (test/security/fault-sigkill.test.ts,
 * 5 repetitions in `npm test`) and the long one (test/long/sigkill.long.ts, 200 repetitions).
 *
 * One data directory and one port for the whole run. Each repetition:
 *  1. drives the real server (`dist/cli.js serve`, real argon2, SQLite on disk) with 100
 *     concurrent actors: sign-ups, sign-ins in both modes, refresh rotations, sign-outs, and
 *     work on the sessions left over from earlier repetitions;
 *  2. sends SIGKILL at a random moment (no shutdown hook runs), while requests are in flight;
 *  3. restarts on the same data dir and port, then checks, against a ledger of everything the
 *     server ANSWERED (a 2xx is a commitment; a request lost in the kill may or may not have
 *     committed, and the checks accept both outcomes, but nothing else):
 *     - `PRAGMA integrity_check` and `foreign_key_check` (the file opened read-only);
 *     - every user whose sign-up got 201 exists; every session whose sign-in got 200 exists,
 *       live, unless its sign-out got 204 (then it is revoked or purged, and refused over
 *       HTTP: no revoked credential comes back);
 *     - every refresh family holds exactly the last rotation that was answered (generation
 *       and secret hash), or, if a rotation was in flight, that one's successor; the client
 *       that lost the answer retries its old token and gets that same successor (the reuse
 *       leeway), so nothing the client holds is lost;
 *     - no two live records share a secret hash (one live token per family);
 *     - the database's size and its rows are recorded, for the growth check.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freePort, makeDataDir, spawnServer } from '../../packages/server/test/robustness/spawn-server.js';
import type { SpawnedServer } from '../../packages/server/test/robustness/spawn-server.js';

export { SESSION_COOKIE } from '../../packages/server/test/helpers/spec-contract.js';
import { SESSION_COOKIE } from '../../packages/server/test/helpers/spec-contract.js';
const PASSWORD = 'fault suite password, long enough';
/** Long enough that a client retrying a lost refresh after the restart is inside it. */
const REUSE_LEEWAY_SECONDS = 120;
const ACTORS = 100;

interface UserEntry {
  email: string;
  id: string;
}

interface SessionEntry {
  sid: string;
  userId: string;
  mode: 'session' | 'jwt';
  /** The session cookie value, or the last refresh token the server answered with. */
  credential: string;
  /** Rotations the server answered. */
  generation: number;
  /** A rotation was in flight at the kill: the store holds generation or generation + 1. */
  pendingRotation: boolean;
  state: 'live' | 'ended' | 'end-uncertain';
  /** Used by an actor in the current repetition. */
  busy: boolean;
}

/** What one repetition did and found. */
export interface RoundReport {
  round: number;
  killAfterMs: number;
  /** True when the workload had finished before the kill (a kill at rest). */
  atRest: boolean;
  answered: number;
  lost: number;
  users: number;
  liveSessions: number;
  endedSessions: number;
  pendingRotations: number;
  dbBytes: number;
  walBytes: number;
  rows: {
    users: number; sessions: number; liveSessions: number; deadSessions: number; revocations: number;
    /** Rows a purge would delete: expired revocation-feed entries and login failures. */
    expiredRows: number;
    auditRows: number;
  };
  restartMs: number;
  problems: string[];
}

type Answer = { kind: 'answered'; status: number; body: Record<string, any> } | { kind: 'lost' } | { kind: 'skipped' }; // eslint-disable-line @typescript-eslint/no-explicit-any

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function pick<T>(list: readonly T[]): T | undefined {
  return list.length === 0 ? undefined : list[Math.floor(Math.random() * list.length)];
}

/** A run of repetitions on one data dir. */
export class SigkillFault {
  readonly users: UserEntry[] = [];
  readonly sessions = new Map<string, SessionEntry>();
  readonly reports: RoundReport[] = [];
  #server: SpawnedServer | undefined;
  #dataDir = '';
  #port = 0;
  #killed = false;
  #answered = 0;
  #lost = 0;
  #emailCounter = 0;
  #derivationKey: Buffer | undefined;
  /** How long a repetition's workload lasts without a kill (learnt); the kill falls inside it. */
  #workloadMs = 2500;

  get dataDir(): string {
    return this.#dataDir;
  }

  async start(): Promise<void> {
    this.#dataDir = makeDataDir();
    this.#port = await freePort();
    this.#server = await this.#spawn();
  }

  /** Registers `count` users before the first kill, so that every repetition has sign-ins to do. */
  async seed(count = 30): Promise<void> {
    await Promise.all(Array.from({ length: count }, async () => {
      const email = this.#newEmail();
      const a = await this.#send('/auth/register', { json: { email, password: PASSWORD } });
      assert.ok(a.kind === 'answered' && a.status === 201, `seeding: ${JSON.stringify(a)}`);
      this.users.push({ email, id: a.body.user.id as string });
    }));
  }

  async #spawn(): Promise<SpawnedServer> {
    return spawnServer({ dataDir: this.#dataDir, port: this.#port, env: { TESSERA_REFRESH_REUSE_LEEWAY: String(REUSE_LEEWAY_SECONDS) } });
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }

  async #send(path: string, init: { method?: string; headers?: Record<string, string>; json?: unknown }): Promise<Answer> {
    if (this.#killed) return { kind: 'skipped' };
    const s = this.#server!;
    try {
      const res = await s.fetch(path, {
        method: init.method ?? 'POST',
        headers: { ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
        ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      });
      const text = await res.text();
      this.#answered++;
      return { kind: 'answered', status: res.status, body: text === '' ? {} : JSON.parse(text) };
    } catch {
      this.#lost++;
      return { kind: 'lost' };
    }
  }

  #newEmail(): string {
    return `fault-${process.pid}-${++this.#emailCounter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  }

  /** Signs `user` in, JWT mode; records the family only if the server answered 200. */
  async #signInJwt(user: UserEntry): Promise<SessionEntry | undefined> {
    const a = await this.#send('/auth/login', { json: { email: user.email, password: PASSWORD, mode: 'jwt' } });
    if (a.kind !== 'answered' || a.status !== 200) return undefined;
    const credential = a.body.refreshToken as string;
    const entry: SessionEntry = { sid: credential.split('.')[0]!, userId: user.id, mode: 'jwt', credential, generation: 0, pendingRotation: false, state: 'live', busy: true };
    this.sessions.set(entry.sid, entry);
    return entry;
  }

  /** Signs `user` in, session mode (the cookie comes in Set-Cookie); records it only on 200. */
  async #signInSession(user: UserEntry): Promise<SessionEntry | undefined> {
    if (this.#killed) return undefined;
    try {
      const res = await this.#server!.fetch('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: PASSWORD, mode: 'session' }) });
      const body = await res.json() as { session?: { id: string } };
      this.#answered++;
      if (res.status !== 200) return undefined;
      const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${SESSION_COOKIE}=`))!.slice(SESSION_COOKIE.length + 1);
      const entry: SessionEntry = { sid: body.session!.id, userId: user.id, mode: 'session', credential: cookie, generation: 0, pendingRotation: false, state: 'live', busy: true };
      this.sessions.set(entry.sid, entry);
      return entry;
    } catch {
      this.#lost++;
      return undefined;
    }
  }

  async #refresh(entry: SessionEntry): Promise<void> {
    const a = await this.#send('/auth/refresh', { json: { refreshToken: entry.credential } });
    if (a.kind === 'lost') entry.pendingRotation = true;
    else if (a.kind === 'answered') {
      assert.equal(a.status, 200, `refresh of a live family answered ${a.status}: ${JSON.stringify(a.body)}`);
      entry.credential = a.body.refreshToken as string;
      entry.generation++;
    }
  }

  async #signOut(entry: SessionEntry): Promise<void> {
    const a = entry.mode === 'session'
      ? await this.#send('/auth/logout', { headers: { cookie: `${SESSION_COOKIE}=${entry.credential}` } })
      : await this.#send('/auth/logout', { json: { refreshToken: entry.credential } });
    if (a.kind === 'lost') entry.state = 'end-uncertain';
    else if (a.kind === 'answered') {
      assert.equal(a.status, 204, `logout of a live session answered ${a.status}: ${JSON.stringify(a.body)}`);
      entry.state = 'ended';
    }
  }

  async #actor(i: number): Promise<void> {
    const live = [...this.sessions.values()].filter((e) => e.state === 'live' && !e.busy && !e.pendingRotation);
    const role = i % 10;
    if (role === 0 || this.users.length === 0) {
      // Sign up, then sign in.
      const email = this.#newEmail();
      const a = await this.#send('/auth/register', { json: { email, password: PASSWORD } });
      if (a.kind !== 'answered' || a.status !== 201) return;
      const user = { email, id: a.body.user.id as string };
      this.users.push(user);
      const mode = Math.random() < 0.5 ? 'session' : 'jwt';
      const entry = mode === 'session' ? await this.#signInSession(user) : await this.#signInJwt(user);
      if (entry?.mode === 'jwt' && Math.random() < 0.7) await this.#refresh(entry);
      return;
    }
    if (role <= 3) {
      // Sign in an existing user; rotate a few times; sign out half the time.
      const user = pick(this.users)!;
      const mode = Math.random() < 0.5 ? 'session' : 'jwt';
      const entry = mode === 'session' ? await this.#signInSession(user) : await this.#signInJwt(user);
      if (!entry) return;
      if (entry.mode === 'jwt') {
        for (let r = Math.floor(Math.random() * 4); r > 0 && entry.state === 'live' && !entry.pendingRotation; r--) await this.#refresh(entry);
      }
      if (Math.random() < 0.5 && !entry.pendingRotation) await this.#signOut(entry);
      return;
    }
    const entry = pick(live);
    if (!entry) return;
    entry.busy = true;
    if (role <= 6 && entry.mode === 'jwt') {
      for (let r = 1 + Math.floor(Math.random() * 3); r > 0 && !entry.pendingRotation; r--) await this.#refresh(entry);
    } else if (role <= 6) {
      await this.#send('/auth/me', { method: 'GET', headers: { cookie: `${SESSION_COOKIE}=${entry.credential}` } });
    } else {
      await this.#signOut(entry);
    }
  }

  /** One repetition: load, SIGKILL at a random moment, restart, check. */
  async round(round: number): Promise<RoundReport> {
    for (const e of this.sessions.values()) e.busy = false;
    this.#killed = false;
    this.#answered = 0;
    this.#lost = 0;
    // A random moment inside the workload: its length is learnt from the repetitions that
    // finished before their kill, so that most kills land while requests are in flight.
    const plannedKillMs = Math.floor(30 + Math.random() * 0.9 * this.#workloadMs);
    const workloadStarted = performance.now();
    const server = this.#server!;
    const actors = Array.from({ length: ACTORS }, (_, i) => this.#actor(i).catch((error: unknown) => {
      throw new Error(`actor ${i}: ${error instanceof Error ? error.message : String(error)}`);
    }));
    const timer = new Promise<void>((resolve) => setTimeout(resolve, plannedKillMs));
    const workload = Promise.allSettled(actors);
    let finished = false;
    void workload.then(() => {
      if (!this.#killed) {
        finished = true;
        this.#workloadMs = Math.round(performance.now() - workloadStarted);
      }
    });
    await Promise.race([timer, workload]);
    // SIGKILL: no shutdown hook, no flush, whatever is in flight.
    const killAfterMs = Math.round(performance.now() - workloadStarted);
    this.#killed = true;
    server.signal('SIGKILL');
    await server.exited;
    const settled = await workload;
    const actorErrors = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String((r.reason as Error).message));

    const restartStarted = performance.now();
    this.#server = await this.#spawn();
    const restartMs = performance.now() - restartStarted;

    const problems = [...actorErrors];
    const pendingRotations = [...this.sessions.values()].filter((e) => e.pendingRotation && e.state === 'live').length;
    // Clients that lost a refresh answer retry their token first (inside the leeway).
    await this.#retryLostRotations(problems);
    this.#checkDatabase(problems);
    await this.#checkOverHttp(problems);
    const rows = this.#rows();
    const report: RoundReport = {
      round,
      killAfterMs,
      atRest: finished,
      answered: this.#answered,
      lost: this.#lost,
      users: this.users.length,
      liveSessions: [...this.sessions.values()].filter((e) => e.state === 'live').length,
      endedSessions: [...this.sessions.values()].filter((e) => e.state === 'ended').length,
      pendingRotations,
      dbBytes: fileSize(join(this.#dataDir, 'tessera.db')),
      walBytes: fileSize(join(this.#dataDir, 'tessera.db-wal')),
      rows,
      restartMs,
      problems,
    };
    this.reports.push(report);
    return report;
  }

  #open(): Database.Database {
    return new Database(join(this.#dataDir, 'tessera.db'), { readonly: true, fileMustExist: true });
  }

  #successorHash(secret: string): string {
    if (this.#derivationKey === undefined) {
      const db = this.#open();
      try {
        const value = db.prepare("SELECT value FROM server_secrets WHERE name = 'refresh_derivation_key'").pluck().get() as string;
        this.#derivationKey = Buffer.from(value, 'base64url');
      } finally {
        db.close();
      }
    }
    return sha256(createHmac('sha256', this.#derivationKey).update(secret).digest('base64url'));
  }

  async #retryLostRotations(problems: string[]): Promise<void> {
    for (const entry of this.sessions.values()) {
      if (!entry.pendingRotation || entry.state !== 'live') continue;
      const db = this.#open();
      let row: { generation: number; secret_hash: string; revoked_at: number | null } | undefined;
      try {
        row = db.prepare('SELECT generation, secret_hash, revoked_at FROM sessions WHERE id = ?').get(entry.sid) as typeof row;
      } finally {
        db.close();
      }
      const secret = entry.credential.split('.')[1]!;
      if (!row) problems.push(`family ${entry.sid} (rotation in flight) is gone`);
      else if (row.generation === entry.generation) {
        if (row.secret_hash !== sha256(secret)) problems.push(`family ${entry.sid}: generation ${row.generation} but not the answered token`);
      } else if (row.generation === entry.generation + 1) {
        if (row.secret_hash !== this.#successorHash(secret)) problems.push(`family ${entry.sid}: generation +1 but not the successor of the answered token`);
      } else problems.push(`family ${entry.sid}: generation ${row.generation}, answered ${entry.generation} (+1 in flight)`);
      const res = await this.#server!.fetch('/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: entry.credential }) });
      const body = await res.json() as { refreshToken?: string };
      if (res.status !== 200) {
        problems.push(`family ${entry.sid}: the client's retry after the crash answered ${res.status} (the family is lost)`);
        entry.state = 'ended';
      } else {
        if (row && row.generation === entry.generation + 1 && sha256(body.refreshToken!.split('.')[1]!) !== row.secret_hash) {
          problems.push(`family ${entry.sid}: the retry got another successor than the one committed before the crash`);
        }
        // Either the retry rotated (the lost one had not committed), or it was answered the
        // successor committed before the crash: one rotation more than answered, either way.
        entry.credential = body.refreshToken!;
        entry.generation++;
      }
      entry.pendingRotation = false;
    }
  }

  #checkDatabase(problems: string[]): void {
    const db = this.#open();
    try {
      const integrity = db.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
      const fk = db.pragma('foreign_key_check') as unknown[];
      if (fk.length > 0) problems.push(`foreign_key_check: ${JSON.stringify(fk).slice(0, 300)}`);
      const userById = db.prepare('SELECT id FROM users WHERE email_normalized = ?').pluck();
      for (const u of this.users) {
        const id = userById.get(u.email.toLowerCase()) as string | undefined;
        if (id !== u.id) problems.push(`user ${u.email} (201) is ${id === undefined ? 'lost' : 'another id'}`);
      }
      const sessionRow = db.prepare('SELECT user_id, mode, secret_hash, generation, revoked_at, absolute_expires_at FROM sessions WHERE id = ?');
      for (const e of this.sessions.values()) {
        const row = sessionRow.get(e.sid) as { user_id: string; mode: string; secret_hash: string; generation: number; revoked_at: number | null } | undefined;
        if (e.state === 'ended') {
          if (row && row.revoked_at === null) problems.push(`session ${e.sid}: signed out (204) but live again`);
          continue;
        }
        if (e.state === 'end-uncertain') {
          e.state = row && row.revoked_at === null ? 'live' : 'ended';
          continue;
        }
        if (!row) {
          problems.push(`session ${e.sid} (${e.mode}, answered 200) is lost`);
          e.state = 'ended';
          continue;
        }
        if (row.revoked_at !== null) problems.push(`session ${e.sid}: revoked, but never signed out`);
        if (row.user_id !== e.userId || row.mode !== e.mode) problems.push(`session ${e.sid}: changed owner or mode`);
        const secret = e.credential.split('.')[1]!;
        if (row.secret_hash !== sha256(secret)) problems.push(`session ${e.sid}: the stored hash is not that of the last answered credential`);
        if (e.mode === 'jwt' && row.generation !== e.generation) problems.push(`family ${e.sid}: generation ${row.generation}, answered ${e.generation}`);
      }
      const dupes = db.prepare('SELECT secret_hash, COUNT(*) AS n FROM sessions WHERE revoked_at IS NULL GROUP BY secret_hash HAVING n > 1').all();
      if (dupes.length > 0) problems.push(`${dupes.length} secret hashes are live in several records`);
    } finally {
      db.close();
    }
  }

  async #checkOverHttp(problems: string[]): Promise<void> {
    const s = this.#server!;
    const entries = [...this.sessions.values()];
    // Every live session still authenticates; every one signed out this run stays refused.
    const live = entries.filter((e) => e.state === 'live');
    const ended = entries.filter((e) => e.state === 'ended');
    const sample = [...ended.slice(-60), ...Array.from({ length: Math.min(20, ended.length) }, () => pick(ended)!)];
    await Promise.all(live.filter((e) => e.mode === 'session').map(async (e) => {
      const res = await s.fetch('/auth/me', { headers: { cookie: `${SESSION_COOKIE}=${e.credential}` } });
      await res.arrayBuffer();
      if (res.status !== 200) problems.push(`session ${e.sid}: ${res.status} after the restart`);
    }));
    await Promise.all(sample.map(async (e) => {
      const res = e.mode === 'session'
        ? await s.fetch('/auth/me', { headers: { cookie: `${SESSION_COOKIE}=${e.credential}` } })
        : await s.fetch('/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: e.credential }) });
      await res.arrayBuffer();
      if (res.status !== 401) problems.push(`signed-out ${e.mode} ${e.sid}: ${res.status} after the restart (a revoked credential came back)`);
    }));
  }

  #rows(): RoundReport['rows'] {
    const db = this.#open();
    try {
      const n = (sql: string) => db.prepare(sql).pluck().get() as number;
      const now = Date.now();
      return {
        users: n('SELECT COUNT(*) FROM users'),
        sessions: n('SELECT COUNT(*) FROM sessions'),
        liveSessions: n(`SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL AND idle_expires_at > ${now} AND absolute_expires_at > ${now}`),
        deadSessions: n(`SELECT COUNT(*) FROM sessions WHERE revoked_at IS NOT NULL OR idle_expires_at <= ${now} OR absolute_expires_at <= ${now}`),
        revocations: n('SELECT COUNT(*) FROM revocations'),
        expiredRows: n(`SELECT (SELECT COUNT(*) FROM revocations WHERE expires_at <= ${now}) + (SELECT COUNT(*) FROM login_failures WHERE expires_at <= ${now})`),
        auditRows: (db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").pluck().get() as number) > 0 ? n('SELECT COUNT(*) FROM audit_log') : 0,
      };
    } finally {
      db.close();
    }
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** One line per repetition, for the logs and docs/reliability.md. */
export function formatReport(r: RoundReport): string {
  return `round ${r.round}: kill after ${r.killAfterMs} ms${r.atRest ? ' (at rest)' : ''}, ${r.answered} answered, ${r.lost} lost in flight; restart ${r.restartMs.toFixed(0)} ms; users ${r.users}, live ${r.liveSessions}, ended ${r.endedSessions}; db ${(r.dbBytes / 1024).toFixed(0)} KiB + wal ${(r.walBytes / 1024).toFixed(0)} KiB; rows: sessions ${r.rows.sessions} (dead ${r.rows.deadSessions}), revocations ${r.rows.revocations}, expired ${r.rows.expiredRows}, audit ${r.rows.auditRows}${r.problems.length > 0 ? `; PROBLEMS: ${r.problems.join(' | ')}` : ''}`;
}
