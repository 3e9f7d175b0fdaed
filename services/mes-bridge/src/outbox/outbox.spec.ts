import { waitFor } from '@millrace/kafka/testing';
import { Observability } from '@millrace/observability';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MesCallError } from './mes-client.js';
import { Outbox, type OutboxItem } from './outbox.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function outbox(dir: string, deliver: (item: OutboxItem) => Promise<void>, maxAttempts = 3) {
  const observability = new Observability('test', { logLevel: 'silent', defaultMetrics: false });
  return new Outbox({
    dir,
    maxBytes: 1024 * 1024,
    policy: { maxAttempts, initialMs: 1, maxMs: 5 },
    deliver,
    metrics: observability.metrics,
    logger: observability.logger,
  });
}

const item = (id: string): OutboxItem => ({ id, kind: 'qc-result', createdTs: 1, payload: { cellId: id } });

describe('Outbox', () => {
  it('delivers in order, retrying a failure until it passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'millrace-outbox-'));
    dirs.push(dir);
    const seen: string[] = [];
    let failures = 2;
    const box = outbox(dir, (next) => {
      seen.push(next.id);
      if (next.id === 'a' && failures-- > 0) return Promise.reject(new MesCallError('HTTP 503', true, 503));
      return Promise.resolve();
    });
    await box.append([item('a'), item('b')]);
    box.start();
    await waitFor(() => box.status().depth === 0, 5_000, 'drained');
    await box.stop();
    expect(seen).toEqual(['a', 'a', 'a', 'b']);
  });

  it('dead-letters after maxAttempts, and at once for a refusal; the rest goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'millrace-outbox-'));
    dirs.push(dir);
    const delivered: string[] = [];
    const box = outbox(dir, (next) => {
      if (next.id === 'down') return Promise.reject(new MesCallError('ECONNREFUSED', true));
      if (next.id === 'bad') return Promise.reject(new MesCallError('HTTP 400', false, 400));
      delivered.push(next.id);
      return Promise.resolve();
    });
    await box.append([item('down'), item('bad'), item('ok')]);
    box.start();
    await waitFor(() => box.status().depth === 0, 5_000, 'drained');
    expect(delivered).toEqual(['ok']);
    expect(box.status().deadLetters).toBe(2);
    expect(
      box.deadLetters(10).map((entry) => [(entry.item as OutboxItem).id, entry.attempts, entry.reason]),
    ).toEqual([
      ['down', 3, '3 attempts failed; last: ECONNREFUSED'],
      ['bad', 1, 'refused by the MES: HTTP 400'],
    ]);
    await box.stop();
  });

  it('keeps undelivered items across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'millrace-outbox-'));
    dirs.push(dir);
    const first = outbox(dir, () => Promise.reject(new MesCallError('ECONNREFUSED', true)), 1_000);
    await first.append([item('a'), item('b')]);
    first.start();
    await waitFor(() => (first.status().delivering?.attempts ?? 0) >= 2, 5_000, 'retrying');
    await first.stop();
    const delivered: string[] = [];
    const second = outbox(dir, (next) => {
      delivered.push(next.id);
      return Promise.resolve();
    });
    expect(second.status().depth).toBe(2);
    second.start();
    await waitFor(() => delivered.length === 2, 5_000, 'delivered after restart');
    await second.stop();
    expect(delivered).toEqual(['a', 'b']);
  });
});
