import type { FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { clientNetwork } from "../../domain/client-address.ts";
import type { DashboardSessionRow } from "../../store/dashboard-sessions.ts";
import { requireCsrf, resolveSession, signIn, signOut } from "../../tenancy/dashboard-sessions.ts";
import { DashboardSessionRef, described, errors, withExamples } from "../schemas/index.ts";
import type { Api, RouteContext } from "../server.ts";
import { CSRF_HEADER, clearedSessionCookie, sessionCookie, sessionCookieOf } from "../session-cookie.ts";

const SignIn = Type.Object(
  { api_key: Type.String({ minLength: 1, maxLength: 200, description: "An admin API key." }) },
  { additionalProperties: false },
);

const cookieSecurity = [{ dashboardSession: [] }];

const toWire = (s: DashboardSessionRow) => ({
  account_id: s.account_id,
  api_key_id: s.api_key_id,
  csrf_token: s.csrf_token,
  expires_at: s.expires_at.toISOString(),
});

/** The dashboard's sign-in, session and sign-out (docs/security.md#dashboard-sessions). */
export function dashboardSessionRoutes(app: Api, ctx: RouteContext) {
  const tags = ["dashboard"];
  const path = "/v1/dashboard/session";

  /** The session the request's cookie names; a refused cookie is cleared in the browser. */
  async function sessionOf(req: FastifyRequest, reply: FastifyReply) {
    try {
      return await resolveSession(ctx, sessionCookieOf(req.headers.cookie) ?? "");
    } catch (err) {
      void reply.header("set-cookie", clearedSessionCookie(req, ctx.config));
      throw err;
    }
  }

  app.post(
    path,
    {
      config: { public: true },
      schema: {
        tags,
        operationId: "createDashboardSession",
        summary: "Sign in to the dashboard with an admin key",
        description:
          "Sets the `postbox_session` cookie (httpOnly, `SameSite=Strict`, `Secure` over TLS) and answers the " +
          "session with its CSRF token; the key is neither stored in the session nor returned. Agent and ingest keys " +
          "are refused (`403 DASHBOARD_ADMIN_KEY_REQUIRED`). After 10 attempts without a session from one address " +
          "within 15 minutes, every attempt from it answers `429 RATE_LIMITED` until the 15 minutes are over.",
        security: [],
        body: withExamples(SignIn, { api_key: "pbx_live_…" }),
        response: {
          201: described(DashboardSessionRef, "Signed in; the cookie is set."),
          ...errors("INVALID_API_KEY", "DASHBOARD_ADMIN_KEY_REQUIRED", "RATE_LIMITED", "VALIDATION_ERROR"),
        },
      },
    },
    async (req, reply) => {
      const { session, secret } = await signIn(
        {
          db: ctx.db,
          clock: ctx.clock,
          sessionHours: ctx.config.dashboard.sessionHours,
          verifyKey: (key) => ctx.auth.authenticateKey(key.trim(), { fresh: true }),
        },
        { apiKey: req.body.api_key, client: clientNetwork(req.ip) },
      );
      const maxAge = Math.round((session.expires_at.getTime() - ctx.clock.now().getTime()) / 1000);
      return reply
        .status(201)
        .header("set-cookie", sessionCookie(req, ctx.config, secret, maxAge))
        .header("cache-control", "no-store")
        .send(toWire(session));
    },
  );

  app.get(
    path,
    {
      config: { public: true },
      schema: {
        tags,
        operationId: "getDashboardSession",
        summary: "The dashboard session of the cookie",
        description:
          "Answers the session the `postbox_session` cookie names, with its CSRF token (a reloaded page recovers it " +
          "here); `401` when there is none or it has expired (and the cookie is cleared).",
        security: cookieSecurity,
        response: {
          200: described(DashboardSessionRef, "The session is live."),
          ...errors("UNAUTHENTICATED", "SESSION_EXPIRED"),
        },
      },
    },
    async (req, reply) => {
      const { session } = await sessionOf(req, reply);
      return reply.header("cache-control", "no-store").send(toWire(session));
    },
  );

  app.delete(
    path,
    {
      config: { public: true },
      schema: {
        tags,
        operationId: "deleteDashboardSession",
        summary: "Sign out of the dashboard",
        description:
          "Deletes the cookie's session (the cookie authenticates nothing from then on) and clears the cookie. " +
          "Needs the session's CSRF token in `x-csrf-token`.",
        security: cookieSecurity,
        response: {
          204: { type: "null", description: "Signed out; the cookie is cleared." },
          ...errors("UNAUTHENTICATED", "SESSION_EXPIRED", "CSRF_TOKEN_INVALID"),
        },
      },
    },
    async (req, reply) => {
      const { session } = await sessionOf(req, reply);
      requireCsrf(session, req.headers[CSRF_HEADER]);
      await signOut(ctx, session);
      return reply.status(204).header("set-cookie", clearedSessionCookie(req, ctx.config)).send(null);
    },
  );
}
