"""JSON Schemas (draft-07) of the two kinds of file a person edits: a problem and an answers file.

Editors' YAML plugins (the yaml-language-server of VS Code, Neovim, Helix …) read a schema
named on a file's first line, ``# yaml-language-server: $schema=…``, and then complete and
check its keys. The schemas are built here from the names the loader knows (``KNOWN_KEYS``,
the step names), and shipped as JSON in ``handcalc/schemas/`` so that the line can point at a
file that exists wherever handcalc is installed. Prints nothing.

The schema knows each key as DESIGN §2 spells it (``W_q``); handcalc itself also reads
``Wq`` and ``W_Q``, which an editor then marks as unknown — a nudge to the usual spelling.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

KINDS = ("problem", "answers")
DRAFT = "http://json-schema.org/draft-07/schema#"
SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"

# A number as text: "1/3", "0.25", "-1e3" (what numbers.parse_number reads from a string).
NUMBER_TEXT = r"^\s*[+-]?(\d+/\d+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)\s*$"
# An answers cell as text: a number, a blank ("?", "_", "") or a masked cell (-inf, −∞).
ANSWER_TEXT = r"^\s*([+-]?(\d+/\d+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)|[?_]?|-inf|-infinity|-\.inf|-\.Inf|-\.INF|[-−]∞)\s*$"
HEAD = r"(h[1-9][0-9]*\.)?"  # a head's prefix: h2.Q


def _number(description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": NUMBER_TEXT}]}
    return {"description": description, **schema} if description else schema


def _matrix(description: str, cell: dict[str, Any] | None = None) -> dict[str, Any]:
    """A non-empty list of non-empty rows of ``cell`` (a number by default)."""
    row = {"type": "array", "minItems": 1, "items": cell or _number()}
    return {"description": description, "type": "array", "minItems": 1, "items": row}


def _over(minimum: int, description: str, words: list[str]) -> dict[str, Any]:
    """One of ``words``, or a number greater than ``minimum`` (as a number or as text)."""
    return {
        "description": description,
        "anyOf": [{"enum": words}, {"type": "number", "exclusiveMinimum": minimum},
                  {"type": "string", "pattern": NUMBER_TEXT}],
    }  # fmt: skip


def problem_schema() -> dict[str, Any]:
    """The schema of a problem file (DESIGN §2)."""
    from handcalc.load import KNOWN_KEYS
    from handcalc.problem import MAX_ROUND

    weights = {
        "W_q": _matrix("The query projection: Q = W_q · X (columns layout), X · W_q (rows)."),
        "W_k": _matrix("The key projection: K = W_k · X (X_kv in cross-attention)."),
        "W_v": _matrix("The value projection: V = W_v · X (X_kv in cross-attention)."),
    }
    properties = {
        "title": {"type": "string", "description": "The title over the work."},
        "layout": {"enum": ["columns", "rows"],
                   "description": "columns: tokens as columns, as by hand (default); rows: tokens as rows, as on paper and in PyTorch."},
        "tokens": {"type": "array", "minItems": 1, "items": {"type": ["string", "number"]},
                   "description": "One label per token of X."},
        "X": _matrix("The input: one column per token (one row per token with layout: rows). Cells are numbers or fractions as text, \"1/3\"."),
        **weights,
        "X_kv": _matrix("Cross-attention: keys and values come from X_kv, queries from X."),
        "mask": {"description": "none, causal, or a 0/1 matrix shaped like scores (1 = may attend).",
                 "anyOf": [{"enum": ["none", "causal"]}, _matrix("A 0/1 matrix shaped like scores.", {"enum": [0, 1]})]},
        "scale": _over(0, "What the scores are divided by: sqrt_dk (default), none, or a positive number.", ["sqrt_dk", "none"]),
        "temperature": _over(0, "A positive number T: scaled = scores / (√d_k · T). Default 1.", []),
        "base": _over(1, "The base of the exponentials: e (default), or a number greater than 1 (3 is the hand approximation).", ["e"]),
        "round": {"type": "integer", "minimum": 0, "maximum": MAX_ROUND,
                  "description": "Round every step to this many decimals and carry the rounded values on, as on paper."},
        "heads": {"description": "Multi-head attention, instead of W_q, W_k and W_v: one {W_q, W_k, W_v} per head.",
                  "type": "array", "minItems": 1,
                  "items": {"type": "object", "properties": weights, "required": list(weights), "additionalProperties": False}},
        "W_o": _matrix("The output projection: output = W_o · concat (or W_o · Z)."),
    }  # fmt: skip
    assert set(properties) == set(KNOWN_KEYS), "the schema and the loader know the same keys"
    return {
        "$schema": DRAFT,
        "$id": "handcalc-problem.schema.json",
        "title": "handcalc problem",
        "description": "One self-attention exercise for handcalc: the matrices and the options.",
        "type": "object",
        "properties": {key: properties[key] for key in KNOWN_KEYS},
        "required": ["X"],
        "oneOf": [{"required": list(weights)}, {"required": ["heads"]}],
        "additionalProperties": False,
    }


def answers_schema() -> dict[str, Any]:
    """The schema of an answers file (``handcalc check``): step names to what was written."""
    from handcalc.answers import IDENTITY
    from handcalc.steps import COMPUTED

    cell = {"anyOf": [{"type": ["number", "null"]}, {"type": "string", "pattern": ANSWER_TEXT}],
            "description": "A number, a fraction as text (\"1/3\"), a blank (null, \"?\" or \"_\") or a masked cell (-inf)."}  # fmt: skip
    per_head = [name for name in COMPUTED if name not in ("sums", "concat", "output")]
    matrix = _matrix("The step's matrix, as written by hand.", cell)
    whose = {"id": "The student's id (an answers template).", "variant": "The exercise's code (an answers template)."}
    assert set(whose) == set(IDENTITY), "the schema and the answers reader know the same identity keys"
    return {
        "$schema": DRAFT,
        "$id": "handcalc-answers.schema.json",
        "title": "handcalc answers",
        "description": "A student's answers for handcalc check: step names (Q, scores, A, h2.Z …) to what was written.",
        "type": "object",
        "minProperties": 1,
        "properties": {key: {"type": ["string", "number"], "description": whose[key]} for key in IDENTITY}
        | {name: matrix for name in COMPUTED if name != "sums"} | {
            "sums": {"description": "The softmax sums: one per query.", "type": "array", "minItems": 1, "items": cell}},
        "patternProperties": {
            f"^{HEAD}({'|'.join(per_head)})$": matrix,
            f"^{HEAD}sums$": {"type": "array", "minItems": 1, "items": cell},
        },
        "additionalProperties": False,
    }  # fmt: skip


def schema(kind: str) -> dict[str, Any]:
    """The schema of ``kind``: "problem" or "answers"."""
    return {"problem": problem_schema, "answers": answers_schema}[kind]()


def schema_json(kind: str) -> str:
    """The schema of ``kind`` as the JSON text shipped in ``handcalc/schemas/``."""
    return json.dumps(schema(kind), ensure_ascii=False, indent=2) + "\n"


def schema_path(kind: str) -> Path:
    """The bundled schema file of ``kind``."""
    if kind not in KINDS:
        raise KeyError(kind)
    return SCHEMAS_DIR / f"{kind}.schema.json"


def schema_line(kind: str) -> str:
    """``# yaml-language-server: $schema=file:///…/problem.schema.json``: the first line that
    tells an editor which schema checks the file."""
    return f"# yaml-language-server: $schema={schema_path(kind).as_uri()}"


def with_schema_line(text: str, kind: str) -> str:
    """The YAML ``text`` of a ``kind`` file ("problem" or "answers") with the schema line first."""
    return f"{schema_line(kind)}\n{text}"


if __name__ == "__main__":  # python -m handcalc.schema: write the bundled schema files again
    for name in KINDS:
        schema_path(name).write_text(schema_json(name), encoding="utf-8")
