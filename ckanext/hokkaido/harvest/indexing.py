"""Search indexing in batches while ``ckan hokkaido harvest`` runs.

CKAN keeps Solr in step with the database synchronously: at every commit
that writes a dataset, its ``synchronous_search`` system plugin sends the
dataset to Solr and asks Solr to commit. ``package_create`` writes a new
dataset so that it is sent twice (once as new, once as changed through its
resources), and the Solr commits make up most of a first harvest's time.

Inside :func:`deferred`, used by :func:`ckanext.hokkaido.harvest.nightly.run`
for the whole run, that plugin is unloaded and the ``hokkaido_harvest`` plugin
(an IDomainObjectModification observer) only notes the ids of the datasets
each thread writes (:func:`note`, called before the commit), which the thread
hands over once it has committed them (:func:`release`). :func:`flush`
(called every few hundred records, after each job, and by :func:`deferred`
on the way out) indexes each dataset handed over once, from its state in the
database (a withdrawn dataset leaves the index, as with CKAN's own indexing),
a hundred documents to a request (CKAN's indexer opens a connection and
sends a request for each dataset), then commits Solr once. A dataset whose
activity was made from a read of it (:mod:`ckanext.hokkaido.harvest.activity`)
is indexed from that read (:func:`keep`), with the validations the activity
made of it, unless its ``metadata_modified`` has changed since, the rule
package_show applies to its own Solr copy (on both versions). A dataset another
worker thread has written but not yet committed is left for a later flush:
read before its commit, it would be missing from the index.

The documents are CKAN's own: the flush calls CKAN's indexer for each
dataset. Inside :func:`deferred` two names its module looks up
(``ckan.lib.search.index``) answer differently in the flushing thread only:
``make_connection`` gives a stand-in that collects the documents
(:class:`_Documents`), and ``lib_plugins.plugin_validate`` gives, for a kept
read, the validation the activity made of it (:class:`_IndexerPlugins`);
every other caller, and every other thread, gets CKAN's.

Nothing is lost when the process dies in between: datasets noted but not
indexed belong to harvest jobs left unfinished, and the next run reindexes
the datasets of every job it finishes as interrupted (:func:`mark`).

The queue mode of ckanext-harvest and every other code path keep CKAN's
synchronous indexing: :func:`deferred` is the only switch.

**CKAN 2.11 and 2.12** index differently, and :func:`deferred` switches
the way each does it (``tests/test_ckan_internals.py`` names both):

* 2.11 indexes from its ``synchronous_search`` plugin at each commit, and its
  indexer validates each dataset itself: the plugin is unloaded for the
  block, and the flush hands CKAN's indexer a dataset read and, for a kept
  read, the validation the activity made;
* 2.12 indexes inside the actions (``ckan.logic.index_insert_package_dicts``,
  ``index_update_package_dicts``, ``index_update_package``,
  ``index_remove_package``), from both show-schema reads the action made:
  those four answer nothing for the block (the observer still notes each
  dataset written), and the flush hands the indexer, as the actions do, both
  validations of one read: the ones the activity kept, or for a dataset
  without them (or changed since) its own, made with CKAN's
  ``package_show_default_and_custom_schemas``.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any, Iterable, Iterator

import pysolr

from ckan import logic, model, plugins
from ckan.lib import plugins as lib_plugins
from ckan.lib.search import SearchIndexError, index_for
from ckan.lib.search import index as search_index
from ckan.lib.search.common import make_connection
from ckan.plugins import toolkit

__all__ = ["commit", "committed", "deferred", "flush", "keep", "mark", "note", "release", "is_deferred",
           "take_pending", "IndexingFailed"]

log = logging.getLogger(__name__)

SYNCHRONOUS_PLUGIN = "synchronous_search"

#: CKAN 2.12's indexing inside the actions: what :func:`deferred` silences
ACTION_INDEXERS = ("index_insert_package_dicts", "index_update_package_dicts", "index_update_package",
                   "index_remove_package")
#: True on CKAN 2.12 and later (indexing in the actions), False on 2.11
INDEXES_IN_ACTIONS = all(hasattr(logic, name) for name in ACTION_INDEXERS)

_lock = threading.Lock()
_pending: set[str] = set()  # committed: to index at the next flush
_noted: dict[int, set[str]] = {}  # by thread: written, maybe not committed yet
# id → package_show read (validate=False) after its write, and that read validated
_kept: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
_depth = 0


class IndexingFailed(RuntimeError):
    """Solr refused the batch; the datasets stay noted for the next flush."""


class _Documents:
    """Stands in for the Solr connection of CKAN's indexer in the thread that
    flushes (:func:`_connection`): keeps the documents it would send, one
    request each, for :func:`_send` to send together."""

    def __init__(self) -> None:
        self.docs: list[dict[str, Any]] = []

    def add(self, docs: list[dict[str, Any]], commit: bool = False, **kwargs: Any) -> None:
        self.docs.extend(docs)

    def delete(self, **kwargs: Any) -> Any:  # a dataset indexed as deleted leaves Solr at once
        return make_connection().delete(**kwargs)


SEND_BATCH = 100  # documents per request to Solr
_local = threading.local()  # the flushing thread's documents and kept validation
_indexer_names: tuple[Any, Any] | None = None  # CKAN's, while replaced
_action_indexers: dict[str, Any] = {}  # CKAN 2.12's, while silenced


def _connection(decode_dates: bool = True) -> Any:
    """``make_connection`` of CKAN's indexer while indexing is deferred."""
    documents = getattr(_local, "documents", None)
    return documents if documents is not None else make_connection(decode_dates)


class _IndexerPlugins:
    """``ckan.lib.plugins`` as CKAN's indexer sees it while indexing is
    deferred: it validates each dataset with the show schema for the
    document, which for a kept read (:func:`keep`) the activity has done."""

    def __getattr__(self, name: str) -> Any:
        return getattr(lib_plugins, name)

    @staticmethod
    def plugin_validate(plugin: Any, context: Any, data_dict: dict[str, Any], schema: Any,
                        action: str) -> tuple[dict[str, Any], dict[str, Any]]:
        made = getattr(_local, "validated", None)
        if action == "package_show" and made is not None and made[0] is data_dict:
            return made[1], {}
        return lib_plugins.plugin_validate(plugin, context, data_dict, schema, action)


def _not_now(*args: Any, **kwargs: Any) -> None:
    """One of CKAN 2.12's action indexers while indexing is deferred: the
    dataset was noted by the observer and is indexed at the next flush."""


def _document(package_id: str, kept: tuple[dict[str, Any], dict[str, Any] | None] | None,
              modified: dict[str, str]) -> dict[str, Any]:
    """What CKAN's indexer takes for one dataset on this CKAN version.

    :raises toolkit.ObjectNotFound: when the dataset is gone.
    """
    context = {"ignore_auth": True, "validate": False, "use_cache": False}
    dataset, validated = kept or (None, None)
    fresh = dataset is not None and dataset.get("metadata_modified") == modified.get(package_id)
    if INDEXES_IN_ACTIONS:
        _local.validated = None
        if fresh and validated is not None:
            return dict(dataset, with_custom_schema=validated)
        default, custom = logic.package_show_default_and_custom_schemas(context, package_id)
        return dict(default, with_custom_schema=custom)
    if not fresh:
        dataset, validated = toolkit.get_action("package_show")(dict(context), {"id": package_id}), None
    _local.validated = (dataset, validated) if validated is not None else None
    return dataset


def _send(documents: list[dict[str, Any]], names: list[str]) -> None:
    """Send the documents in one request; when Solr refuses it, one by one,
    to name the dataset refused (``names`` goes with ``documents``).

    :raises IndexingFailed: naming the dataset refused.
    """
    conn = make_connection()
    try:
        conn.add(docs=documents, commit=False)
        return
    except (pysolr.SolrError, OSError) as exc:
        if len(documents) == 1:
            raise IndexingFailed(f"dataset {names[0]}: {str(exc)[:1000]}") from exc
    for position, document in enumerate(documents):
        try:
            conn.add(docs=[document], commit=False)
        except (pysolr.SolrError, OSError) as exc:
            raise IndexingFailed(f"dataset {names[position]}: {str(exc)[:1000]}") from exc


def committed(package_id: str | None) -> None:
    """A dataset the harvest wrote with ``defer_commit`` has been committed.

    CKAN 2.11 indexes it at that commit (the ``synchronous_search`` plugin);
    CKAN 2.12 leaves a deferred write's indexing to the caller, so it is
    indexed here, unless indexing is deferred (the observer noted it for the
    next flush)."""
    if INDEXES_IN_ACTIONS and not _depth and package_id:
        logic.index_update_package({"ignore_auth": True}, package_id)


def is_deferred() -> bool:
    """True inside :func:`deferred`."""
    return _depth > 0


def mark(package_ids: Iterable[str]) -> None:
    """Hand over committed datasets, to index at the next :func:`flush`."""
    with _lock:
        _pending.update(i for i in package_ids if i)


def note(entity: Any) -> None:
    """Note ``entity`` if it is a dataset written while indexing is deferred."""
    if _depth and isinstance(entity, model.Package):
        with _lock:
            _noted.setdefault(threading.get_ident(), set()).add(entity.id)


def release() -> None:
    """Hand over what this thread noted; call it after the thread's commit."""
    with _lock:
        ids = _noted.pop(threading.get_ident(), None)
    if ids:
        mark(ids)


def take_pending() -> list[str]:
    """Take back every dataset handed over and not indexed (to hand it to
    another process's :func:`mark`)."""
    with _lock:
        ids = sorted(_pending)
        _pending.clear()
    return ids


def _release_all() -> None:
    """Hand over what every thread noted (when no other thread is writing:
    a dataset whose write was rolled back is read as it is, harmlessly)."""
    with _lock:
        ids = set().union(*_noted.values())
        _noted.clear()
    mark(ids)


def keep(dataset: dict[str, Any], validated: dict[str, Any] | None = None) -> None:
    """Keep a read of a dataset made right after it was written, for the
    flush to index without reading it again; the flush reads it all the same
    if its ``metadata_modified`` is no longer the one kept. Neither dict is
    changed after this call but by the flush.

    On CKAN 2.11 ``dataset`` is package_show's answer with ``validate=False``
    and ``validated`` the same read validated with the show schema (as CKAN's
    indexer would validate it, nothing added since), if made. On 2.12 they
    are the two dicts the actions index, both required:
    :func:`ckan.logic.package_show_default_and_custom_schemas`' answer."""
    if _depth:
        with _lock:
            _kept[dataset["id"]] = (dataset, validated)


def _modified(ids: list[str]) -> dict[str, str]:
    """``metadata_modified`` of these datasets in the database, as package_show writes it."""
    found: dict[str, str] = {}
    for start in range(0, len(ids), 1000):
        found.update((i, m.isoformat()) for i, m in model.Session.query(
            model.Package.id, model.Package.metadata_modified).filter(model.Package.id.in_(ids[start:start + 1000])))
    return found


def flush(commit: bool = True) -> int:
    """Index every dataset handed over once and commit Solr; how many were sent.

    :param commit: False sends the documents without a Solr commit: Solr's
        soft commit makes them found within a second, a later :func:`commit`
        waits for them (the run's import processes send, the run commits).
    :raises IndexingFailed: naming the dataset Solr refused (or the
        commit); the datasets not known to be indexed stay handed over.
    """
    release()
    with _lock:
        ids = sorted(_pending)
        _pending.clear()
        kept = {i: _kept.pop(i) for i in ids if i in _kept}
    if not ids:
        return 0
    modified = _modified(sorted(kept))
    index = index_for(model.Package)
    documents, names = _Documents(), []
    done = 0
    try:
        for package_id in ids:
            try:
                dataset = _document(package_id, kept.get(package_id), modified)
            except toolkit.ObjectNotFound:  # purged since: it must not stay findable
                index.delete_package({"id": package_id})
            else:
                _local.documents = documents
                try:
                    index.update_dict(dataset, defer_commit=True)
                finally:
                    _local.documents = _local.validated = None
                names += [dataset.get("name") or package_id] * (len(documents.docs) - len(names))
            done += 1
            if documents.docs and (len(documents.docs) >= SEND_BATCH or done == len(ids)):
                _send(documents.docs, names)
                documents.docs, names = [], []
        if commit:
            _commit()
    except (SearchIndexError, IndexingFailed, OSError, pysolr.SolrError) as exc:
        left = ids  # sent in batches: which reached Solr is not known
        mark(left)
        if isinstance(exc, IndexingFailed):
            where = str(exc)
        else:
            where = f"dataset {ids[done]}: {exc}" if done < len(ids) else f"commit: {exc}"
        raise IndexingFailed(
            f"検索インデックスを更新できませんでした ({len(left)} 件が未反映。"
            f"`ckan search-index rebuild` で復旧できます) / the search index could not be updated "
            f"at {where}; {len(left)} datasets not indexed yet") from exc
    log.info("indexed %d datasets written by the harvest", done)
    return done


def _commit() -> None:
    # waiting for the new searcher (CKAN's commit does not): what the run
    # wrote is found as soon as the run has ended
    make_connection().commit(waitSearcher=True)


def commit() -> None:
    """Commit what was sent to Solr without a commit (:func:`flush` with
    ``commit=False``, maybe in another process) and wait until it is found.

    :raises IndexingFailed: when Solr cannot be reached or refuses.
    """
    try:
        _commit()
    except (OSError, pysolr.SolrError) as exc:
        raise IndexingFailed(f"検索インデックスを確定できませんでした / the search index could not "
                             f"commit: {exc}") from exc


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Index in batches (see the module docs) until the block ends.

    :raises IndexingFailed: from the last flush, when the block ended well.
    """
    global _depth, _indexer_names
    unloaded = False
    with _lock:
        _depth += 1
        if _depth == 1:
            # a flushing thread's documents are collected, kept reads not validated again
            _indexer_names = (search_index.make_connection, search_index.lib_plugins)
            search_index.make_connection = _connection
            search_index.lib_plugins = _IndexerPlugins()
            if INDEXES_IN_ACTIONS:
                for name in ACTION_INDEXERS:
                    _action_indexers[name] = getattr(logic, name)
                    setattr(logic, name, _not_now)
            elif plugins.plugin_loaded(SYNCHRONOUS_PLUGIN):
                plugins.unload(SYNCHRONOUS_PLUGIN)
                unloaded = True
    try:
        try:
            yield
        except BaseException:
            try:
                _release_all()
                flush()
            except IndexingFailed:  # the block's own error is the one to report
                log.exception("search index not updated after a failed harvest run")
            raise
        _release_all()
        flush()
    finally:
        with _lock:
            _depth -= 1
            if not _depth:
                _kept.clear()
                search_index.make_connection, search_index.lib_plugins = _indexer_names
                _indexer_names = None
                for name, function in _action_indexers.items():
                    setattr(logic, name, function)
                _action_indexers.clear()
            if unloaded:
                plugins.load(SYNCHRONOUS_PLUGIN)
