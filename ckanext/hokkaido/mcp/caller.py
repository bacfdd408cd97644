"""Who calls a tool, and running the tool in CKAN with that caller's rights.

Over HTTP the caller is the owner of the CKAN API token in the
``Authorization`` header (none: an anonymous visitor, public data only); over
stdio it is the owner of the token in ``CKAN_API_TOKEN`` (the desktop
client's configured secret). A tool runs inside a request context of the
portal's own Flask app, logged in as that user, and calls CKAN's actions
with ``{"user": name}``: the same checks as the action API.

Limits: calls per client per minute (Redis), every refusal a
:class:`ToolRefused` in Japanese and English that names nothing the caller
may not see: a dataset that is private and one that does not exist get the
same answer.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, NamedTuple, Optional, TypeVar

from ckan.plugins import toolkit
from mcp.server.mcpserver.exceptions import ToolError

__all__ = ["Caller", "ToolRefused", "anonymous", "caller_for_token", "run_as", "refuse", "check_rate"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class Caller(NamedTuple):
    """``user``: a CKAN user name or "" (anonymous); ``client``: what the
    rate limit counts (the user, else the address)."""
    user: str
    client: str


class ToolRefused(ToolError):
    """A tool's refusal, in Japanese then English."""

    def __init__(self, ja: str, en: str) -> None:
        super().__init__(f"{ja} / {en}")
        self.ja, self.en = ja, en


def refuse(ja: str, en: str) -> ToolRefused:
    return ToolRefused(ja, en)


def anonymous(address: str) -> Caller:
    return Caller("", f"address:{address or 'unknown'}")


def _flask_app() -> Any:
    from ckan.config.middleware import make_app
    global _APP
    if _APP is None:
        _APP = make_app(toolkit.config)._wsgi_app
    return _APP


_APP: Any = None
# CKAN's DataStore backend reads results after giving their connection back
# to the pool (fine in one thread, "cursor already closed" when another
# thread takes it at once): one tool at a time in CKAN per process; more
# processes for more at once (``ckan hokkaido mcp --http --workers N``)
_ONE_AT_A_TIME = threading.Lock()


def use_app(flask_app: Any) -> None:
    """The portal's Flask app to run tools in (the CLI passes its own)."""
    global _APP
    _APP = flask_app


def run_as(caller: Caller, work: Callable[[dict[str, Any]], T]) -> T:
    """``work(context)`` inside a request context of the portal, logged in
    as the caller; CKAN's errors become refusals that say nothing more than
    the caller may know."""
    import flask_login

    from ckan import model

    app = _flask_app()
    with _ONE_AT_A_TIME, app.test_request_context(base_url=toolkit.config.get("ckan.site_url")):
        try:
            if caller.user:
                user = model.User.by_name(caller.user)
                if user is None or user.state != "active":
                    raise refuse("このトークンの利用者は有効ではありません。", "the token's user is not active.")
                flask_login.login_user(user)
            return work({"user": caller.user, "ignore_auth": False})
        except (toolkit.ObjectNotFound, toolkit.NotAuthorized):
            raise refuse("見つからないか、見る権限がありません。",
                         "not found, or you may not see it.") from None
        except toolkit.ValidationError as error:
            raise refuse(f"入力が正しくありません: {_errors(error)}",
                         f"the input is not valid: {_errors(error)}") from None
        finally:
            model.Session.remove()


def _errors(error: toolkit.ValidationError) -> str:
    found = error.error_dict if isinstance(error.error_dict, dict) else {"": error.error_dict}
    return "; ".join(f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
                     for key, value in found.items())[:500]


def caller_for_token(token: Optional[str], address: str) -> Caller:
    """The token's owner; no token: anonymous. A token that is not valid is
    refused, not taken as anonymous: the client should know."""
    if not token:
        return anonymous(address)
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()

    def owner(_context: dict[str, Any]) -> str:
        from ckan.lib.api_token import get_user_from_token
        user = get_user_from_token(token)
        return user.name if user is not None and user.state == "active" else ""

    name = run_as(anonymous(address), owner)
    if not name:
        raise refuse("API トークンが無効です。", "the API token is not valid.")
    return Caller(name, f"user:{name}")


def check_rate(caller: Caller) -> None:
    """At most ``ckanext.hokkaido.mcp.rate_limit`` calls per minute per client."""
    from ckan.lib.redis import connect_to_redis

    limit = toolkit.config.get("ckanext.hokkaido.mcp.rate_limit")
    if not limit:
        return
    minute = int(time.time() // 60)
    key = f"hokkaido:mcp:rate:{caller.client}:{minute}"
    redis = connect_to_redis()
    made = redis.incr(key)
    if made == 1:
        redis.expire(key, 120)
    if made > limit:
        log.info("mcp: rate limit reached for %s", caller.client)
        raise refuse(f"呼び出しが多すぎます（1分あたり{limit}回まで）。少し待ってから試してください。",
                     f"too many calls (at most {limit} a minute); try again shortly.")
