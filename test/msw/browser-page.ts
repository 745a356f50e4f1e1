/**
 * The page of the MSW browser test: MSW's service worker with our handlers, and the Traceloom
 * client calling the API origin through it. Bundled by esbuild for the browser in the test.
 */
import { setupWorker } from 'msw/browser';
import { createClient } from '../../src/client/index.js';
import { createMswHandlers } from '../../src/msw/index.js';

interface Sent {
  at: number;
  status: number;
  arrived: number;
  retryAfter: string | null;
  ratelimit: string | null;
}

/** Starts the worker, spends the `default` limit with plain fetches, then lets the client read through a 429. */
async function run(key: string): Promise<unknown> {
  const api = createMswHandlers({ policies: ['default=2/2s'] });
  const worker = setupWorker(...api);
  await worker.start({ serviceWorker: { url: '/mockServiceWorker.js' }, onUnhandledRequest: 'error', quiet: true });
  const headers = { authorization: `Bearer ${key}` };
  // Two plain requests spend the limit: the client has seen no header yet, so its first call meets the 429.
  const spent = [];
  for (let i = 0; i < 2; i++) spent.push((await fetch(`${api.baseUrl}/v1/usage`, { headers })).status);
  const sent: Sent[] = [];
  const client = createClient({
    apiKey: key,
    baseUrl: api.baseUrl,
    // What the client sends and when, as the service worker answers it.
    fetch: async (request) => {
      const at = performance.now();
      const response = await fetch(request);
      sent.push({
        at,
        status: response.status,
        arrived: performance.now(),
        retryAfter: response.headers.get('retry-after'),
        ratelimit: response.headers.get('ratelimit'),
      });
      return response;
    },
  });
  const results = [];
  for (let i = 0; i < 4; i++) {
    const r = await client.GET('/v1/usage');
    results.push(r.response?.status ?? -1);
  }
  await worker.stop();
  return { spent, results, sent };
}

(window as unknown as { runMswTest: typeof run }).runMswTest = run;
