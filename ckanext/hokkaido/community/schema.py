"""Validation schemas of the use-case and data-request actions."""
from __future__ import annotations

from ckan.logic.schema import validator_args

from ckanext.hokkaido.community.data_requests import STATUSES


# One-line fields (titles, names, addresses) refuse line breaks and control
# characters (hokkaido_single_line): a title goes into a mail's subject.

@validator_args
def use_case_create(not_empty, ignore_missing, ignore_empty, unicode_safe, strip_value, name_validator,
                    hokkaido_http_url, convert_to_list_if_string, hokkaido_single_line):
    return {
        "name": [ignore_empty, unicode_safe, strip_value, hokkaido_single_line, name_validator],
        "title": [not_empty, unicode_safe, strip_value, hokkaido_single_line],
        "description": [ignore_missing, unicode_safe, strip_value],
        "url": [ignore_missing, unicode_safe, strip_value, hokkaido_single_line, hokkaido_http_url],
        "image_url": [ignore_missing, unicode_safe, strip_value, hokkaido_single_line, hokkaido_http_url],
        "datasets": [ignore_missing, convert_to_list_if_string],
    }


@validator_args
def use_case_update(not_empty, ignore_missing, unicode_safe, strip_value, hokkaido_http_url,
                    convert_to_list_if_string, hokkaido_single_line):
    return {
        "id": [not_empty, unicode_safe],
        "title": [ignore_missing, not_empty, unicode_safe, strip_value, hokkaido_single_line],
        "description": [ignore_missing, unicode_safe, strip_value],
        "url": [ignore_missing, unicode_safe, strip_value, hokkaido_single_line, hokkaido_http_url],
        "image_url": [ignore_missing, unicode_safe, strip_value, hokkaido_single_line, hokkaido_http_url],
        "datasets": [ignore_missing, convert_to_list_if_string],
    }


@validator_args
def by_id(not_empty, unicode_safe):
    return {"id": [not_empty, unicode_safe]}


@validator_args
def use_case_list(ignore_missing, unicode_safe, strip_value, natural_number_validator):
    return {"q": [ignore_missing, unicode_safe, strip_value],
            "dataset": [ignore_missing, unicode_safe],
            "limit": [ignore_missing, natural_number_validator],
            "offset": [ignore_missing, natural_number_validator]}


@validator_args
def data_request_create(not_empty, ignore_missing, unicode_safe, strip_value, hokkaido_single_line):
    return {"title": [not_empty, unicode_safe, strip_value, hokkaido_single_line],
            "description": [not_empty, unicode_safe, strip_value],
            "reason": [ignore_missing, unicode_safe, strip_value],
            "organization": [not_empty, unicode_safe, strip_value, hokkaido_single_line]}


@validator_args
def data_request_list(ignore_missing, unicode_safe, strip_value, natural_number_validator, one_of):
    return {"q": [ignore_missing, unicode_safe, strip_value],
            "status": [ignore_missing, unicode_safe, one_of(list(STATUSES))],
            "organization": [ignore_missing, unicode_safe, strip_value],
            "limit": [ignore_missing, natural_number_validator],
            "offset": [ignore_missing, natural_number_validator]}


@validator_args
def data_request_show(not_empty, natural_number_validator):
    return {"id": [not_empty, natural_number_validator]}


@validator_args
def data_request_answer(not_empty, ignore_missing, unicode_safe, strip_value, natural_number_validator, one_of,
                        hokkaido_single_line):
    return {"id": [not_empty, natural_number_validator],
            "status": [not_empty, unicode_safe, one_of(list(STATUSES))],
            "message": [ignore_missing, unicode_safe, strip_value],
            "dataset": [ignore_missing, unicode_safe, strip_value, hokkaido_single_line]}


@validator_args
def data_request_moderate(not_empty, ignore_missing, unicode_safe, strip_value, natural_number_validator,
                          boolean_validator):
    return {"id": [not_empty, natural_number_validator],
            "hidden": [not_empty, boolean_validator],
            "reason": [ignore_missing, unicode_safe, strip_value]}
