"""Python SDK for Postbox, self-hosted governed email for AI agents.

    from postbox import Postbox

    pb = Postbox()  # POSTBOX_API_KEY and POSTBOX_URL from the environment
    mailbox = pb.mailboxes.create(name="support")
"""

from ._version import __version__
from .errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PostboxConnectionError,
    PostboxError,
    RateLimitError,
    ValidationError,
    WebhookSignatureError,
)
from .pagination import Page
from .resources import Postbox
from .resources_async import AsyncPostbox
from .retry import RetryInfo
from .transport import NOT_GIVEN, NotGiven
from .webhooks import verify_webhook_signature

__all__ = [
    "__version__",
    "Postbox",
    "AsyncPostbox",
    "Page",
    "RetryInfo",
    "NOT_GIVEN",
    "NotGiven",
    "PostboxError",
    "AuthenticationError",
    "ForbiddenError",
    "NotFoundError",
    "ConflictError",
    "ValidationError",
    "RateLimitError",
    "PostboxConnectionError",
    "WebhookSignatureError",
    "verify_webhook_signature",
]
