import type { InjectOptions, LightMyRequestResponse } from "fastify";

/** Fastify's inject: a request answered in process. */
export type Inject = (opts: InjectOptions) => Promise<LightMyRequestResponse>;

/**
 * A fetch that answers from this API in process (fastify's inject): no socket, no port, the same hooks, routes,
 * use-cases and access checks as a request from outside. Every request carries `authorization`, the header of the
 * request that made it, so it acts with exactly the caller's key.
 */
export function inProcessFetch(inject: Inject, authorization: string): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = Object.fromEntries(new Headers(init?.headers));
    headers.authorization = authorization;
    const body = init?.body;
    if (body !== undefined && body !== null && typeof body !== "string" && !(body instanceof Uint8Array))
      throw new TypeError("the in-process client sends only JSON or bytes");
    const res = await inject({
      method: (init?.method ?? "GET") as "GET",
      url: url.pathname + url.search,
      headers,
      payload: body instanceof Uint8Array ? Buffer.from(body) : (body ?? undefined),
    });
    const out = new Headers();
    for (const [name, value] of Object.entries(res.headers))
      for (const v of [value].flat()) if (v !== undefined) out.append(name, String(v));
    const empty = res.statusCode === 204 || res.statusCode === 304;
    return new Response(empty ? null : new Uint8Array(res.rawPayload), {
      status: res.statusCode,
      headers: out,
    });
  };
}
