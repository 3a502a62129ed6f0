import { describe, expect, it } from 'vitest';
import { Semaphore, tokenSlots } from '#lib/wolkvox/limiter.ts';

describe('Semaphore', () => {
  it('grants at most `limit` at once and serves waiters in order', async () => {
    const semaphore = new Semaphore(2);
    const order: number[] = [];
    const a = await semaphore.acquire();
    const b = await semaphore.acquire();
    const waiters = [3, 4, 5].map((n) => semaphore.acquire().then((release) => ({ n, release })));
    expect(semaphore.active).toBe(2);
    expect(semaphore.queued).toBe(3);
    a();
    a(); // a second release of the same slot must not free another one
    const third = await waiters[0];
    order.push(third?.n ?? -1);
    expect(semaphore.active).toBe(2);
    expect(semaphore.queued).toBe(2);
    b();
    third?.release();
    const [fourth, fifth] = await Promise.all([waiters[1], waiters[2]]);
    order.push(fourth?.n ?? -1, fifth?.n ?? -1);
    expect(order).toEqual([3, 4, 5]);
    fourth?.release();
    fifth?.release();
    expect(semaphore.active).toBe(0);
  });

  it('drops a waiter whose signal aborts, without consuming a slot', async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    controller.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    expect(semaphore.queued).toBe(0);
    held();
    expect(semaphore.active).toBe(0);
    await expect(semaphore.acquire(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('keeps one semaphore per token value, of the given limit', async () => {
    const slots = tokenSlots(1);
    expect(slots('token-a')).toBe(slots('token-a'));
    expect(slots('token-a')).not.toBe(slots('token-b'));
    const release = await slots('token-a').acquire();
    expect(slots('token-a').active).toBe(1);
    let second = false;
    void slots('token-a')
      .acquire()
      .then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    release();
    await Promise.resolve();
    expect(second).toBe(true);
  });
});
