"""Two rules about harvest sources that the nightly run and the tracker
share, written once:

* **a source's municipality** (:func:`source_municipality`): the
  ``municipality_code`` of its config when its organization may publish for
  that municipality (:func:`ckanext.hokkaido.authority.may_publish_for`),
  else its organization's official code; a shared portal (HARP, BODIK …)
  has none of its own and delivers whatever its datasets say; a source of
  an organization that speaks for no municipality delivers nothing.
* **how a run ended** (:class:`RunOutcome`), from the counts of its errors
  and records: it *could not read* the source (the tracker's 取得エラー), it
  *failed* (the nightly run's FAILED line and exit code 1), or it was *clean*
  (no warning beside the status).

Pure: no database, no CKAN.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Optional

from harvesters.municipalities import is_valid_municipality_code

from ckanext.hokkaido.authority import may_publish_for

__all__ = ["RunOutcome", "source_municipality"]


def source_municipality(config: Optional[str], owner_code: Optional[str]) -> Optional[str]:
    """The municipality a source publishes for, or ``None`` for a shared
    one; ``owner_code`` is its organization's official code
    (:func:`ckanext.hokkaido.authority.organization_code`)."""
    try:
        code = json.loads(config or "{}").get("municipality_code")
    except (ValueError, AttributeError):
        code = None
    if code and is_valid_municipality_code(str(code)) and may_publish_for(owner_code, str(code)):
        return str(code)
    return owner_code


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """How one finished harvest job ended.

    :ivar gather_errors: errors of the job itself (not of one record).
    :ivar read_failures: of those, the ones that say the source could not be
        read at all (``harvest/errors.py`` marks them).
    :ivar records: records the job read.
    :ivar records_errored: records that failed to import.
    """

    gather_errors: int = 0
    read_failures: int = 0
    records: int = 0
    records_errored: int = 0

    @property
    def read_failed(self) -> bool:
        """Nothing came: a read failure, or errors of the job and no record
        (an error of ckanext-harvest's own)."""
        return self.read_failures > 0 or (self.gather_errors > 0 and self.records == 0)

    @property
    def failed(self) -> bool:
        """The source failed: an error of the job, or every record failed."""
        return self.gather_errors > 0 or (self.records > 0 and self.records_errored >= self.records)

    @property
    def clean(self) -> bool:
        """No error of any kind."""
        return not (self.gather_errors or self.records_errored)
