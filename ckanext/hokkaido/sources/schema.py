"""The sources room's action schemas."""
from __future__ import annotations

from ckan.logic.schema import validator_args

from ckanext.hokkaido.sources.proposals import STATUSES

__all__ = ["source_proposal_decide", "source_proposal_list"]


@validator_args
def source_proposal_list(ignore_missing, unicode_safe, strip_value, hokkaido_municipality_code, one_of):
    return {"id": [ignore_missing, unicode_safe, strip_value, hokkaido_municipality_code],
            "status": [ignore_missing, unicode_safe, one_of(list(STATUSES))]}


@validator_args
def source_proposal_decide(not_empty, natural_number_validator, unicode_safe, one_of):
    return {"id": [not_empty, natural_number_validator],
            "decision": [not_empty, unicode_safe, one_of(["accept", "reject"])]}
