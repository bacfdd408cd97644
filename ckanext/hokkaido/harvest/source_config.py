"""A harvest source's configuration (its JSON ``config``): the keys the
base reads (:data:`HARVEST_KEYS`), checked into :class:`HarvestSettings`,
and the rest handed to the source kind's adapter, which checks its own.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable, Optional

from harvesters import adapter_class
from harvesters.client import HttpClient
from harvesters.errors import ConfigError

from ckanext.hokkaido import registry
from ckanext.hokkaido.harvest import tokens
from ckanext.hokkaido.harvest.merging import PROTECTABLE_FIELDS

__all__ = ["HARVEST_KEYS", "HarvestSettings", "SourceConfigError", "parse"]

#: Keys of a source's JSON config handled by the base (the rest go to the adapter).
HARVEST_KEYS = frozenset({"force", "not_overwrite_fields", "min_listing_ratio", "full_listing_every",
                          tokens.KEY})


class SourceConfigError(ValueError):
    """A harvest source's configuration is invalid; the message is bilingual."""


@dataclasses.dataclass(frozen=True)
class HarvestSettings:
    """A source's parsed configuration.

    :ivar adapter_config: the keys passed on to the adapter.
    :ivar force: import every record even when its hash is unchanged, and
        always read a full listing.
    :ivar not_overwrite_fields: harvested fields whose local value wins.
    :ivar min_listing_ratio: withdraw nothing when a full listing has fewer
        than this share of the datasets the source held.
    :ivar full_listing_every: days between full listings; 0 makes every run
        a full listing, otherwise runs in between ask only for datasets
        modified since the last clean run (and withdraw nothing).
    :ivar api_key: the source's API token (``api_key``), sent as the
        ``Authorization`` header to the source URL's origin only; see
        :mod:`ckanext.hokkaido.harvest.tokens`.
    """

    adapter_config: dict[str, Any]
    force: bool = False
    not_overwrite_fields: tuple[str, ...] = ()
    min_listing_ratio: float = 0.5
    full_listing_every: float = 0.0
    api_key: Optional[str] = dataclasses.field(default=None, repr=False)


def parse(config_str: str | None, kind: str,
          check_adapter_config: Callable[[dict[str, Any]], None]) -> HarvestSettings:
    """Parse and check a source's JSON config: the base's keys here, the
    municipality code against the registry, the kind's own checks
    (``check_adapter_config``) and the adapter's keys (:data:`harvesters.ADAPTERS`,
    built once with no request made).

    :raises SourceConfigError: with a message in Japanese and English.
    """
    try:
        config = json.loads(config_str) if config_str and config_str.strip() else {}
    except ValueError as exc:
        raise SourceConfigError(f"設定がJSONとして読めません (config is not valid JSON: {exc})") from exc
    except RecursionError as exc:
        raise SourceConfigError("設定のJSONの入れ子が深すぎます (config is nested too deeply)") from exc
    if not isinstance(config, dict):
        raise SourceConfigError("設定はJSONオブジェクト {…} で指定してください (config must be a JSON object)")

    force = config.get("force", False)
    if not isinstance(force, bool):
        raise SourceConfigError(f"force は true か false です (force must be true or false, not {force!r})")

    fields = config.get("not_overwrite_fields", [])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise SourceConfigError("not_overwrite_fields は項目名のリストです "
                                "(not_overwrite_fields must be a list of field names)")
    fields = ["tags" if f == "tag_string" else f for f in fields]
    unknown = [f for f in fields if f not in PROTECTABLE_FIELDS]
    if unknown:
        raise SourceConfigError(
            f"not_overwrite_fields に指定できない項目です: {', '.join(unknown)} "
            f"(not_overwrite_fields accepts {', '.join(PROTECTABLE_FIELDS)})")

    ratio = config.get("min_listing_ratio", 0.5)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
        raise SourceConfigError(f"min_listing_ratio は 0〜1 の数です "
                                f"(min_listing_ratio must be a number from 0 to 1, not {ratio!r})")

    every = config.get("full_listing_every", 0)
    if isinstance(every, bool) or not isinstance(every, (int, float)) or every < 0:
        raise SourceConfigError(f"full_listing_every は 0 以上の日数です "
                                f"(full_listing_every must be a number of days >= 0, not {every!r})")

    api_key = config.get(tokens.KEY)
    problem = tokens.check_token(api_key) if api_key is not None else None
    if problem:
        raise SourceConfigError(problem)
    tokens.remember(api_key)

    adapter_config = {k: v for k, v in config.items() if k not in HARVEST_KEYS}
    code = adapter_config.get("municipality_code")
    if code not in (None, ""):
        if not isinstance(code, str) or not registry.is_valid_code(code):
            raise SourceConfigError(
                f"municipality_code {code!r} は検査数字付き6桁の自治体コードではありません "
                "(municipality_code must be a 6-digit local government code with a valid check digit, "
                "e.g. \"011002\" for 札幌市)")
        if registry.name_of(code) is None:
            raise SourceConfigError(
                f"municipality_code {code} は北海道の市町村ではありません "
                "(municipality_code is not one of Hokkaido's municipalities)")
    check_adapter_config(adapter_config)
    try:
        # The adapter checks its own keys; no request is made here.
        adapter_class(kind)("https://example.invalid", adapter_config, HttpClient())
    except ConfigError as exc:
        raise SourceConfigError(f"{exc.message_ja} ({exc.reason})") from exc
    return HarvestSettings(adapter_config, force, tuple(fields), float(ratio), float(every), api_key)
