/**
 * Running an example's `main(options)` against a mock exchange in manual mode (the market moves
 * only on `mock.tick()`), so every printed line can be compared with what the mock holds.
 */
import { onTestFinished } from 'vitest';
import { startMockUpbit, type MockUpbit } from '../../src/mock/index.js';

export async function manualMock(): Promise<MockUpbit> {
  const mock = await startMockUpbit({ manual: true, seed: 11 });
  onTestFinished(() => mock.close());
  return mock;
}

/** The subscriptions the mock holds for live connections of one endpoint. */
export const subscribedTypes = (mock: MockUpbit, endpoint: 'public' | 'private'): string[] =>
  mock
    .connections()
    .filter((c) => c.endpoint === endpoint)
    .flatMap((c) => c.subscriptions.map((s) => s.type));

export { waitFor } from '../integration/helpers.js';
