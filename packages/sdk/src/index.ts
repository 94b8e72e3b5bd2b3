export { type Page, Postbox, type PostboxOptions, type RetryInfo } from "./client.ts";
export {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  ForbiddenError,
  NotFoundError,
  PostboxError,
  RateLimitError,
  ValidationError,
} from "./errors.ts";
export type * from "./types.ts";
export { verifyWebhookSignature, WebhookSignatureError } from "./webhook-signature.ts";
