/**
 * A request's target (path and query) as the WHATWG URL parser gives them, without building a
 * URL for every request: a target of plain characters (what clients send) is taken as it is,
 * anything else (dot segments, characters the parser would percent-encode, `//`, a fragment) goes
 * through `new URL`. A property test holds both ways to the parser's answers.
 * @module
 */

/** The parts of a request target the pipeline reads; `url()` builds the full URL on demand. */
export interface RequestTarget {
  /** The path, as `URL.pathname`. */
  readonly pathname: string;
  /** `?` and the query, or '' (as `URL.search`). */
  readonly search: string;
  /** The query's parameters (made on first use). */
  readonly searchParams: URLSearchParams;
  /** The target as a URL on `http://localhost` (made on first use, then the same object). */
  url(): URL;
}

const BASE = 'http://localhost';

/**
 * Characters the URL parser keeps as they are, in a path and in a query of an http URL (no
 * `'`: a special URL's query encodes it). A `%` stays as it is in a query; a path with one goes
 * to the parser (`%2e` may be a dot segment), and so does one with a segment that starts with a
 * dot (`.` and `..` are resolved away).
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const PLAIN_QUERY = /^[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;

class Target implements RequestTarget {
  private params: URLSearchParams | undefined;
  private full: URL | undefined;
  constructor(
    readonly pathname: string,
    readonly search: string,
    full?: URL,
  ) {
    this.full = full;
  }
  get searchParams(): URLSearchParams {
    return (this.params ??= this.full ? this.full.searchParams : new URLSearchParams(this.search));
  }
  url(): URL {
    return (this.full ??= new URL(this.pathname + this.search, BASE));
  }
}

/** The path and query of a request target (`req.url` of node:http: path and query as sent). */
export function targetOf(raw: string): RequestTarget {
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q + 1);
  if (PLAIN_PATH.test(path) && !path.includes('/.') && (query === '' || PLAIN_QUERY.test(query))) {
    return new Target(path, query === '' ? '' : '?' + query);
  }
  const url = new URL(raw, BASE);
  return new Target(url.pathname, url.search, url);
}
