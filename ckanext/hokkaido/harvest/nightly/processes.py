"""Import processes: a night's records written by more than one process.

Python runs one thread at a time in a process, and writing a record through
CKAN's actions is mostly Python (validation, dictization, SQLAlchemy's unit
of work, the index document): the run's import threads share one core
whatever their number. With ``ckanext.hokkaido.harvest.import_processes``
(or ``ckan hokkaido harvest --processes N``) the records of a job with
:data:`~ckanext.hokkaido.harvest.nightly.schedule.PROCESS_MIN_RECORDS`
records or more are written by N processes of their own instead (a later
night's few changes stay on the threads and start no process); the run's
process still gathers, keeps the jobs and the report, and commits Solr.

Each import process loads the same configuration file as the run
(``config["__file__"]``), as a web worker does, and stays for the run. For
its whole life it indexes in batches and makes activities from the index's
read (:func:`ckanext.hokkaido.harvest.indexing.deferred`,
:func:`ckanext.hokkaido.harvest.activity.shared_with_index`), as the run
does. A task (:func:`import_chunk`) writes up to
:data:`~ckanext.hokkaido.harvest.nightly.schedule.IMPORT_CHUNK` records of
one job, each committed on its own as in the run's threads, then sends their
documents to Solr without a commit; what it could not send goes back to the
run (:class:`ChunkDone`), which indexes it itself. A task already running
when another task of its job failed or the job's time ran out ends after its
records (the threads stop after the record in hand).
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import pickle
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Optional

from ckan import model
from ckanext.harvest.model import HarvestObject

from ckanext.hokkaido.harvest import activity, indexing
from ckanext.hokkaido.harvest.base import LIMIT, TimeLimit

log = logging.getLogger(__name__)

_app: Any = None  # the import process's Flask app
_stack = contextlib.ExitStack()  # its deferred indexing and shared reads, for its life


@dataclasses.dataclass
class ChunkDone:
    """What one task of an import process did."""

    imported: int
    #: the job's deadline passed before every record was written
    timed_out: bool = False
    #: datasets written but not sent to Solr, with why (the run indexes them)
    unindexed: list[str] = dataclasses.field(default_factory=list)
    index_error: Optional[str] = None
    #: the unexpected error a record's import raised (pickled), which ends the job
    error: Optional[bytes] = None

    def raise_error(self) -> None:
        if self.error is not None:
            raise pickle.loads(self.error)


def pool(processes: int, ini_path: str) -> ProcessPoolExecutor:
    """The run's import processes (started when first given work)."""
    return ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start, initargs=(ini_path,))


def _start(ini_path: str) -> None:
    """Load CKAN in a new import process."""
    global _app
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    _app = make_app(load_config(ini_path))._wsgi_app
    with _app.test_request_context():  # the plugins' swaps are made at load time
        _stack.enter_context(indexing.deferred())
        _stack.enter_context(activity.shared_with_index())


def _picklable(exc: BaseException) -> bytes:
    try:
        return pickle.dumps(exc)
    except Exception:  # noqa: BLE001 - an exception that cannot cross: its text does
        return pickle.dumps(RuntimeError(repr(exc)))


def import_chunk(source_type: str, object_ids: list[str], deadline: Optional[float]) -> ChunkDone:
    """Write these records of one job (see the module docs); runs in an
    import process. ``deadline`` is on ``time.monotonic()``'s clock, which
    all processes of the machine share."""
    from ckanext.hokkaido.harvest.nightly.jobs import fetch_and_import, harvesters_by_type  # it imports this module

    done = ChunkDone(0)
    with _app.test_request_context():
        token = LIMIT.set(TimeLimit(deadline) if deadline is not None else None)
        try:
            harvester = harvesters_by_type()[source_type]
            for object_id in object_ids:
                if deadline is not None and time.monotonic() > deadline:
                    done.timed_out = True
                    break
                fetch_and_import(harvester, model.Session.get(HarvestObject, object_id))
                indexing.release()
                done.imported += 1
        except Exception as exc:  # noqa: BLE001 - goes back to the run, which ends the job with it
            log.exception("import of a record of a %s source failed", source_type)
            model.Session.rollback()
            done.error = _picklable(exc)
        finally:
            LIMIT.reset(token)
            model.Session.remove()
            indexing.release()  # also what a failed import noted: it is read as it is
        try:
            indexing.flush(commit=False)
        except indexing.IndexingFailed as exc:
            done.index_error = str(exc)
            done.unindexed = indexing.take_pending()
        finally:
            model.Session.remove()
    return done

