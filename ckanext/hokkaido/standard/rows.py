"""One row of a municipality's table, as a row of the merged table.

The current edition's columns, from the headers :mod:`.columns` matched;
the municipality's code read as catalogues write it (``011002``, ``11002``,
``01100``); the coordinates checked: both or neither, numbers, inside
Hokkaido, and near the municipality (its town hall within
:data:`NEAR_KM`). A row that fails is rejected with the reason, never
mended silently (swapped coordinates are reported as such, not swapped).

Pure: no database, no CKAN.
"""
from __future__ import annotations

import math
import unicodedata
from typing import Any, Optional

from harvesters.municipalities import PREFECTURE_CODE, get, normalize_code

from ckanext.hokkaido.standard.columns import CODE, LAT, LNG, Match

__all__ = ["HOKKAIDO", "NEAR_KM", "convert", "distance_km"]

#: Hokkaido's extent with its islands (south, north, west, east), degrees
HOKKAIDO = (41.3, 45.6, 139.3, 146.0)
#: how far from its town hall a municipality's point may lie (足寄町 and
#: 別海町 reach about 50 km from theirs)
NEAR_KM = 80.0


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine, the Earth as a 6371 km sphere)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _number(value: Any) -> Optional[float]:
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _inside(lat: float, lng: float) -> bool:
    south, north, west, east = HOKKAIDO
    return south <= lat <= north and west <= lng <= east


def convert(row: dict[str, Any], found: Match, dataset_code: str) -> tuple[Optional[dict[str, Any]], str]:
    """(the merged row, '') or (``None``, why it is rejected).

    ``row`` maps the table's headers to values; ``dataset_code`` is the
    municipality of the dataset (the prefecture's for its own)."""
    out: dict[str, Any] = {}
    for header, column in found.columns.items():
        value = row.get(header)
        text = "" if value is None else str(value).strip()
        out[column] = text or None
    code = dataset_code
    given = out.get(CODE)
    if given:
        read = normalize_code(given)
        if read is None or (read != PREFECTURE_CODE and get(read) is None):
            return None, f"全国地方公共団体コードが北海道の市町村ではありません / not a Hokkaido code: {given!r}"
        if dataset_code != PREFECTURE_CODE and read != dataset_code:
            return None, f"別の市町村のコードです / another municipality's code: {read}"
        code = read
    out[CODE] = code
    lat_text, lng_text = out.get(LAT), out.get(LNG)
    if lat_text or lng_text:
        lat, lng = _number(lat_text or ""), _number(lng_text or "")
        if lat is None or lng is None:
            return None, f"緯度・経度が数値ではありません / coordinates are not numbers: {lat_text!r}, {lng_text!r}"
        if not _inside(lat, lng):
            if _inside(lng, lat):
                return None, f"緯度と経度が逆のようです / latitude and longitude look swapped: {lat}, {lng}"
            return None, f"北海道の外の座標です / outside Hokkaido: {lat}, {lng}"
        municipality = get(code) if code != PREFECTURE_CODE else None
        if municipality is not None and municipality.lat is not None and municipality.lng is not None:
            away = distance_km(lat, lng, municipality.lat, municipality.lng)
            if away > NEAR_KM:
                return None, (f"{municipality.name}役場から{away:.0f}km離れています / "
                              f"{away:.0f} km from {municipality.name}'s town hall")
        out[LAT], out[LNG] = lat, lng
    else:
        out[LAT] = out[LNG] = None
    return out, ""
