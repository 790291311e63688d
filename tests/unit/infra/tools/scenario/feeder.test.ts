/** infra/tools/scenario/feeder.ts against a stand-in API: paced predictions with their features, each truth after its delay. */
import { afterEach, describe, expect, it } from 'vitest';
import { FeedError, type FeedProgress, feedScenario } from '../../../../../infra/tools/scenario/feeder.js';
import { type FakeApi, startFakeApi } from '../../../../helpers/fakeApi.js';

let api: FakeApi | undefined;
afterEach(() => api?.close());

let counter = 0;
const next = () => {
  counter++;
  return { features: { bmi: counter / 100, s5: 0.1 }, prediction: 100 + counter, truth: 90 + counter };
};

type Item = { id: string; body: number; model?: string; timestamp?: number; features?: Record<string, number> };

describe('feedScenario', () => {
  it('sends rate predictions a second with features, model and time, and each truth once its delay has passed', async () => {
    api = await startFakeApi();
    const progress: FeedProgress[] = [];
    const started = Date.now();

    const done = await feedScenario(next, {
      url: api.url,
      rate: 4,
      durationMs: 2_500,
      labelDelayMs: 1_200,
      model: 'ols-test',
      idPrefix: 'run1',
      progressEveryMs: 1_000,
      onProgress: (p) => progress.push(p),
    });

    const predictions = api.requests.filter((r) => r.path === '/predictions');
    const truths = api.requests.filter((r) => r.path === '/truths');
    expect(predictions.map((r) => (r.body as Item[]).length)).toEqual([4, 4, 4]);
    const madeAt = new Map(predictions.flatMap((r) => (r.body as Item[]).map((item) => [item.id, item.timestamp ?? 0] as const)));
    const first = (predictions[0]!.body as Item[])[0];
    expect(first).toEqual({
      id: 'run1-0',
      body: expect.any(Number),
      model: 'ols-test',
      timestamp: expect.any(Number),
      features: { bmi: expect.any(Number), s5: 0.1 },
    });
    expect(first?.timestamp).toBeGreaterThanOrEqual(started);
    const labelled = truths.flatMap((r) => (r.body as Item[]).map((item) => ({ ...item, at: r.at })));
    expect(labelled.map((item) => item.id).sort()).toEqual([...madeAt.keys()].sort());
    for (const truth of labelled) {
      expect(Object.keys(truth).sort()).toEqual(['at', 'body', 'id']);
      // Due 1.2 s after its prediction was made (its timestamp), and never sent before.
      expect(truth.at - (madeAt.get(truth.id) ?? 0)).toBeGreaterThanOrEqual(1_200);
    }
    expect(done).toMatchObject({ sent: 12, labelled: 12 });
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]?.sent).toBeGreaterThan(0);
  });

  it("stops with the API's reason when it refuses a row", async () => {
    api = await startFakeApi(() => ({ status: 400, body: { errors: [{ index: 0, reason: 'unknown field "features"' }] } }));

    const run = feedScenario(next, { url: api.url, rate: 1, durationMs: 5_000, labelDelayMs: 0, model: 'm', idPrefix: 'x' });

    await expect(run).rejects.toThrow(FeedError);
    await expect(run).rejects.toThrow(/the API refused a row of .*\/predictions: unknown field "features"/);
  });
});
