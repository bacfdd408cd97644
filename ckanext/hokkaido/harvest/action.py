"""Actions of the ``hokkaido_harvest`` plugin: the run report; the
chained ``package_create`` that names a source whose title is Japanese
only; the chained ``package_update`` and ``harvest_source_list`` that keep harvest
sources' API tokens write-only (:mod:`ckanext.hokkaido.harvest.tokens`);
the chained ``harvest_job_create`` and ``harvest_send_job_to_gather_queue``
that keep ckanext-harvest's queue from running a source type that fetches
without the address guard (:mod:`ckanext.hokkaido.harvest.guard`); on
CKAN 2.12, the chained ``harvest_source_reindex`` that indexes a source
the way CKAN indexes any dataset."""
from __future__ import annotations

from typing import Any

from ckan import logic, model
from ckan.plugins import toolkit
from ckan.types import Context, DataDict

from ckanext.harvest.model import HarvestJob, HarvestSource

from harvesters.errors import public_url

from ckanext.hokkaido import names
from ckanext.hokkaido.harvest import errors, guard, indexing, tokens
from ckanext.hokkaido.harvest.report import job_report

__all__ = ["hokkaido_harvest_report", "package_create", "package_update", "harvest_source_list",
           "harvest_job_create", "harvest_send_job_to_gather_queue", "harvest_source_reindex"]


@toolkit.side_effect_free
def hokkaido_harvest_report(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The report of one harvest run: counters and errors.

    :param id: a harvest job id, or
    :type id: string
    :param source_id: a harvest source id or name, for its latest job
    :type source_id: string

    :returns: ``job_id``, ``source_id``, ``source_title``, ``status``,
        ``gather_started``, ``finished``, ``listing`` (``full`` or
        ``incremental``), ``counters`` (``found``, ``created``, ``updated``,
        ``unchanged``, ``deleted``, ``errored``) and ``errors`` (each with
        ``identifier``, ``stage`` and ``message``, our own words; for
        sysadmins and members of the source's organization also
        ``detail``, which may quote what the source's server answered).
    :rtype: dict
    """
    job_id = data_dict.get("id")
    source_id = data_dict.get("source_id")
    if not job_id and not source_id:
        raise toolkit.ValidationError({"id": ["id（ジョブID）か source_id を指定してください "
                                              "(give a job id or a source_id)"]})
    if job_id:
        job = HarvestJob.get(job_id)
    else:
        source = HarvestSource.get(source_id)
        if source is None:  # a harvest source's dataset name
            package = model.Package.get(source_id)
            source = HarvestSource.get(package.id) if package is not None else None
        if source is None:
            raise toolkit.ObjectNotFound(f"harvest source {source_id} not found")
        job = (HarvestJob.filter(source_id=source.id).order_by(HarvestJob.created.desc()).first())
    if job is None:
        raise toolkit.ObjectNotFound("harvest job not found")
    toolkit.check_access("harvest_job_show", context, {"id": job.id})
    return job_report(job, with_detail=errors.may_read_detail(context, job.source_id))


def _redacted_errors(errors: Any) -> Any:
    if isinstance(errors, dict):
        return {key: _redacted_errors(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [_redacted_errors(value) for value in errors]
    return tokens.redact(errors)


@toolkit.chained_action
def package_create(up_func, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A harvest source whose form left the address name empty (its title
    is Japanese only, and ckanext-harvest's form makes names from Latin
    letters) gets one: ``<organization>-source-<Latin words or date>``
    (:func:`ckanext.hokkaido.names.free_name`), as the dataset form does."""
    if (data_dict or {}).get("type") == "harvest" and not str(data_dict.get("name") or "").strip():
        owner = model.Group.get(str(data_dict.get("owner_org") or "")) if data_dict.get("owner_org") else None
        prefix = f"{owner.name}-source" if owner is not None else "source"
        taken = lambda name: model.Package.by_name(name) is not None  # noqa: E731
        data_dict = dict(data_dict, name=names.free_name(prefix, str(data_dict.get("title") or ""), taken))
    return up_func(context, data_dict)


@toolkit.chained_action
def package_update(up_func, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """For a harvest source, a config whose ``api_key`` is the mask keeps the
    stored token (see :func:`ckanext.hokkaido.harvest.tokens.restore_config`);
    validation errors never quote a token."""
    config = data_dict.get("config") if isinstance(data_dict, dict) else None
    if isinstance(config, str) and tokens.MASK in config:
        package = model.Package.get(data_dict.get("id") or data_dict.get("name") or "")
        source = HarvestSource.get(package.id) if package is not None else None
        if source is not None:
            toolkit.check_access("package_update", context, data_dict)
            try:
                restored = tokens.restore_config(config, source.config, url=data_dict.get("url"),
                                                  stored_url=source.url)
            except tokens.TokenMustBeEntered as exc:
                raise toolkit.ValidationError({"config": [str(exc)]})
            # a copy: a form shown again after an error must not hold the token
            data_dict = dict(data_dict, config=restored)
    try:
        return up_func(context, data_dict)
    except toolkit.ValidationError as exc:
        raise toolkit.ValidationError(_redacted_errors(exc.error_dict)) from None


@toolkit.chained_action
@toolkit.side_effect_free
def harvest_source_list(up_func, context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """ckanext-harvest's list, without the sources the caller may not read
    (its own lists every source, private ones included, to anonymous users),
    with every API token masked, and URLs as :func:`harvesters.errors.public_url`
    shows them to those outside the source's organization."""
    toolkit.check_access("harvest_source_list", context, data_dict)
    sources = up_func(context, data_dict)
    check = {"model": model, "session": model.Session, "user": context.get("user"),
             "ignore_auth": context.get("ignore_auth", False)}
    visible = []
    for source in sources:
        try:
            toolkit.check_access("package_show", dict(check), {"id": source["id"]})
        except (toolkit.NotAuthorized, toolkit.ObjectNotFound):
            continue
        shown = dict(source, config=tokens.mask_config(source.get("config")))
        if not errors.may_read_detail(context, source["id"]):
            shown["url"] = public_url(source.get("url"))
        visible.append(shown)
    return visible


def _refuse_unguarded(source: Any) -> None:
    refused = guard.refusal(source.type) if source is not None else None
    if refused:
        raise toolkit.ValidationError({"source_type": [refused]})


@toolkit.chained_action
def harvest_job_create(up_func, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """ckanext-harvest's, refusing a source whose type is not allowed to run
    (:func:`ckanext.hokkaido.harvest.guard.refusal`)."""
    _refuse_unguarded(HarvestSource.get((data_dict or {}).get("source_id") or ""))
    return up_func(context, data_dict)


@toolkit.chained_action
def harvest_send_job_to_gather_queue(up_func, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """ckanext-harvest's, refusing a job whose source type is not allowed to
    run (:func:`ckanext.hokkaido.harvest.guard.refusal`)."""
    job = HarvestJob.get((data_dict or {}).get("id") or "")
    _refuse_unguarded(job.source if job is not None else None)
    return up_func(context, data_dict)


@toolkit.chained_action
def harvest_source_reindex(up_func, context: Context, data_dict: DataDict) -> bool:
    """ckanext-harvest's on CKAN 2.11; on CKAN 2.12 the source is indexed
    as CKAN's actions index any dataset (``ckan.logic.index_update_package``:
    the show schema's read as the copy package_show answers from).

    ckanext-harvest 1.6.3 stores, on 2.12, a read made with ``validate=False``
    as that copy: package_show then answers a source with ``source_type``,
    ``config`` and ``frequency`` left in its extras, and the next
    ``harvest_source_patch`` is refused ("There is a schema field with the
    same name"). While the nightly run defers indexing, the source is handed
    to the run's next flush instead."""
    toolkit.check_access("harvest_source_reindex", context, data_dict)
    if not indexing.INDEXES_IN_ACTIONS:
        return up_func(context, data_dict)
    source_id = toolkit.get_or_bust(data_dict, "id")
    if indexing.is_deferred():
        indexing.mark([source_id])
    else:
        logic.index_update_package({"ignore_auth": True}, source_id,
                                   defer_commit=bool(context.get("defer_commit", False)))
    return True
