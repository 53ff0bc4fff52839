"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from .optimizer import Optimizer, check_number, grad_with_l2, required


class SGD(Optimizer):
    """SGD, the same update as ``torch.optim.SGD``. For each parameter with gradient ``g``::

        d = g + weight_decay * p
        buf = d  (first step)  or  momentum * buf + (1 - dampening) * d
        d = d + momentum * buf  (nesterov)  or  buf  (momentum > 0)
        p = p - lr * d

    Args:
        params: parameters or parameter groups.
        lr: learning rate (>= 0; required).
        momentum: momentum factor (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        dampening: dampening for momentum (default 0).

    Example:
        >>> import lucid
        >>> w = lucid.nn.Parameter([1.0, -1.0])
        >>> opt = lucid.optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.8, -0.8]
    """

    def __init__(self, params, lr=required, momentum=0.0, weight_decay=0.0, nesterov=False, dampening=0.0):
        if lr is not required:
            check_number("learning rate", lr, low=0.0)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def _check_group(self, group):
        check_number("learning rate", group["lr"], low=0.0)
        check_number("momentum value", group["momentum"], low=0.0)
        check_number("weight_decay value", group["weight_decay"], low=0.0)
        check_number("dampening value", group["dampening"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"Nesterov momentum requires a momentum > 0 and zero dampening, got momentum={group['momentum']} "
                f"and dampening={group['dampening']}"
            )

    def step(self, closure=None):
        """Apply one update to every parameter that has a gradient; returns ``closure()``'s
        loss when a closure is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum, wd = float(group["lr"]), float(group["momentum"]), float(group["weight_decay"])
            dampening, nesterov = float(group["dampening"]), bool(group["nesterov"])
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                xp = p.xp
                if momentum == 0:
                    self._apply_update(p, (g,), _plain_update(xp, lr, wd), 1)
                    continue
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                first = buf is None
                if first:
                    buf = state["momentum_buffer"] = xp.zeros(p.data.shape, dtype=p.data.dtype)
                self._apply_update(p, (g, buf), _momentum_update(xp, lr, wd, momentum, dampening, nesterov, first), 2)
        return loss


def _plain_update(xp, lr, wd):
    def update(p, g, tmp):
        d = grad_with_l2(xp, p, g, wd, tmp)
        xp.multiply(d, -lr, out=tmp)
        p += tmp

    return update


def _momentum_update(xp, lr, wd, momentum, dampening, nesterov, first):
    def update(p, g, buf, tmp, tmp2):
        d = grad_with_l2(xp, p, g, wd, tmp)
        if first:
            buf[...] = d
        else:
            buf *= momentum
            if dampening:
                xp.multiply(d, 1.0 - dampening, out=tmp2)
                buf += tmp2
            else:
                buf += d
        if nesterov:
            xp.multiply(buf, momentum, out=tmp2)
            tmp2 += d
            d = tmp2
        else:
            d = buf
        xp.multiply(d, -lr, out=tmp)
        p += tmp

    return update
