"""Detect and repair mojibake: UTF-8 text that was shown as Windows-1252 and saved again.

Each shown character maps back to the byte it stands for (cp1252, Latin-1 for C1 controls, and
the few cp1254 letters a Turkish code page left, such as ğ for 0xF0).  The bytes cp1252 cannot
show were dropped, but they are all UTF-8 continuation bytes, so lead bytes survive and mark
where each character starts: a lead followed by too few continuation bytes is a character with
bytes missing.  Its candidates are every way the dropped byte values complete it; the language
model in repair_lattice picks among them, jointly over neighbouring damaged characters.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from dataclasses import dataclass

from ingest.errors import EmptyInput, EncodingUnknown
from ingest.repair.lattice import Choice, choose

# Bytes that cp1252 (0x81 0x8D 0x8F 0x90 0x9D), cp1254 (0x8E 0x9E) or an invisible soft hyphen
# (0xAD) could not show, so they vanished; all are UTF-8 continuation bytes.
DROPPED = (0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x8E, 0x9E, 0xAD)
# nats; a choice that wins by less goes to the report for a person to check: one in seven on the
# seed, among them nearly all the wrong ones
LOW_MARGIN = 4.0
_CONTEXT = 8  # characters of context either side in the report
# Characters that legitimately follow an accented letter ("café”", "«CAFÉ»"), so a lead byte
# followed by one of them is weak evidence of mojibake.
_LEGIT_FOLLOWERS = frozenset("‘’“”«»‹›„‚…–—\u00a0™®©°·•€")
_PAIRS = tuple(tuple(pair) for pair in ("“”", "‘’", "「」", "『』", "【】", "《》", "（）", "〈〉", "〔〕"))
_PAIR_BONUS = 4.0  # an opener whose closer follows on the line, or a closer whose opener precedes


def _byte_table() -> dict[str, int]:
    table = {chr(b): b for b in range(0x80, 0x100)}  # a Latin-1 reading keeps C1 controls
    for b in range(0x80, 0x100):
        try:
            table[bytes([b]).decode("cp1252")] = b
        except UnicodeDecodeError:
            continue  # the five bytes cp1252 leaves undefined
    table.update({"ğ": 0xF0, "Ğ": 0xD0, "İ": 0xDD, "Ş": 0xDE})  # where cp1254 differs
    return table


_BYTE = _byte_table()


@dataclass(frozen=True)
class RepairedChar:
    """One repaired character whose choice was close; line and column are 1-based."""

    line: int
    column: int
    chosen: str
    runner_up: str | None
    margin: float
    context: str


@dataclass(frozen=True)
class RepairReport:
    """What a repair did: how many characters it restored and which choices to check."""

    repaired: int
    ambiguous: int
    low_margin: tuple[RepairedChar, ...]

    def summary(self) -> str:
        """A few human-readable lines for stderr."""
        if not self.repaired:
            return "No mojibake found; the text was left as it was."
        lines = [
            f"Repaired {self.repaired} characters from mojibake; {self.ambiguous} had several "
            f"candidates and {len(self.low_margin)} won by a small margin."
        ]
        if self.low_margin:
            lines.append("Please check these choices:")
        lines.extend(
            f"  line {c.line}, column {c.column}: {c.context}  chose {c.chosen!r} over "
            f"{c.runner_up!r} (margin {c.margin:.2f})"
            for c in self.low_margin
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class RepairResult:
    """Repaired text, the report, and whether anything changed."""

    text: str
    report: RepairReport
    changed: bool


@dataclass(frozen=True)
class _Piece:
    source: str  # the characters as they stand in the text
    candidates: tuple[str, ...]  # what they may stand for; (source,) when left alone
    present: int  # continuation bytes still there; -1 for a character that is not a lead byte


def _need(lead: int) -> int:
    if 0xC2 <= lead <= 0xDF:
        return 1
    if 0xE0 <= lead <= 0xEF:
        return 2
    return 3 if 0xF0 <= lead <= 0xF4 else 0


def _is_continuation(ch: str) -> bool:
    return 0x80 <= _BYTE.get(ch, 0) <= 0xBF


def _plausible(ch: str) -> bool:
    return unicodedata.category(ch) not in ("Cn", "Co", "Cs", "Cc")


@functools.lru_cache(maxsize=4096)
def _completions(lead: int, present: bytes) -> tuple[str, ...]:
    """Every character the lead byte, the present bytes in order and dropped bytes can spell."""
    size = _need(lead)
    found: dict[str, None] = {}
    for places in itertools.combinations(range(size), len(present)):
        for fill in itertools.product(DROPPED, repeat=size - len(present)):
            tail, given, filler = bytearray(), iter(present), iter(fill)
            for spot in range(size):
                tail.append(next(given) if spot in places else next(filler))
            try:
                ch = bytes([lead, *tail]).decode("utf-8")
            except UnicodeDecodeError:
                continue
            if _plausible(ch):
                found[ch] = None
    return tuple(found)


def _parse(line: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    i = 0
    while i < len(line):
        lead = _BYTE.get(line[i], 0)
        size = _need(lead)
        if not size:
            pieces.append(_Piece(line[i], (line[i],), -1))
            i += 1
            continue
        end = i + 1
        while end < len(line) and end - i <= size and _is_continuation(line[end]):
            end += 1
        present = bytes(_BYTE[ch] for ch in line[i + 1 : end])
        candidates = _completions(lead, present)
        if candidates:
            pieces.append(_Piece(line[i:end], candidates, end - i - 1))
            i = end
        else:  # no character fits: a legit letter, not a damaged lead byte
            pieces.append(_Piece(line[i], (line[i],), -1))
            i += 1
    return pieces


def _strong(piece: _Piece) -> bool:
    """Whether a piece is a lead byte with continuation bytes that legit text would not have."""
    if piece.present < 1:
        return False
    if piece.present >= 2 or piece.source[0] in "ÂÃ":
        return True
    return piece.source[1] not in _LEGIT_FOLLOWERS


def looks_like_mojibake(text: str) -> bool:
    """Whether text holds UTF-8 shown as cp1252: lead bytes followed by continuation bytes."""
    return any(_strong(piece) for line in text.split("\n") for piece in _parse(line))


def repair_text(text: str) -> RepairResult:
    """Repair mojibake in text; clean text comes back unchanged with changed=False."""
    if not looks_like_mojibake(text):
        return RepairResult(text, RepairReport(0, 0, ()), False)
    lines = text.split("\n")
    repaired, ambiguous, low = 0, 0, []
    for number, line in enumerate(lines, start=1):
        pieces = _parse(line)
        if not any(p.present >= 1 for p in pieces):
            continue  # no lead byte followed by continuation bytes: leave a legit "café" alone
        slots = [p.candidates for p in pieces]
        choices = choose(slots, _pair_bonus(slots)) if any(len(s) > 1 for s in slots) else []
        lines[number - 1] = _apply(slots, choices)
        repaired += sum(p.present >= 0 for p in pieces)
        ambiguous += len(choices)
        low.extend(_low_margin(number, lines[number - 1], choices))
    result = "\n".join(lines)
    return RepairResult(result, RepairReport(repaired, ambiguous, tuple(low)), result != text)


def _apply(slots: list[tuple[str, ...]], choices: list[Choice]) -> str:
    picked = [s[0] for s in slots]
    for choice in choices:
        picked[choice.slot] = choice.chosen
    return "".join(picked)


def _pair_bonus(slots: list[tuple[str, ...]]) -> dict[tuple[int, str], float]:
    # Brackets and quotes come in pairs, which settles "【" against "、" or "”" against "„":
    # an opener gains when its closer follows with no other possible opener between, a closer
    # when its opener precedes that way; one left without its mate loses as much.
    bonus: dict[tuple[int, str], float] = {}
    for slot, candidates in enumerate(slots):
        for ch in candidates if len(candidates) > 1 else ():
            for opener, closer in _PAIRS:
                if ch == opener:
                    matched = _pairs_with(slots[slot + 1 :], closer, opener)
                elif ch == closer:
                    matched = _pairs_with(slots[:slot][::-1], opener, closer)
                else:
                    continue
                bonus[(slot, ch)] = _PAIR_BONUS if matched else -_PAIR_BONUS
    return bonus


def _pairs_with(slots: list[tuple[str, ...]], mate: str, rival: str) -> bool:
    """Whether mate stands for sure in slots before anything that may be a rival."""
    for candidates in slots:
        if candidates == (mate,):
            return True
        if rival in candidates:
            return False
    return False


def _low_margin(number: int, fixed: str, choices: list[Choice]) -> list[RepairedChar]:
    # Slots are characters of the repaired line, so a slot index is its column.
    found = []
    for c in choices:
        if c.margin < LOW_MARGIN:
            before = fixed[max(0, c.slot - _CONTEXT) : c.slot]
            after = fixed[c.slot + 1 : c.slot + 1 + _CONTEXT]
            context = f"{before}[{c.chosen}]{after}"
            found.append(RepairedChar(number, c.slot + 1, c.chosen, c.runner_up, c.margin, context))
    return found


def decode_bytes(data: bytes, *, name: str) -> RepairResult:
    """Decode a text file's bytes (UTF-8, UTF-16/32 with BOM, else GB18030), then repair it."""
    text = _decode(data, name)
    if not text.strip():
        raise EmptyInput(f"{name}: the file is empty; give a reading guide that has some text.")
    return repair_text(text)


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _decode(data: bytes, name: str) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise _unknown(name, f"it starts with a {codec} mark but is not {codec}") from exc
    if b"\x00" in data:
        raise _unknown(name, "it holds NUL bytes, so it is binary, not text")
    for codec in ("utf-8", "gb18030"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _mostly_text(text):
            return text
    raise _unknown(name, "it is neither UTF-8 nor GB18030 text")


def _mostly_text(text: str) -> bool:
    # GB18030 decodes many binary files without error; control characters give them away.
    controls = sum(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f" for ch in text)
    return controls <= len(text) // 100


def _unknown(name: str, why: str) -> EncodingUnknown:
    return EncodingUnknown(f"{name}: cannot read the file as text: {why}; save it as UTF-8.")
