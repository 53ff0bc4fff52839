"""Adam and AdamW."""

from __future__ import annotations

import math

from .optimizer import Optimizer, check_number, grad_with_l2


class Adam(Optimizer):
    """Adam, the same update as ``torch.optim.Adam`` (``amsgrad=False``). At step ``t``::

        g = g + weight_decay * p                      (Adam's L2 penalty)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moment (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty added to the gradient (default 0).

    Example:
        >>> import lucid
        >>> w = lucid.nn.Parameter([1.0, -1.0])
        >>> opt = lucid.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -0.9]
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group):
        check_number("learning rate", group["lr"], low=0.0)
        check_number("epsilon value", group["eps"], low=0.0)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Invalid betas: {betas!r} (expected a pair of numbers in [0, 1))")
        check_number("beta parameter at index 0", betas[0], low=0.0, high=1.0, high_open=True)
        check_number("beta parameter at index 1", betas[1], low=0.0, high=1.0, high_open=True)
        group["betas"] = (float(betas[0]), float(betas[1]))
        check_number("weight_decay value", group["weight_decay"], low=0.0)

    def step(self, closure=None):
        """Apply one update to every parameter that has a gradient; returns ``closure()``'s
        loss when a closure is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                xp = p.xp
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {
                        "step": 0,
                        "exp_avg": xp.zeros(p.data.shape, dtype=p.data.dtype),
                        "exp_avg_sq": xp.zeros(p.data.shape, dtype=p.data.dtype),
                    }
                state["step"] += 1
                t = state["step"]
                # bias corrections in Python doubles, as torch computes them
                step_size = lr / (1.0 - beta1**t)
                bc2_sqrt = math.sqrt(1.0 - beta2**t)
                update = _adam_update(xp, lr, beta1, beta2, eps, wd, self._decoupled, step_size, bc2_sqrt)
                self._apply_update(p, (g, state["exp_avg"], state["exp_avg_sq"]), update, 2)
        return loss


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, the same update as ``torch.optim.AdamW``.
    Before the Adam step each parameter shrinks: ``p = p * (1 - lr * weight_decay)``; the
    gradient itself carries no penalty. Default ``weight_decay`` is 0.01.

    Example:
        >>> import lucid
        >>> w = lucid.nn.Parameter([1.0])
        >>> opt = lucid.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * 0).sum().backward(); opt.step()   # zero gradient: only the decay acts
        >>> round(w.item(), 4)
        0.95
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


def _adam_update(xp, lr, beta1, beta2, eps, wd, decoupled, step_size, bc2_sqrt):
    # The operation order follows torch's single-tensor Adam so results agree to rounding.
    w1 = 1.0 - beta1

    def update(p, g, m, v, tmp, tmp2):
        if decoupled:
            if wd:
                p *= 1.0 - lr * wd
        else:
            g = grad_with_l2(xp, p, g, wd, tmp2)
        xp.subtract(g, m, out=tmp)  # m = lerp(m, g, 1 - beta1)
        if w1 < 0.5:
            tmp *= w1
            m += tmp
        else:
            tmp *= 1.0 - w1
            xp.subtract(g, tmp, out=m)
        xp.multiply(g, 1.0 - beta2, out=tmp)  # v = beta2 * v + (1 - beta2) * g * g
        tmp *= g
        v *= beta2
        v += tmp
        xp.sqrt(v, out=tmp)  # denominator
        tmp /= bc2_sqrt
        tmp += eps
        xp.multiply(m, -step_size, out=tmp2)
        tmp2 /= tmp
        p += tmp2

    return update
