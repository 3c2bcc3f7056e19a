"""Evaluating a rule set against labelled messages (``label,content`` CSV).

Labels: ``0`` / ``ordinary`` / ``normal`` / ``ham`` for ordinary messages, ``1`` / ``spam`` /
``fraud`` for spam or fraud. A header row (``label,content``; other columns such as
``type`` are allowed when the header names ``label`` and ``content`` or ``text``) is
optional. Every row is read first; a file with unreadable rows is refused with the rows
listed (:class:`LabelledFileError`), nothing is evaluated.

The figures (:func:`evaluate`), stored in ``CheckerRuleSet.evaluation``:
``corpus`` (name), ``sha256`` (of the file's bytes), ``ordinary`` and ``spam`` (counts),
``ordinary_by_level`` and ``spam_by_level`` (``none/low/medium/high`` → count),
``high_fp`` and ``high_fp_rate`` (ordinary messages at "high"; the figure that gates
publishing), ``medium_fp`` and ``medium_fp_rate`` (ordinary at "medium"),
``spam_flagged_rate`` (spam at medium or high), ``per_type`` (type code →
``{"spam": n, "ordinary_high": n}``: messages whose highest type it is, spam at medium or
high, ordinary at high), ``fp_examples`` (up to 10 ordinary messages that reached high,
cut to 120 characters, so staff can see what to fix), ``seconds`` and
``messages_per_second`` (CPU of the scoring, one core).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .engine import LEVELS, Engine

CORPUS_NAME = "cn_spam_sms_80w_sample20k.csv"
EXAMPLES = Path(__file__).with_name("examples.csv")
ORDINARY_LABELS = {"0", "ordinary", "normal", "ham", "正常"}
SPAM_LABELS = {"1", "spam", "fraud", "垃圾", "诈骗"}


class LabelledFileError(ValueError):
    """The file cannot be evaluated: ``problems`` lists ``(line number, what)`` (at most
    20), ``reason`` is ``"encoding"``, ``"empty"`` or ``"rows"``."""

    def __init__(self, reason: str, problems: list[tuple[int, str]] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.problems = problems or []


@dataclass(frozen=True)
class Labelled:
    name: str
    sha256: str
    rows: list[tuple[bool, str]]  # (is spam, text)


def corpus_path() -> Path | None:
    """The configured corpus: ``SAFECAMPUS["CHECKER_CORPUS_PATH"]`` when set, else the real
    SMS file under the shared data folder (``SAFECAMPUS_SHARED_DATA`` or ``../shared/data``
    beside the repository); None when the file is not there."""
    configured = settings.SAFECAMPUS.get("CHECKER_CORPUS_PATH")
    if configured:
        path = Path(configured)
    else:
        data = Path(os.environ.get("SAFECAMPUS_SHARED_DATA",
                                   Path(settings.BASE_DIR).parent / "shared" / "data"))
        path = data / "fraud-sms" / CORPUS_NAME
    return path if path.is_file() else None


def read_labelled(data: bytes, name: str) -> Labelled:
    """Parse a labelled CSV (UTF-8 with or without BOM, else GB18030)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise LabelledFileError("encoding")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[bool, str]] = []
    problems: list[tuple[int, str]] = []
    label_col, text_col = 0, None
    for number, row in enumerate(reader, 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if number == 1:
            header = [cell.strip().lower() for cell in row]
            if "label" in header:
                label_col = header.index("label")
                text_col = next((header.index(n) for n in ("content", "text", "message")
                                 if n in header), None)
                if text_col is None and len(header) == 2:
                    text_col = 1 - label_col
                if text_col is None:
                    problems.append((1, "no content column"))
                    break
                continue
        label = row[label_col].strip().lower() if len(row) > label_col else ""
        content = (row[text_col] if text_col is not None and len(row) > text_col
                   else ",".join(row[1:]))
        if label in ORDINARY_LABELS:
            rows.append((False, content))
        elif label in SPAM_LABELS:
            rows.append((True, content))
        else:
            problems.append((number, label[:20]))
        if len(problems) >= 20:
            break
    if problems:
        raise LabelledFileError("rows", problems)
    if not rows:
        raise LabelledFileError("empty")
    return Labelled(name=name, sha256=hashlib.sha256(data).hexdigest(), rows=rows)


def read_path(path: Path) -> Labelled:
    return read_labelled(path.read_bytes(), path.name)


def evaluate(engine: Engine, labelled: Labelled) -> dict:
    """The figures of ``engine`` on ``labelled`` (see the module's description)."""
    by_level = {False: dict.fromkeys(LEVELS, 0), True: dict.fromkeys(LEVELS, 0)}
    per_type: dict[str, dict[str, int]] = {}
    fp_examples: list[str] = []
    started = time.process_time()
    for is_spam, text in labelled.rows:
        level, _score, types = engine.score(text)
        by_level[is_spam][level] += 1
        if types and (level == "high" or (is_spam and level == "medium")):
            top = max(types.items(), key=lambda kv: (kv[1], kv[0]))[0]
            counts = per_type.setdefault(top, {"spam": 0, "ordinary_high": 0})
            counts["spam" if is_spam else "ordinary_high"] += 1
        if not is_spam and level == "high" and len(fp_examples) < 10:
            fp_examples.append(text[:120])
    seconds = time.process_time() - started
    ordinary, spam = sum(by_level[False].values()), sum(by_level[True].values())
    return {
        "corpus": labelled.name,
        "sha256": labelled.sha256,
        "ordinary": ordinary,
        "spam": spam,
        "ordinary_by_level": by_level[False],
        "spam_by_level": by_level[True],
        "high_fp": by_level[False]["high"],
        "high_fp_rate": by_level[False]["high"] / ordinary if ordinary else None,
        "medium_fp": by_level[False]["medium"],
        "medium_fp_rate": by_level[False]["medium"] / ordinary if ordinary else None,
        "spam_flagged_rate": ((by_level[True]["medium"] + by_level[True]["high"]) / spam
                              if spam else None),
        "per_type": dict(sorted(per_type.items())),
        "fp_examples": fp_examples,
        "seconds": round(seconds, 3),
        "messages_per_second": round(len(labelled.rows) / seconds) if seconds > 0 else None,
    }
