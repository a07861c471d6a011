import type { FailureCount } from '../../src/stores/types.js';
import type { LoginFailureStore } from '../../src/ratelimit/login-throttle.js';

/**
 * A tiny in-memory implementation of the four login-failure methods of the Store contract,
 * with the contract's sliding-window semantics: a failure counts when `at >= since`. It
 * also logs every call, so tests can compare what two code paths did to the store.
 */
export class FakeFailureStore implements LoginFailureStore {
  readonly entries = new Map<string, { at: number; expiresAt: number }[]>();
  readonly calls: string[] = [];

  async addLoginFailure(key: string, at: number, since: number, expiresAt: number): Promise<FailureCount> {
    this.calls.push(`add ${key} ${at} ${since} ${expiresAt}`);
    const list = this.entries.get(key) ?? [];
    list.push({ at, expiresAt });
    this.entries.set(key, list);
    return this.#count(key, since);
  }

  async countLoginFailures(key: string, since: number): Promise<FailureCount> {
    this.calls.push(`count ${key} ${since}`);
    return this.#count(key, since);
  }

  async clearLoginFailures(key: string): Promise<void> {
    this.calls.push(`clear ${key}`);
    this.entries.delete(key);
  }

  async removeLoginFailure(key: string, at: number): Promise<void> {
    this.calls.push(`remove ${key} ${at}`);
    const list = this.entries.get(key) ?? [];
    const i = list.findIndex((e) => e.at === at);
    if (i >= 0) list.splice(i, 1);
  }

  #count(key: string, since: number): FailureCount {
    const counted = (this.entries.get(key) ?? []).filter((e) => e.at >= since);
    if (counted.length === 0) return { count: 0, oldestAt: null };
    return { count: counted.length, oldestAt: Math.min(...counted.map((e) => e.at)) };
  }
}
