/**
 * The mock console (DESIGN §5): `GET /__mock/` serves a self-contained page that shows the
 * mock's state and drives its control API; `GET /__mock/events` streams this instance's
 * answered requests. The mock mounts it behind the control API's localhost-only check and
 * `--no-control` switch; every other `/__mock` path falls through to the control API.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsoleEvents } from './events.js';
import { consolePage } from './page.js';

export { ConsoleEvents, type RequestEvent } from './events.js';
export { tenantLimits, type LimitView } from './limits.js';

/** The console of one mock instance. */
export interface MockConsole {
  /** The request/state event bus; the mock publishes each request's log entry to it. */
  readonly events: ConsoleEvents;
  /**
   * Answers `GET /__mock/` and `GET /__mock/events` and returns true; for any other control
   * request returns false (the control API answers it) and, when it may change state, tells
   * the pages once it is answered.
   */
  route(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** Ends open event streams so the server can close. */
  close(): void;
}

/** Creates the console: its page (built once) and its event bus. */
export function createConsole(): MockConsole {
  const events = new ConsoleEvents();
  const page = consolePage();
  return {
    events,
    route(req, res, path) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (path === '/__mock' || path === '/__mock/') {
          req.resume();
          res.writeHead(200, {
            'Content-Type': 'text/html; charset=utf-8',
            'Content-Length': page.body.length,
            'Cache-Control': 'no-store',
            // Only this page's own script and style run, and it talks only to this server.
            'Content-Security-Policy': page.csp,
            'X-Content-Type-Options': 'nosniff',
            'Referrer-Policy': 'no-referrer',
          });
          res.end(req.method === 'HEAD' ? undefined : page.body);
          return true;
        }
        if (path === '/__mock/events') {
          events.serve(req, res);
          return true;
        }
        return false;
      }
      res.once('finish', () => {
        if (res.statusCode < 400) events.stateChanged();
      });
      return false;
    },
    close: () => events.close(),
  };
}
