"""The Decider: initial state, decide (rules → events) and evolve (facts → state), and the fold of them all.

The present, the past (as of any moment) and the projections are the same fold over a stream:
`fold(decider.evolve, events, decider.initial_state())`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Generic, TypeVar

C = TypeVar("C")  # command
E = TypeVar("E")  # event
S = TypeVar("S")  # state


@dataclass(frozen=True, slots=True)
class Decider(Generic[C, E, S]):
    initial_state: Callable[[], S]
    decide: Callable[[S, C], list[E]]  # raises a DomainError naming the broken rule
    evolve: Callable[[S, E], S]  # never raises; unknown events leave the state as it is


def fold(evolve: Callable[[S, E], S], events: Iterable[E], state: S) -> S:
    return reduce(evolve, events, state)
