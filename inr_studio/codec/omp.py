"""Orthogonal Matching Pursuit over many vectors at once (SINR's sparse code, docs/coding.md).

scikit-learn's ``orthogonal_mp`` runs one Python loop per target vector; a 3×256 LoE has ~2,000
of them, so it takes far longer than the few seconds an export may cost. This batched version
selects atoms for all vectors together: one matrix product per step for the correlations, and
an incremental Cholesky factor of the chosen atoms' Gram matrix. It follows the same greedy rule as
scikit-learn (the atom with the largest |Aᵀr|, then the least-squares fit on the support), and
``tests/codec/test_omp.py`` checks that both choose the same atoms and coefficients
(scikit-learn is a test oracle only, not a dependency of the codec).

Because OMP is nested (the support after t steps is a prefix of the support after t+1 steps),
one run up to ``s_max`` yields the code for every s ≤ s_max and its residual norm: that is how
the encoder picks s per tensor for a target error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

#: Largest dictionary whose Gram matrix (k2², float32) is precomputed; above it (or for few
#: vectors) the Gram entries of the chosen atoms are computed from the atoms themselves.
GRAM_LIMIT = 4096

#: Largest buffer (values) of chosen atoms kept when there is no Gram matrix.
ATOM_BUFFER_LIMIT = 1 << 24


@dataclass(frozen=True)
class OmpPath:
    """The greedy path of ``n`` vectors up to ``support.shape[1]`` atoms.

    ``support[v, t]`` is the atom chosen at step t for vector v; ``residual[v, t]`` the norm of
    the residual after t+1 atoms; ``norms[v]`` the norm of the vector itself.
    """

    support: np.ndarray  # (n, s_max) int64
    residual: np.ndarray  # (n, s_max) float64
    norms: np.ndarray  # (n,) float64


def omp_path(dictionary: np.ndarray, vectors: np.ndarray, s_max: int,
             dtype: torch.dtype = torch.float32, target: float | None = None,
             gram: torch.Tensor | None = None, groups: np.ndarray | None = None) -> OmpPath:
    """Greedy OMP path of each row of ``vectors`` (n × m) over ``dictionary`` (m × k2).

    Cholesky form (as scikit-learn's): the factor L of the chosen atoms' Gram matrix grows by one
    row per step. Its inverse is kept: row t of L⁻¹ names the new orthonormal direction
    ``q_t = A_S·L⁻¹[t]`` (one ``embedding_bag`` over the chosen atoms), and the residual drops
    by its component along q_t. Coefficients are solved once at the end (:func:`fit_coefficients`).
    ``gram``: Aᵀ·A if the caller has it (several calls on one dictionary); else it is computed
    when that is cheaper than one extra product per step.
    ``target``: stop once, in every group of rows (``groups``: a group id per row, default one
    group), the residual is below ``target`` times the group's norm (the relative Frobenius
    error of the matrix those vectors came from); the path is then shorter.
    """
    m, k2 = dictionary.shape
    n = vectors.shape[0]
    if vectors.shape[1] != m:
        raise ValueError(f"vectors of length {vectors.shape[1]} for a dictionary of {m} rows")
    s_max = int(min(s_max, m, k2))
    a = torch.from_numpy(np.ascontiguousarray(dictionary)).to(dtype)  # (m, k2)
    at = a.t().contiguous()  # (k2, m): atom j is row j
    w = torch.from_numpy(np.ascontiguousarray(vectors)).to(dtype)  # (n, m)
    norms = torch.linalg.vector_norm(w.double(), dim=1)
    gid = torch.zeros(n, dtype=torch.int64) if groups is None else torch.from_numpy(
        np.asarray(groups, dtype=np.int64))
    n_groups = int(gid.max()) + 1 if n else 0
    totals = torch.zeros(n_groups, dtype=torch.float64).index_add_(0, gid, norms.square())
    if gram is None and k2 <= GRAM_LIMIT and n * s_max >= k2:
        gram = gram_matrix(dictionary, dtype)  # pays off against one product per step
    elif gram is not None:
        gram = gram.to(dtype)
    atoms = None
    if gram is None and n * s_max * m <= ATOM_BUFFER_LIMIT:
        atoms = torch.empty((n, s_max, m), dtype=dtype)  # the chosen atoms, in order
    aw = w @ a  # (n, k2): Aᵀw, the right-hand side of every least-squares fit
    r = w.clone()
    linv = torch.zeros((n, s_max, s_max), dtype=dtype)  # inverse Cholesky factor of G_SS
    y = torch.zeros((n, s_max), dtype=dtype)  # L⁻¹ A_Sᵀ w: coordinates in the orthonormal basis
    support = torch.zeros((n, s_max), dtype=torch.int64)
    resid = torch.zeros((n, s_max), dtype=dtype)
    chosen = torch.zeros((n, k2), dtype=torch.bool)
    rows = torch.arange(n)
    steps = 0
    for t in range(s_max):
        corr = (r @ a).abs_()
        corr.masked_fill_(chosen, -1.0)  # never pick an atom twice (rounding could retry one)
        j = torch.argmax(corr, dim=1)
        chosen[rows, j] = True
        support[:, t] = j
        if gram is not None:
            gjj = gram[j, j]
            g = gram[support[:, :t], j.unsqueeze(1)] if t else None  # (n, t) = A_Sᵀ a_j
        elif atoms is not None:  # A_Sᵀ a_j from the chosen atoms: n·t·m, not n·k2·m
            aj = at.index_select(0, j)  # (n, m)
            atoms[:, t] = aj
            gjj = (aj * aj).sum(dim=1)
            g = (atoms[:, :t] @ aj.unsqueeze(2)).squeeze(2) if t else None
        else:
            gj = at.index_select(0, j) @ a  # (n, k2) = Aᵀ a_j
            gjj = gj[rows, j]
            g = gj.gather(1, support[:, :t]) if t else None
        if t:
            li = linv[:, :t, :t]
            v = (li @ g.unsqueeze(2)).squeeze(2)  # L⁻¹ g
            d = torch.sqrt(torch.clamp(gjj - (v * v).sum(dim=1), min=1e-12))
            linv[:, t, :t] = -(v.unsqueeze(1) @ li).squeeze(1) / d.unsqueeze(1)
            linv[:, t, t] = 1.0 / d
        else:
            linv[:, 0, 0] = 1.0 / torch.sqrt(torch.clamp(gjj, min=1e-12))
        row = linv[:, t, : t + 1]
        # The new orthonormal direction q_t = A_S·(row of L⁻¹) and the residual's step along it.
        y[:, t] = (row * aw.gather(1, support[:, : t + 1])).sum(dim=1)
        q = torch.nn.functional.embedding_bag(support[:, : t + 1], at, per_sample_weights=row,
                                              mode="sum")
        r = r - q * y[:, t : t + 1]
        resid[:, t] = torch.linalg.vector_norm(r, dim=1)
        steps = t + 1
        if target is not None:
            err = torch.zeros(n_groups, dtype=torch.float64).index_add_(
                0, gid, resid[:, t].double().square())
            if bool(torch.all(err <= totals * target**2)):
                break
    return OmpPath(support[:, :steps].numpy(), resid[:, :steps].double().numpy(), norms.numpy())


def gram_matrix(dictionary: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Aᵀ·A (k2 × k2)."""
    a = torch.from_numpy(np.ascontiguousarray(dictionary)).to(dtype)
    return a.t() @ a


def fit_coefficients(dictionary: np.ndarray, vectors: np.ndarray, support: np.ndarray,
                     block: int = 256) -> np.ndarray:
    """Least-squares coefficients (float64) of each vector on its support (n × s): OMP's final
    step, redone in double precision so the code does not inherit float32 rounding."""
    n, s = support.shape
    out = np.zeros((n, s))
    if s == 0 or n == 0:
        return out
    at = torch.from_numpy(np.ascontiguousarray(dictionary.T, dtype=np.float64))  # (k2, m)
    for start in range(0, n, block):
        stop = min(n, start + block)
        sup = torch.from_numpy(np.ascontiguousarray(support[start:stop], dtype=np.int64))
        w = torch.from_numpy(np.ascontiguousarray(vectors[start:stop], dtype=np.float64))
        sub = at[sup.ravel()].reshape(stop - start, s, -1)  # (b, s, m): the chosen atoms
        gram = sub @ sub.transpose(1, 2)
        rhs = sub @ w.unsqueeze(2)
        # Normal equations with a Cholesky factor: random atoms, s < m/2: well conditioned.
        chol, info = torch.linalg.cholesky_ex(gram)
        if bool((info != 0).any()):
            x = torch.linalg.lstsq(sub.transpose(1, 2), w.unsqueeze(2)).solution
        else:
            x = torch.cholesky_solve(rhs, chol)
        out[start:stop] = x.squeeze(2).numpy()
    return out

