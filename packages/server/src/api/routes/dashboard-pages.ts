import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { FastifyReply, FastifyRequest } from "fastify";
import { errors } from "../schemas/index.ts";
import type { Api, RouteContext } from "../server.ts";

/** What the dashboard's pages may load: only this origin, no inline script, no framing of the dashboard. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
  "frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
};

/** Types worth compressing (images and fonts are compressed already). */
const COMPRESSIBLE = /^(text\/|application\/(json|manifest)|image\/svg)/;

interface Page {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  /** Built assets carry a content hash in their name: they never change under it. */
  immutable: boolean;
}

/**
 * Reads the built dashboard into memory, once: every file under dir by its URL path, compressed when that pays.
 * Requests are answered from this map only, so no request path ever reaches the file system (no traversal).
 */
async function loadPages(dir: string): Promise<Map<string, Page>> {
  const pages = new Map<string, Page>();
  async function walk(sub: string) {
    for (const e of await readdir(path.join(dir, sub), { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(rel);
      else if (e.isFile()) {
        const body = await readFile(path.join(dir, rel));
        const type = TYPES[path.extname(e.name).toLowerCase()] ?? "application/octet-stream";
        const packed = COMPRESSIBLE.test(type) && body.length > 256 ? gzipSync(body) : null;
        pages.set(rel, {
          body,
          gzip: packed && packed.length < body.length ? packed : null,
          type,
          immutable: rel.startsWith("assets/"),
        });
      }
    }
  }
  await walk("");
  return pages;
}

function acceptsGzip(header: string | undefined): boolean {
  for (const part of (header ?? "").toLowerCase().split(",")) {
    const [coding, ...params] = part.split(";").map((s) => s.trim());
    if (coding !== "gzip" && coding !== "*") continue;
    const q = params.find((p) => p.startsWith("q="));
    return !q || Number(q.slice(2)) > 0;
  }
  return false;
}

/**
 * The dashboard's pages (packages/dashboard/dist, or POSTBOX_DASHBOARD_DIR) under /dashboard/, and `/` sending the
 * browser there. A path with no file and no extension gets index.html, so the page's own routes survive a reload.
 */
export function dashboardPageRoutes(app: Api, ctx: RouteContext) {
  let loaded: Promise<Map<string, Page>> | null = null;
  // Loaded at the first request; a missing bundle is looked for again next time (the dashboard is being built).
  const pages = async () => {
    loaded ??= loadPages(ctx.config.dashboard.dir);
    try {
      return await loaded;
    } catch {
      loaded = null;
      return new Map<string, Page>();
    }
  };

  const schema = { hide: true, response: errors("NOT_FOUND") };
  const config = { public: true, page: true };

  app.get("/", { config, schema }, async (_req, reply) => reply.redirect("/dashboard/", 302));
  app.get("/dashboard", { config, schema }, async (_req, reply) => reply.redirect("/dashboard/", 302));

  async function serve(req: FastifyRequest, reply: FastifyReply) {
    const rel = ((req.params as { "*"?: string })["*"] ?? "").replace(/^\/+/, "");
    const all = await pages();
    void reply
      .header("content-security-policy", DASHBOARD_CSP)
      .header("x-frame-options", "DENY")
      .header("referrer-policy", "no-referrer");
    const isPage = !rel.startsWith("assets/") && !path.posix.extname(rel);
    const page = all.get(rel) ?? (isPage ? all.get("index.html") : undefined);
    if (!page)
      return reply.status(404).send({
        error: all.has("index.html")
          ? `the dashboard has no file ${JSON.stringify(rel)}`
          : "the dashboard is not built: build packages/dashboard or set POSTBOX_DASHBOARD_DIR",
        code: "NOT_FOUND",
      });
    const gzip = page.gzip && acceptsGzip(req.headers["accept-encoding"]);
    void reply
      .header("content-type", page.type)
      .header("cache-control", page.immutable ? "public, max-age=31536000, immutable" : "no-cache")
      .header("vary", "accept-encoding");
    if (gzip) void reply.header("content-encoding", "gzip");
    return reply.send(gzip ? page.gzip : page.body);
  }

  app.get("/dashboard/", { config, schema }, serve);
  app.get("/dashboard/*", { config, schema }, serve);
}
