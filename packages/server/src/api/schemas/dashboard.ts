import { type TSchema, Type } from "typebox";
import { component, Timestamp, Uuid } from "./common.ts";

export const DashboardSessionRef: TSchema = component(
  "DashboardSession",
  Type.Object(
    {
      account_id: Uuid,
      api_key_id: {
        ...Uuid,
        description: "The admin key the session acts as (the key itself is never returned).",
      },
      csrf_token: Type.String({
        description: "Send it in the `x-csrf-token` header with every change made with the session cookie.",
      }),
      expires_at: { ...Timestamp, description: "When the session ends; sign in again after it." },
    },
    {
      description:
        "A dashboard session: the browser holds its secret in the httpOnly `postbox_session` cookie, the page holds " +
        "the CSRF token.",
    },
  ),
);
