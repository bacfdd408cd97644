"""Municipalities' names in Latin letters, from their katakana readings
(Hepburn, as road signs and the municipalities' own English pages write
them: サッポロ → sapporo, ハコダテ → hakodate, キョウゴク → kyogoku and
kyougoku, モンベツ → monbetsu and mombetsu). Pure; used to index each
municipality's romanised names (``HokkaidoPlugin.before_dataset_index``)."""
from __future__ import annotations

__all__ = ["romanise", "variants"]

_SINGLE = dict(zip(
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
    "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴァィゥェォ",
    "a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho "
    "ma mi mu me mo ya yu yo ra ri ru re ro wa o n ga gi gu ge go za ji zu ze zo da ji zu de do "
    "ba bi bu be bo pa pi pu pe po vu a i u e o".split()))
_SMALL_Y = {"ャ": "a", "ュ": "u", "ョ": "o"}


def romanise(kana: str) -> str:
    """Hepburn of a katakana reading (ー lengthens nothing: sapporo, not
    sappōro); characters it does not know are dropped."""
    out: list[str] = []
    double = False
    chars = list(kana)
    i = 0
    while i < len(chars):
        char = chars[i]
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        if char == "ッ":
            double = True
            i += 1
            continue
        if char == "ー":
            i += 1
            continue
        syllable = _SINGLE.get(char, "")
        if nxt in _SMALL_Y and syllable.endswith("i") and len(syllable) > 1:
            stem = syllable[:-1]
            syllable = (stem if stem in ("sh", "ch", "j") else stem + "y") + _SMALL_Y[nxt]
            i += 1
        if double and syllable:
            syllable = ("t" if syllable.startswith("ch") else syllable[0]) + syllable
            double = False
        out.append(syllable)
        i += 1
    return "".join(out)


def variants(kana: str) -> list[str]:
    """The romanised name and the spellings people also use: long vowels
    written short (kyougoku → kyogoku), n before b, m and p as m
    (monbetsu → mombetsu)."""
    base = romanise(kana)
    forms = [base]
    short = base.replace("ou", "o").replace("uu", "u")
    mb = "".join(("m" if c == "n" and nxt in "bmp" and nxt else c) for c, nxt in zip(base, base[1:] + " "))
    for form in (short, mb):
        if form and form not in forms:
            forms.append(form)
    return [f for f in forms if f]
