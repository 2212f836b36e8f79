"""What a block of contacts is drawn from: its days and ids, earlier blocks, the business rates."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Rates:
    """Business rates of the simulation (documented in docs/generator.md)."""

    request_by_channel: dict[str, float] = field(
        default_factory=lambda: {
            "formulaire_web": 0.78,
            "telephone": 0.66,
            "apporteur": 0.55,
            "parrainage": 0.72,
            "salon": 0.58,
        }
    )
    quote_after_request: dict[str, float] = field(
        default_factory=lambda: {
            "devis": 0.62,
            "rendez_vous": 0.70,
            "contact": 0.22,
        }
    )
    quote_sent: float = 0.92
    quote_signed: float = 0.36
    quote_refused: float = 0.24
    order_cancelled: float = 0.07
    installation_completed: float = 0.97
    repeat_client: float = 0.12
    deposit_invoice: float = 0.35
    financing: float = 0.16
    financing_accepted: float = 0.72
    ticket: float = 0.20
    survey_sent: float = 0.85
    survey_answered: float = 0.42
    privacy_request: float = 0.025
    simulation_web: float = 0.40


@dataclass(frozen=True)
class BlockSpec:
    """One block of contacts: its random stream and the days its contacts are created."""

    tag: tuple[int, ...]
    created: np.ndarray  # sorted contact creation instants
    id_offsets: dict[str, int]


@dataclass
class BlockContext:
    """What a block may reference from earlier blocks (referrers, staff)."""

    referrer_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    referrer_times: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    n_sales_reps: int = 4
    n_technicians: int = 6
