"""Fillable sheets: each student's pages of a class's sheets PDF as a PDF form, one text
field over each answer box (named by :func:`handcalc.marking.pdf_forms.field_name`), and
the read-only, hidden fields ``id`` and ``variant`` that say whose form it is.

The fields are plain AcroForm text fields with ``NeedAppearances`` set, so that any reader
(Firefox, Acrobat, Preview, a tablet's) draws what is typed and saves it in the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

FONT = "/Helv 10 Tf 0.09 0.25 0.66 rg"  # Helvetica, 10 pt, the key's blue ink
READ_ONLY, HIDDEN, PRINT = 1, 2, 4  # the field flag (Ff) and the annotation flags (F)


def fillable_forms(data: bytes, starts: Sequence[int], boxes: Sequence[Mapping], identities: Sequence[Mapping[str, str]]) -> list[bytes]:
    """Each sheet of the PDF ``data`` as its own form: sheet k's pages run from ``starts[k]``
    (0-based) to the next sheet's; ``boxes`` are the corners of the answer boxes (see
    :func:`handcalc.render.typst.pdf_with_boxes`); ``identities[k]`` the hidden fields of
    sheet k (``{"id": …, "variant": …}``)."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    ends = [*starts[1:], len(reader.pages)]
    rects = _rects(boxes)
    forms = []
    for start, end, identity in zip(starts, ends, identities, strict=True):
        mine = [(name, page - 1 - start, rect) for name, page, rect in rects if start <= page - 1 < end]
        forms.append(_form(reader, start, end, mine, identity))
    return forms


def _rects(boxes: Sequence[Mapping]) -> list[tuple[str, int, tuple[float, float, float, float]]]:
    """Each box as (name, 1-based page, (x0, y0, x1, y1) from the top-left), in reading order."""
    corners: dict[tuple[str, int], dict[int, tuple[float, float]]] = {}
    for box in boxes:
        corners.setdefault((box["name"], box["page"]), {})[box["corner"]] = (box["x"], box["y"])
    return [(name, page, (*ends[0], *ends[1])) for (name, page), ends in corners.items() if len(ends) == 2]


def _form(reader, start: int, end: int, boxes, identity: Mapping[str, str]) -> bytes:
    import io

    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    for k in range(start, end):
        writer.add_page(reader.pages[k])
    fields = ArrayObject()
    annotations: dict[int, ArrayObject] = {}
    for name, k, (x0, y0, x1, y1) in boxes:
        page = writer.pages[k]
        height = float(page.mediabox.top)
        rect = (x0, height - y1, x1, height - y0)  # PDF counts y from the bottom
        ref = writer._add_object(_field(name, "", rect, page.indirect_reference, PRINT, 0))
        fields.append(ref)
        annotations.setdefault(k, ArrayObject()).append(ref)
    first = writer.pages[0]
    for key in ("id", "variant"):
        ref = writer._add_object(_field(key, identity.get(key, ""), (0, 0, 0, 0), first.indirect_reference, HIDDEN, READ_ONLY))
        fields.append(ref)
        annotations.setdefault(0, ArrayObject()).append(ref)
    for k, refs in annotations.items():
        writer.pages[k][NameObject("/Annots")] = refs
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica"), NameObject("/Encoding"): NameObject("/WinAnsiEncoding")})  # fmt: skip
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/Helv"): writer._add_object(font)})})
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): fields, NameObject("/NeedAppearances"): BooleanObject(True),
        NameObject("/DA"): TextStringObject(FONT), NameObject("/DR"): resources,
    })  # fmt: skip
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _field(name: str, value: str, rect, page, flags: int, field_flags: int):
    """A text field and its widget in one dictionary, its text centred in ``rect``."""
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject, TextStringObject

    return DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject(name),
        NameObject("/V"): TextStringObject(value), NameObject("/DA"): TextStringObject(FONT),
        NameObject("/Q"): NumberObject(1), NameObject("/F"): NumberObject(flags), NameObject("/Ff"): NumberObject(field_flags),
        NameObject("/Rect"): ArrayObject([FloatObject(round(v, 2)) for v in rect]), NameObject("/P"): page,
    })  # fmt: skip

