"""Joint choice among repair candidates: max-marginal search over a word lattice.

A line is a sequence of slots, one per character, each with one or more candidate characters.
Dictionary words spanning the slots are the lattice edges; neighbouring damaged characters are
chosen together because a word covers several of them at once.  For each ambiguous slot the
score of the best path through each candidate is computed (forward + backward), so the margin
between the winner and the runner-up says how sure the choice is.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from ingest.repair.lexicon import load_lm
from ingest.repair.lm import (
    BOUNDARY,
    JOINER,
    State,
    WordLM,
    end_logp,
    is_ideograph,
    state_after,
    symbol_logp,
)

NOT_EMOJI_AFTER_JOINER = -10.0  # a zero-width joiner must be followed by a pictograph


@dataclass(frozen=True)
class Choice:
    """The candidate chosen for one ambiguous slot, with its closest rival."""

    slot: int
    chosen: str
    runner_up: str | None
    margin: float  # natural-log score of the best path through chosen minus through runner_up


@dataclass(frozen=True)
class _Edge:
    start: int
    end: int
    text: str
    tag: str  # part-of-speech tag of a word; "" for a symbol
    logp: float  # word log P(word | tag) plus context bonuses of its characters


def choose(slots: Sequence[tuple[str, ...]], bonus: Mapping[tuple[int, str], float]) -> list[Choice]:
    """Pick a candidate for every slot with more than one, jointly, by the language model."""
    lm = load_lm()
    choices: list[Choice] = []
    for lo, hi in _windows(slots):
        window = slots[lo:hi]
        shifted = {(slot - lo, ch): value for (slot, ch), value in bonus.items() if lo <= slot < hi}
        for choice in _choose_window(lm, window, shifted):
            choices.append(Choice(choice.slot + lo, choice.chosen, choice.runner_up, choice.margin))
    return choices


def _windows(slots: Sequence[tuple[str, ...]]) -> Iterator[tuple[int, int]]:
    # A single non-ideograph character fixes the state after it, so the search can stop there;
    # each window keeps one such character on either side, whose score depends on its neighbour.
    hard = [len(c) == 1 and not is_ideograph(c[0]) for c in slots]
    i = 0
    while i < len(slots):
        if hard[i]:
            i += 1
            continue
        end = i
        while end < len(slots) and not hard[end]:
            end += 1
        if any(len(slots[k]) > 1 for k in range(i, end)):
            yield max(i - 1, 0), min(end + 1, len(slots))
        i = end


def _choose_window(
    lm: WordLM, slots: Sequence[tuple[str, ...]], bonus: Mapping[tuple[int, str], float]
) -> list[Choice]:
    edges = _edges(lm, slots, bonus)
    fwd = _forward(lm, len(slots), edges)
    bwd = _backward(lm, fwd, edges)
    best: list[dict[str, float]] = [{} for _ in slots]
    for start_edges in edges:
        for edge in start_edges:
            for state, score in fwd[edge.start].items():
                total = score + _score(lm, state, edge) + bwd[edge.end][_after(edge)]
                for offset, ch in enumerate(edge.text):
                    marginals = best[edge.start + offset]
                    marginals[ch] = max(marginals.get(ch, -math.inf), total)
    return [_pick(slot, marginals) for slot, marginals in enumerate(best) if len(slots[slot]) > 1]


def _pick(slot: int, marginals: dict[str, float]) -> Choice:
    ranked = sorted(marginals.items(), key=lambda item: -item[1])
    if len(ranked) == 1:
        return Choice(slot, ranked[0][0], None, math.inf)
    return Choice(slot, ranked[0][0], ranked[1][0], ranked[0][1] - ranked[1][1])


def _edges(lm: WordLM, slots: Sequence[tuple[str, ...]], bonus: Mapping[tuple[int, str], float]) -> list[list[_Edge]]:
    edges: list[list[_Edge]] = [[] for _ in slots]
    for start, candidates in enumerate(slots):
        for ch in candidates:
            extra = bonus.get((start, ch), 0.0)
            if not is_ideograph(ch):
                edges[start].append(_Edge(start, start + 1, ch, "", extra))
                continue
            edges[start].extend(_words_from(lm, slots, bonus, start, ch, extra))
    return edges


def _words_from(
    lm: WordLM,
    slots: Sequence[tuple[str, ...]],
    bonus: Mapping[tuple[int, str], float],
    start: int,
    first: str,
    first_bonus: float,
) -> Iterator[_Edge]:
    # Depth-first over the candidates of the following slots, pruned by the prefix table.
    stack = [(first, first_bonus)]
    while stack:
        text, extra = stack.pop()
        end = start + len(text)
        if len(text) == 1 or lm.word(text) is not None:  # any ideograph may stand alone
            tag, logp = lm.reading(text)
            yield _Edge(start, end, text, tag, logp + extra)
        if end < len(slots):
            for ch in slots[end]:
                if is_ideograph(ch) and lm.is_prefix(text + ch):
                    stack.append((text + ch, extra + bonus.get((end, ch), 0.0)))


def _after(edge: _Edge) -> State:
    return (edge.tag, edge.end - edge.start == 1) if edge.tag else state_after(edge.text)


def _score(lm: WordLM, prev: State, edge: _Edge) -> float:
    if not edge.tag:
        return symbol_logp(edge.text, prev) + edge.logp
    penalty = NOT_EMOJI_AFTER_JOINER if prev == JOINER else 0.0
    return lm.transition(prev, edge.tag, edge.end - edge.start == 1) + edge.logp + penalty


def _forward(lm: WordLM, size: int, edges: list[list[_Edge]]) -> list[dict[State, float]]:
    fwd: list[dict[State, float]] = [{} for _ in range(size + 1)]
    fwd[0][BOUNDARY] = 0.0
    for start in range(size):
        for state, score in fwd[start].items():
            for edge in edges[start]:
                total = score + _score(lm, state, edge)
                after = _after(edge)
                if total > fwd[edge.end].get(after, -math.inf):
                    fwd[edge.end][after] = total
    return fwd


def _backward(lm: WordLM, fwd: list[dict[State, float]], edges: list[list[_Edge]]) -> list[dict[State, float]]:
    bwd: list[dict[State, float]] = [{} for _ in fwd]
    # A window ends with the line, or with a symbol, after which end_logp costs nothing.
    bwd[-1] = {state: end_logp(state) for state in fwd[-1]}
    for start in reversed(range(len(edges))):
        for state in fwd[start]:
            bwd[start][state] = max(
                (_score(lm, state, e) + bwd[e.end][_after(e)] for e in edges[start]),
                default=-math.inf,
            )
    return bwd
