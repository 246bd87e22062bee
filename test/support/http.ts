/** Response bodies in tests are asserted field by field, so they are read loosely typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const readJson = (res: Response): Promise<Json> => res.json() as Promise<Json>;

/** A JSON POST (or other method) for `app.request`. */
export const jsonRequest = (body: unknown, headers: Record<string, string> = {}, method = 'POST'): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
