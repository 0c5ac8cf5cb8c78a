"""The hand-written autograd nodes of the model give what autograd's generic ops give.

``_GroupedLinear`` (one node for all experts of a layer) against ``split`` + ``linear`` + ``cat``;
``sine`` against ``torch.sin(ω0·z)``, bit for bit.
"""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from inr_studio.models.expert_linear import ExpertLinear
from inr_studio.models.network import sine


def _reference(z: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
               counts: tuple[int, ...]) -> torch.Tensor:
    parts = torch.split(z, list(counts), dim=0)
    return torch.cat([F.linear(p, weight[e], bias) for e, p in enumerate(parts)], dim=0)


@pytest.mark.parametrize("counts", [(5, 7, 3, 9), (0, 10, 0, 14), (24, 0, 0, 0)])
@pytest.mark.parametrize("z_grad", [True, False])
def test_grouped_linear_matches_split_linear_cat(counts: tuple[int, ...], z_grad: bool) -> None:
    gen = torch.Generator().manual_seed(1)
    layer = ExpertLinear(6, 5, experts=4)
    layer.siren_init_(first=False, omega0=30.0, generator=gen)
    with torch.no_grad():
        layer.weight.mul_(10)  # values of order one, so a wrong slice would show
    n = sum(counts)
    z = torch.randn(n, 6, generator=gen, requires_grad=z_grad)
    g = torch.randn(n, 5, generator=gen)

    out = layer(z, counts)
    out.backward(g)
    got = [out.detach(), layer.weight.grad.clone(), layer.bias.grad.clone()]
    got_z = z.grad.clone() if z_grad else None

    layer.weight.grad = layer.bias.grad = None
    z.grad = None
    ref = _reference(z, layer.weight, layer.bias, counts)
    ref.backward(g)
    want = [ref.detach(), layer.weight.grad, layer.bias.grad]

    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)
    if z_grad:
        torch.testing.assert_close(got_z, z.grad, rtol=1e-6, atol=1e-6)
    for e, c in enumerate(counts):  # an expert with no rows gets a zero gradient, not garbage
        if c == 0:
            assert torch.count_nonzero(got[1][e]) == 0


def test_grouped_linear_rejects_counts_that_do_not_fit() -> None:
    layer = ExpertLinear(3, 2, experts=4)
    with pytest.raises(ValueError, match="counts"):
        layer(torch.zeros(10, 3), (2, 2, 2, 2))
    with pytest.raises(ValueError, match="counts"):
        layer(torch.zeros(6, 3), (2, 2, 2))


def test_sine_is_bit_identical_to_autograd_sin() -> None:
    gen = torch.Generator().manual_seed(2)
    z = torch.randn(300, 17, generator=gen, requires_grad=True)
    g = torch.randn(300, 17, generator=gen)
    ref = torch.sin(30.0 * z)
    ref.backward(g)
    ref_grad = z.grad.clone()
    z.grad = None
    out = sine(z, 30.0)
    out.backward(g)
    assert torch.equal(out.detach(), ref.detach())
    assert torch.equal(z.grad, ref_grad)
    with torch.no_grad():
        assert torch.equal(sine(z, 30.0), ref.detach())


def test_grouped_linear_follows_autocast_like_a_plain_linear() -> None:
    """Under bf16 autocast the experts' products run in bf16 as ``F.linear`` does (autocast
    itself skips products written with ``out=``), the weights' gradients stay fp32, and the
    result is the reference's within bf16's precision."""
    gen = torch.Generator().manual_seed(3)
    layer = ExpertLinear(16, 8, experts=3)
    layer.siren_init_(first=False, omega0=1.0, generator=gen)
    counts = (10, 0, 22)
    z = torch.randn(sum(counts), 16, generator=gen)
    want = _reference(z, layer.weight, layer.bias, counts).detach()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = layer(z, counts)
        plain = F.linear(z, layer.weight[0], layer.bias)
    assert out.dtype == plain.dtype == torch.bfloat16
    out.float().sum().backward()
    assert layer.weight.grad.dtype == torch.float32 and layer.bias.grad.dtype == torch.float32
    torch.testing.assert_close(out.float(), want, rtol=2e-2, atol=2e-2)
    assert not torch.equal(out.float(), want)  # it really ran in bf16
    out32 = layer(z, counts)  # outside autocast: fp32 as before
    assert out32.dtype == torch.float32
    torch.testing.assert_close(out32, want, rtol=1e-6, atol=1e-6)
