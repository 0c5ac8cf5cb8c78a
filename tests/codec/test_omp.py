"""The batched OMP against scikit-learn's on the same inputs, and the seeded dictionary."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch

from inr_studio.codec import omp
from inr_studio.codec.dictionary import dictionary, fingerprint, reconstruct
from inr_studio.codec.omp import fit_coefficients, omp_path


def sparse_code(atoms: np.ndarray, vectors: np.ndarray, s: int,
                dtype: torch.dtype = torch.float32) -> tuple[np.ndarray, np.ndarray]:
    """(support, coefficients), each n × s: the codec's s-sparse OMP code of every row of
    ``vectors`` (its atom selection, then its double-precision refit)."""
    path = omp_path(atoms, vectors, s, dtype=dtype)
    return path.support, fit_coefficients(atoms, vectors, path.support)


def sklearn_code(atoms: np.ndarray, vectors: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
    """The same code by scikit-learn's ``orthogonal_mp`` (the reference the tests compare to),
    as (support in selection order, coefficients). Skips where scikit-learn (the test extra)
    is absent; the tests that need no reference run anyway."""
    orthogonal_mp = pytest.importorskip("sklearn.linear_model").orthogonal_mp
    coef = orthogonal_mp(atoms, vectors.T, n_nonzero_coefs=s, return_path=True)
    # With return_path, coef is (k2, n, steps), squeezed: the last step is the code, and the
    # order in which atoms became non-zero along the path is the selection order.
    n = vectors.shape[0]
    coef = coef.reshape(atoms.shape[1], n, -1)
    support = np.zeros((n, s), dtype=np.int64)
    values = np.zeros((n, s))
    for v in range(n):
        seen: list[int] = []
        for t in range(coef.shape[2]):
            for j in np.flatnonzero(coef[:, v, t]):
                if j not in seen:
                    seen.append(int(j))
        support[v, : len(seen)] = seen[:s]
        values[v, : len(seen)] = coef[seen[:s], v, -1]
    return support, values


def _weights(n: int, m: int, seed: int = 1) -> np.ndarray:
    """Vectors like a trained SIREN's hidden weights (uniform ±√(6/m)/30 plus a drift)."""
    rng = np.random.default_rng(seed)
    bound = np.sqrt(6 / m) / 30
    return rng.uniform(-bound, bound, (n, m)) + 0.3 * bound * rng.standard_normal((n, m))


@pytest.mark.parametrize("m,k2,s", [(32, 128, 5), (64, 512, 12), (48, 96, 20)])
def test_same_atoms_and_coefficients_as_scikit_learn(m, k2, s) -> None:
    a = dictionary(m, k2, seed=3)
    w = _weights(40, m)
    sup, coef = sparse_code(a, w, s, dtype=torch.float64)
    ref_sup, ref_coef = sklearn_code(a, w, s)
    np.testing.assert_array_equal(sup, ref_sup)  # same atoms, in the same order
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-9, atol=1e-12)


def test_float32_selection_matches_and_refit_is_double_precision() -> None:
    a = dictionary(64, 512, seed=0)
    w = _weights(60, 64, seed=2)
    sup32, coef32 = sparse_code(a, w, 16, dtype=torch.float32)
    ref_sup, ref_coef = sklearn_code(a, w, 16)
    same = np.mean([set(x) == set(y) for x, y in zip(sup32, ref_sup)])
    assert same >= 0.95
    rows = [i for i in range(len(w)) if list(sup32[i]) == list(ref_sup[i])]
    np.testing.assert_allclose(coef32[rows], ref_coef[rows], rtol=1e-8, atol=1e-12)


def test_every_gram_strategy_picks_the_same_atoms(monkeypatch) -> None:
    a = dictionary(40, 300, seed=1)
    w = _weights(30, 40, seed=4)
    with_gram = omp_path(a, w, 10, dtype=torch.float64, gram=omp.gram_matrix(a, torch.float64))
    monkeypatch.setattr(omp, "GRAM_LIMIT", 0)
    atoms = omp_path(a, w, 10, dtype=torch.float64)
    monkeypatch.setattr(omp, "ATOM_BUFFER_LIMIT", 0)
    columns = omp_path(a, w, 10, dtype=torch.float64)
    np.testing.assert_array_equal(with_gram.support, atoms.support)
    np.testing.assert_array_equal(with_gram.support, columns.support)
    np.testing.assert_allclose(with_gram.residual, columns.residual, rtol=1e-9)


def test_the_path_is_nested_and_its_residuals_are_the_fit_errors() -> None:
    a = dictionary(50, 400, seed=5)
    w = _weights(20, 50, seed=6)
    path = omp_path(a, w, 12, dtype=torch.float64)
    for s in (1, 4, 12):
        ref_sup, _ = sklearn_code(a, w, s)
        np.testing.assert_array_equal(path.support[:, :s], ref_sup)
        coef = fit_coefficients(a, w, path.support[:, :s])
        approx = np.einsum("vsm,vs->vm", a.T[path.support[:, :s]], coef)
        np.testing.assert_allclose(np.linalg.norm(w - approx, axis=1), path.residual[:, s - 1],
                                   rtol=1e-7)
    assert np.all(np.diff(path.residual, axis=1) <= 1e-15)  # each atom lowers the residual


def test_target_stops_each_group_once_its_error_is_met() -> None:
    a = dictionary(64, 1024, seed=0)
    w = _weights(48, 64, seed=7)
    groups = np.repeat([0, 1], 24)
    path = omp_path(a, w, 31, target=0.3, groups=groups)
    last = path.residual[:, -1]
    for g in (0, 1):
        rows = groups == g
        assert np.sqrt(np.square(last[rows]).sum() / np.square(path.norms[rows]).sum()) <= 0.3
    assert path.support.shape[1] < 31  # it stopped early


def test_sparse_vectors_are_recovered_exactly() -> None:
    a = dictionary(64, 512, seed=9)
    rng = np.random.default_rng(0)
    true = np.stack([rng.choice(512, 4, replace=False) for _ in range(10)])
    x = rng.standard_normal((10, 4))
    w = np.einsum("vsm,vs->vm", a.T[true], x)
    sup, coef = sparse_code(a, w, 4)
    order = np.argsort(sup, axis=1)
    np.testing.assert_array_equal(np.take_along_axis(sup, order, 1), np.sort(true, axis=1))
    np.testing.assert_allclose(np.take_along_axis(coef, order, 1),
                               np.take_along_axis(x, np.argsort(true, axis=1), 1), atol=1e-9)


def test_dictionary_stream_is_specified_and_rebuilt_in_blocks(monkeypatch) -> None:
    m, k2, seed = 24, 100, 12345
    a = dictionary(m, k2, seed)
    stream = np.random.Generator(np.random.PCG64(seed)).standard_normal(m * k2)
    np.testing.assert_array_equal(a, stream.reshape(m, k2) / np.sqrt(m))  # format.md's definition
    assert abs(a.mean()) < 0.02 and abs(a.var() * m - 1) < 0.05
    head = np.random.Generator(np.random.PCG64(seed)).standard_normal(64).astype("<f8")
    assert fingerprint(seed) == zlib.crc32(head.tobytes())
    assert fingerprint(seed) != fingerprint(seed + 1)
    rng = np.random.default_rng(1)
    support = np.sort(np.stack([rng.choice(k2, 3, replace=False) for _ in range(7)]), axis=1)
    coef = rng.standard_normal((7, 3))
    want = np.einsum("vsm,vs->vm", a.T[support], coef)
    monkeypatch.setattr("inr_studio.codec.dictionary.BLOCK_VALUES", 250)  # 2 rows a block: many
    np.testing.assert_allclose(reconstruct(m, k2, seed, support, coef), want, atol=1e-12)
