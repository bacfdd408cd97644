"""Dataset activities made from the read the search index uses, while
``ckan hokkaido harvest`` runs.

CKAN's activity plugin answers every ``package_create`` and
``package_update`` with an activity that holds the dataset as package_show
shows it. To get it, package_show first asks Solr for a cached copy, which
during the nightly run is never there (the run indexes in batches, see
:mod:`ckanext.hokkaido.harvest.indexing`), and then reads the dataset from
the database; the batch reads it from the database once more.

Inside :func:`shared_with_index` (entered by the nightly run with deferred
indexing) the plugin's receiver of those two actions is replaced by
:func:`_dataset_written`, which reads the dataset once, validates that read
with the show schema once, hands both to the index
(:func:`ckanext.hokkaido.harvest.indexing.keep`) and makes the activity
the plugin would make from it: the same type, data (the read validated with
the show schema, then the plugins' ``after_dataset_show``), actor and
permission labels, committed with the action or deferred with it as the
plugin does. Anything else (a dataset deleted or not active, another package
type such as a harvest source, an unknown user) goes to the plugin's own
receiver, as do all other actions.

On CKAN 2.12 and later (:data:`~ckanext.hokkaido.harvest.indexing.INDEXES_IN_ACTIONS`)
the index takes two validations of one read (the default and the custom show
schemas, :func:`ckan.logic.package_show_default_and_custom_schemas`), the
plugin answers ``package_update`` with another receiver (``package_updated``,
which makes no activity unless the update changed the dataset), and its
package_show first asks Solr for a copy (one request per dataset, never
answered during the run). There :func:`_dataset_written` makes that one read
with CKAN's function, makes the activity from the custom schema's answer
(package_show's own, ``after_dataset_show`` applied) and keeps both for the
index: one read and two validations per dataset where the plugin and the
flush made three of each.
"""
from __future__ import annotations

import contextlib
import json
from typing import Any, Iterator

from ckan import logic, model, plugins
from ckan.lib import plugins as lib_plugins
from ckan.lib.navl.dictization_functions import MissingNullEncoder
from ckan.plugins import toolkit

from ckanext.hokkaido.harvest import indexing

__all__ = ["shared_with_index"]

ACTIVITY_PLUGIN = "activity"
SENDERS = ("package_create", "package_update")


def _plugin_receivers() -> dict[str, Any]:
    """The activity plugin's receiver of each action the block takes over."""
    from ckanext.activity import subscriptions

    if indexing.INDEXES_IN_ACTIONS:
        return {"package_create": subscriptions.package_changed, "package_update": subscriptions.package_updated}
    return {sender: subscriptions.package_changed for sender in SENDERS}


@contextlib.contextmanager
def shared_with_index() -> Iterator[None]:
    """Make dataset activities from the index's read until the block ends
    (nothing changes when the activity plugin is not loaded)."""
    if not plugins.plugin_loaded(ACTIVITY_PLUGIN):
        yield
        return
    signal = toolkit.signals.action_succeeded
    receivers = _plugin_receivers()
    for sender, receiver in receivers.items():
        signal.disconnect(receiver, sender=sender)
        signal.connect(_dataset_written, sender=sender)
    try:
        yield
    finally:
        for sender, receiver in receivers.items():
            signal.disconnect(_dataset_written, sender=sender)
            signal.connect(receiver, sender=sender)


def _dataset_written(sender: str, **kwargs: Any) -> None:
    """The activity of a ``package_create`` or ``package_update`` (see the module docs)."""
    context, result, data_dict = kwargs.get("context"), kwargs.get("result"), kwargs.get("data_dict")
    if isinstance(result, str):
        package_id = result
    elif isinstance(result, dict):
        package_id = result.get("id")
    else:
        package_id = (data_dict or {}).get("id")
    package = model.Package.get(package_id) if package_id and context else None
    user = _actor(context) if package is not None else None
    if package is None or user is None or package.type != "dataset" or package.state != "active":
        _plugin_receivers()[sender](sender, **kwargs)
        return
    if (indexing.INDEXES_IN_ACTIONS and sender == "package_update"
            and not context.get("changed_entities", {}).get("packages")):
        return  # as the plugin's package_updated: the update changed nothing

    shown = _read_for_index(package.id)
    toolkit.get_action("activity_create")(toolkit.fresh_context(context, ignore_auth=True), {
        "user_id": user.id,
        "object_id": package.id,
        "activity_type": f"{'new' if sender == 'package_create' else 'changed'} package",
        "data": {"package": shown, "actor": user.name},
        "permission_labels": lib_plugins.get_permission_labels().get_dataset_labels(package),
    })


def _read_for_index(package_id: str) -> dict[str, Any]:
    """Read the dataset once, hand the index what it takes of that read
    (:func:`ckanext.hokkaido.harvest.indexing.keep`) and return what
    package_show would answer, for the activity."""
    show_context = {"model": model, "session": model.Session, "ignore_auth": True, "for_view": False}
    if indexing.INDEXES_IN_ACTIONS:
        default, custom = logic.package_show_default_and_custom_schemas(show_context, package_id)
        # copies, as the index stores them: the indexer changes what it is given
        indexing.keep(_as_stored(default), _as_stored(custom))
        return custom
    read = toolkit.get_action("package_show")(
        {"ignore_auth": True, "validate": False, "use_cache": False, "for_view": False},
        {"id": package_id, "include_tracking": False})
    package_plugin = lib_plugins.lookup_package_plugin(read["type"])
    shown, _errors = lib_plugins.plugin_validate(
        # a copy (the read goes to the index too), made the way the index stores it: as JSON
        package_plugin, show_context, json.loads(json.dumps(read)), package_plugin.show_package_schema(),
        "package_show")
    # as the index stores it, before after_dataset_show adds to it
    indexing.keep(read, _as_stored(shown))
    for item in plugins.PluginImplementations(plugins.IPackageController):
        item.after_dataset_show(show_context, shown)
    return shown


def _as_stored(dataset: dict[str, Any]) -> dict[str, Any]:
    """A copy of a read as JSON stores it."""
    return json.loads(json.dumps(dataset, cls=MissingNullEncoder))


def _actor(context: dict[str, Any]) -> model.User | None:
    """The user of the action: the one its access check found, else looked up."""
    name = context.get("user")
    if not name:
        return None
    user = context.get("auth_user_obj")
    if isinstance(user, model.User) and name in (user.name, user.id):
        return user
    return model.User.get(name)
