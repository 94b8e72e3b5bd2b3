import { ConfigError, loadConfig, startPostbox } from "@postbox/server";

/** `postbox serve`: start every configured role and stop cleanly on SIGINT / SIGTERM. */
export async function serve(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  let pb: Awaited<ReturnType<typeof startPostbox>>;
  try {
    config = loadConfig(process.env);
    pb = await startPostbox(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`postbox: configuration error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const lines = [`Postbox is running (database: ${pb.db.kind}, domain: ${config.domain})`];
  if (pb.httpPort !== null) lines.push(`  API   http://${hostForUrl(config.host)}:${pb.httpPort}/v1`);
  if (pb.httpPort !== null && config.dashboard.enabled)
    lines.push(
      `  Web   http://${hostForUrl(config.host)}:${pb.httpPort}/dashboard/  (sign in with an admin key)`,
    );
  if (pb.smtpPort !== null)
    lines.push(`  SMTP  ${hostForUrl(config.host)}:${pb.smtpPort}  (mail for <name>@${config.domain})`);
  if (pb.createdAdminKey) {
    lines.push(
      "",
      "  Admin key (shown once; also saved to " + pb.adminKeyFile + "):",
      `  ${pb.createdAdminKey}`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      // A second signal while shutting down means "now".
      if (stopping) process.exit(signal === "SIGINT" ? 130 : 143);
      stopping = true;
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  // close() finishes within POSTBOX_SHUTDOWN_GRACE_MS; work it left behind must not keep the process alive.
  await pb.close();
  setTimeout(() => process.exit(0), 500).unref();
  return 0;
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
