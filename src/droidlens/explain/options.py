"""Options of the explanation methods, in one object passed to every method."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["ExplainOptions", "RANK_BY", "SMOOTHER_NAMES"]

RANK_BY = ("predicted", "benign")
SMOOTHER_NAMES = ("fusedlasso", "trend1", "trend2", "trend3", "none")


@dataclass(frozen=True)
class ExplainOptions:
    """Settings read by the explanation methods; each method uses the fields it needs.

    Attributes
    ----------
    smoother : str
        Smoother of the occlusion output: ``"fusedlasso"``, ``"trend1"``, ``"trend2"``,
        ``"trend3"`` or ``"none"``.
    lam : float or None
        Smoothing penalty; ``None`` takes the solver module's default.
    rank_by : str
        ``"predicted"`` ranks the calls whose removal lowers the predicted class's probability
        most first; ``"benign"`` ranks by the smoothed benign probability after removal,
        largest first, for every app (the original system's rule).
    memory_budget_mb : float
        Memory for one batch of perturbed copies; it sets how many copies run per forward pass.
    n_samples : int
        Perturbed samples for sampling methods (LIME, Kernel SHAP, LEMNA).
    n_components : int
        Mixture components of LEMNA.
    window : int or None
        LEMNA: perturb only positions within this distance of the position of interest.
    fraction : float or None
        LEMNA: share of calls nullified per sample; ``None`` draws the count uniformly.
    n_restarts : int
        LEMNA: EM restarts; the best log-likelihood is kept.
    assignment : str
        LEMNA: ``"soft"`` or ``"hard"`` EM responsibilities.
    em_tol : float
        LEMNA: relative change of the log-likelihood that stops EM.
    em_max_iter : int
        LEMNA: EM iteration cap.
    ig_steps : int
        Integrated gradients: steps of the Riemann sum.
    """

    smoother: str = "fusedlasso"
    lam: float | None = None
    rank_by: str = "predicted"
    memory_budget_mb: float = 256.0
    n_samples: int = 500
    n_components: int = 6
    window: int | None = None
    fraction: float | None = None
    n_restarts: int = 1
    assignment: str = "soft"
    em_tol: float = 1e-4
    em_max_iter: int = 100
    ig_steps: int = 50

    def __post_init__(self) -> None:
        if self.smoother not in SMOOTHER_NAMES:
            raise ValueError(
                f"unknown smoother {self.smoother!r}; choose one of {', '.join(SMOOTHER_NAMES)}"
            )
        if self.lam is not None and self.lam < 0:
            raise ValueError(f"lam must be non-negative, got {self.lam}")
        if self.rank_by not in RANK_BY:
            raise ValueError(f"rank_by must be one of {RANK_BY}, got {self.rank_by!r}")
        if self.memory_budget_mb <= 0:
            raise ValueError(f"memory_budget_mb must be positive, got {self.memory_budget_mb}")
        for name in ("n_samples", "n_components", "n_restarts", "em_max_iter", "ig_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.assignment not in ("soft", "hard"):
            raise ValueError(f"assignment must be 'soft' or 'hard', got {self.assignment!r}")
        if self.window is not None and self.window < 1:
            raise ValueError(f"window must be at least 1, got {self.window}")
        if self.fraction is not None and not 0.0 < self.fraction <= 1.0:
            raise ValueError(f"fraction must be in (0, 1], got {self.fraction}")

    def as_dict(self) -> dict[str, Any]:
        """Return the options as a JSON-ready dict."""
        return asdict(self)
