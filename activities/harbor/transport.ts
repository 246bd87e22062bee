import createClient from 'openapi-fetch';
import type { paths } from './generated/harbor-api';
import { harborFailure, harborNetworkFailure } from './errors';

export interface HarborClientOptions {
  /** Harbor's base URL, without `/api/v2.0`. */
  baseUrl: string;
  username: string;
  password: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface Page<T> {
  items: T[];
  total: number;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Harbor wants repository names in paths URL-encoded twice (`a/b` → `a%252Fb`); openapi-fetch encodes once. */
export const repo = (name: string) => encodeURIComponent(name);
export const byName = { 'X-Is-Resource-Name': true } as const;

export function idFromLocation(response: Response): number {
  const id = Number(response.headers.get('location')?.split('/').pop());
  if (!Number.isInteger(id)) throw new Error('Harbor answered 201 without a usable Location header');
  return id;
}

export const totalCount = (response: Response, fallback: number) => Number(response.headers.get('x-total-count') ?? fallback);

/**
 * How every Harbor call is made, for one instance: the typed API v2.0 over openapi-fetch with
 * credentials and a time-out, errors turned into Temporal failures, paging, and the registry
 * endpoint. The activities' client and the tests' admin client are both built on it.
 */
export function createHarborTransport(opts: HarborClientOptions) {
  const timeoutMs = opts.timeoutMs ?? 8_000;
  const baseFetch = opts.fetch ?? fetch;
  const authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
  const api = createClient<paths>({
    baseUrl: `${opts.baseUrl.replace(/\/+$/, '')}/api/v2.0`,
    headers: { authorization },
    fetch: (request: Request) => baseFetch(request, { signal: AbortSignal.timeout(timeoutMs) }),
  });

  /** Awaits a call and turns anything but 2xx into a Temporal failure. */
  async function call<T>(operation: string, request: () => Promise<Result<T>>): Promise<{ data: T; response: Response }> {
    let result: Result<T>;
    try {
      result = await request();
    } catch (err) {
      throw harborNetworkFailure(operation, err);
    }
    if (!result.response.ok) throw harborFailure(operation, result.response, result.error);
    return { data: result.data as T, response: result.response };
  }

  /** Every page of a paged list (Harbor caps page_size at 100). */
  async function all<T>(fetchPage: (page: number, pageSize: number) => Promise<Page<T>>, pageSize = 100): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const next = await fetchPage(page, pageSize);
      items.push(...next.items);
      if (next.items.length < pageSize || items.length >= next.total) return items;
    }
  }

  /** Every item of a list Harbor pages, page after page (a project can have more than 100 members or robots). */
  const everyPage = <T>(operation: string, request: (page: number, pageSize: number) => Promise<Result<T[]>>) =>
    all(async (page, pageSize) => {
      const { data, response } = await call(operation, () => request(page, pageSize));
      const items = data ?? [];
      return { items, total: totalCount(response, (page - 1) * pageSize + items.length) };
    });

  /** Harbor's registry endpoint (/v2/ on the same host) for manifests and blobs. */
  async function registryGet(operation: string, path: string, accept?: string): Promise<unknown> {
    let res: Response;
    try {
      res = await baseFetch(`${opts.baseUrl.replace(/\/+$/, '')}/v2/${path}`, {
        headers: { authorization, ...(accept ? { accept } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw harborNetworkFailure(operation, err);
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) throw harborFailure(operation, res, body);
    return body;
  }

  return { api, call, all, everyPage, registryGet };
}

export type HarborTransport = ReturnType<typeof createHarborTransport>;
