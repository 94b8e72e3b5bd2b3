import http from "node:http";
import type { AddressInfo } from "node:net";
import type { MetricsConfig } from "../platform/config.ts";
import type { Logger } from "../platform/logger.ts";
import type { Metrics } from "../platform/metrics.ts";
import { bearsToken } from "./routes/metrics.ts";

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /metrics` on a port of its own (POSTBOX_METRICS_PORT), for processes of any role. It listens on loopback
 * unless POSTBOX_METRICS_HOST says otherwise, and asks for no key unless POSTBOX_METRICS_TOKEN is set.
 */
export async function startMetricsListener(deps: {
  config: MetricsConfig;
  metrics: Metrics;
  logger: Logger;
}): Promise<MetricsListener> {
  const { config, metrics, logger } = deps;
  const json = (res: http.ServerResponse, status: number, code: string, error: string) =>
    res
      .writeHead(status, { "content-type": "application/json; charset=utf-8" })
      .end(JSON.stringify({ error, code }));
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD"))
      return json(
        res,
        404,
        "ROUTE_NOT_FOUND",
        `no route ${req.method} ${path}; this port serves GET /metrics`,
      );
    if (config.token !== null && !bearsToken(req.headers.authorization, config.token))
      return json(res, 401, "UNAUTHENTICATED", "send Authorization: Bearer <POSTBOX_METRICS_TOKEN>");
    metrics.text().then(
      (text) =>
        res.writeHead(200, { "content-type": metrics.contentType }).end(req.method === "HEAD" ? "" : text),
      (err) => {
        logger.error("metrics could not be collected", { err: String(err) });
        json(res, 500, "INTERNAL_ERROR", "the metrics could not be collected");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port ?? 0, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
