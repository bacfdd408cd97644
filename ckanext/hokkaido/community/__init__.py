"""What the portal's users bring: use cases (活用事例) of its datasets and
requests for datasets not yet published (データ公開リクエスト).

Both live in the portal's own tables (migration 0007) and are read and
written through ``hokkaido_use_case_*`` and ``hokkaido_data_request_*``
actions, which the pages use too: :mod:`.use_cases` and
:mod:`.data_requests` are the storage, :mod:`.action`, :mod:`.auth` and
:mod:`.schema` the API, :mod:`.views` the pages. ckanext-showcase, the
usual extension for use cases, was tried first: its last release on PyPI
(1.5.1) does not load on CKAN 2.12 (``toolkit.add_ckan_admin_tab`` is gone).
"""
from __future__ import annotations

__all__ = ["contains"]


def contains(q: str) -> str:
    """An ILIKE pattern matching text that holds ``q`` as typed (its ``%``,
    ``_`` and backslashes taken literally)."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
