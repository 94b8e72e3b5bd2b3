import type { FastifyRequest } from "fastify";
import { AppError } from "../domain/errors.ts";
import { emailEffectOf } from "../domain/verdict.ts";
import type { SendResult } from "../outbound/send/types.ts";
import { scanToWire } from "./wire.ts";

/** Whether the request's `Prefer` header (RFC 7240) asks for a preference, e.g. `outcome=strict`. */
export function prefers(req: FastifyRequest, preference: string): boolean {
  const header = req.headers.prefer;
  const values = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",");
  return values.some((v) => v.split(";")[0]!.trim().toLowerCase() === preference);
}

/**
 * A send's answer on the wire. By default every decided send answers 200 with its `email_effect`; with
 * `Prefer: outcome=strict` a send that did not go out answers non-2xx — 422 blocked, 409 held for a human — with
 * the whole result in `details`, so a client that treats non-2xx as failure cannot mistake a hold for a success.
 * (A held send is never an error a client should retry: the effect says `retryable: false`.)
 */
export function sendOutcome(req: FastifyRequest, r: SendResult): SendResult {
  // Results stored for idempotent replay before these fields existed still answer in full.
  const result: SendResult = {
    ...r,
    scan: scanToWire(r.scan)!,
    daily_limit: r.daily_limit ?? null,
    email_effect: r.email_effect ?? emailEffectOf(r.status),
  };
  if (!prefers(req, "outcome=strict") || result.email_effect.effect_status === "sent") return result;
  if (result.email_effect.effect_status === "blocked")
    throw new AppError(
      "unprocessable",
      "EMAIL_EFFECT_BLOCKED",
      "the message was blocked and will not be sent",
      {
        ...result,
      },
    );
  throw new AppError(
    "conflict",
    "EMAIL_EFFECT_HELD",
    "the message is held for a human to review; it is not sent unless released",
    { ...result },
  );
}
