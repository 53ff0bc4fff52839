"""The Module API: registration, traversal, state_dict, load_state_dict, to(), modes, repr; moving
a model to each device of the ``device`` fixture and loading host arrays into it there."""

import copy

import numpy as np
import pytest
import torch

import lucid
import lucid.nn as nn
from lucid._backend import device_of


def _tree(lib):
    """The same small model in lucid or torch: nested containers, shared layers, buffers."""
    class Block(lib.Module):
        def __init__(self):
            super().__init__()
            self.dense = lib.Linear(4, 4)
            self.norm = lib.LayerNorm(4, eps=1e-12)
            self.drop = lib.Dropout(0.1)
            self.register_buffer("scale", (lucid if lib is nn else torch).ones(4))
            self.register_buffer("ids", (lucid if lib is nn else torch).arange(3), persistent=False)

        def forward(self, x):
            return self.drop(self.norm(self.dense(x))) * self.scale

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.Embedding(10, 4, padding_idx=0)
            self.layers = lib.ModuleList([Block() for _ in range(2)])
            self.heads = lib.ModuleDict({"cls": lib.Sequential(lib.Linear(4, 4), lib.Tanh()), "act": lib.GELU()})
            self.proj = lib.Linear(4, 10, bias=False)
            self.proj.weight = self.embed.weight  # tied weights
            self.extra = lib.Parameter((lucid if lib is nn else torch).zeros(2))

        def forward(self, ids):
            h = self.embed(ids)
            for layer in self.layers:
                h = layer(h)
            return self.proj(self.heads["act"](self.heads["cls"](h)))

    return Net()


def test_state_dict_keys_match_torch():
    ours, theirs = _tree(nn), _tree(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    for (k, v), (tk, tv) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert isinstance(v, lucid.Tensor) and v.shape == tuple(tv.shape), k


def test_repr_matches_torch():
    ours, theirs = _tree(nn), _tree(torch.nn)
    assert repr(ours) == repr(theirs)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    assert repr(nn.ReLU()) == repr(torch.nn.ReLU())
    assert repr(nn.GELU(approximate="tanh")) == repr(torch.nn.GELU(approximate="tanh"))
    ml = [nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2)]),
          torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 2)])]
    assert repr(ml[0]) == repr(ml[1])


def test_shared_parameters_listed_once_but_in_state_dict_twice():
    m = _tree(nn)
    params = list(m.parameters())
    assert len(params) == len({id(p) for p in params})
    sd = m.state_dict()
    assert sd["proj.weight"].data is sd["embed.weight"].data
    assert "proj.weight" not in dict(m.named_parameters())


def test_state_dict_values_share_arrays_and_are_detached():
    m = nn.Linear(3, 2)
    sd = m.state_dict()
    assert sd["weight"].data is m.weight.data
    assert not sd["weight"].requires_grad and not isinstance(sd["weight"], nn.Parameter)
    assert m.state_dict(keep_vars=True)["weight"] is m.weight


def test_load_state_dict_roundtrip_copies_in_place():
    a, b = _tree(nn), _tree(nn)
    arrays = {k: v.data for k, v in b.state_dict().items()}
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for k, v in b.state_dict().items():
        assert v.data is arrays[k]  # same arrays, new values
        np.testing.assert_array_equal(v.data, a.state_dict()[k].data)
    ids = lucid.tensor([[1, 2, 3]])
    np.testing.assert_array_equal(a.eval()(ids).data, b.eval()(ids).data)


def test_load_state_dict_accepts_arrays_and_casts():
    m = nn.Linear(2, 2)
    w = np.arange(4, dtype=np.float64).reshape(2, 2)
    m.load_state_dict({"weight": w, "bias": [1.0, 2.0]})
    assert m.weight.dtype == np.float32
    np.testing.assert_array_equal(m.weight.data, w.astype(np.float32))
    np.testing.assert_array_equal(m.bias.data, [1.0, 2.0])


def test_load_state_dict_from_torch_state_dict():
    ours, theirs = _tree(nn), _tree(torch.nn)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ids = [[1, 2, 0]]
    ours.eval(), theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.tensor(ids)).numpy()
    np.testing.assert_allclose(ours(lucid.tensor(ids)).data, expected, rtol=1e-5, atol=1e-5)


def test_load_state_dict_strict_and_non_strict():
    m = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3))
    sd = m.state_dict()
    partial = {k: v for k, v in sd.items() if k != "1.bias"}
    partial["head.weight"] = lucid.zeros(3)
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(partial)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "1.bias"' in msg and 'Unexpected key(s) in state_dict: "head.weight"' in msg
    before = m[0].weight.data.copy()
    partial["0.weight"] = lucid.ones(3, 2)
    with pytest.raises(RuntimeError):
        m.load_state_dict(partial)
    np.testing.assert_array_equal(m[0].weight.data, before)  # nothing copied on error
    missing, unexpected = m.load_state_dict(partial, strict=False)
    assert missing == ["1.bias"] and unexpected == ["head.weight"]
    np.testing.assert_array_equal(m[0].weight.data, np.ones((3, 2)))


@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_shape_mismatch_names_key_and_shapes(strict):
    m = nn.Sequential(nn.Linear(2, 3))
    with pytest.raises(RuntimeError, match=r"0\.weight.*\(3, 4\).*\(3, 2\)"):
        m.load_state_dict({"0.weight": np.zeros((3, 4), np.float32), "0.bias": np.zeros(3, np.float32)}, strict=strict)


def test_load_state_dict_rejects_non_dict_and_non_arrays():
    m = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match="'weight' is a str"):
        m.load_state_dict({"weight": "abc", "bias": np.zeros(1)})


def test_non_persistent_buffers_are_not_expected():
    m = _tree(nn)
    assert "layers.0.ids" not in m.state_dict()
    sd = dict(m.state_dict())
    sd["layers.0.ids"] = lucid.arange(3)
    with pytest.raises(RuntimeError, match="Unexpected key.*layers.0.ids"):
        m.load_state_dict(sd)


def test_buffer_class_registers_with_its_persistence():
    m = nn.Module()
    m.a = nn.Buffer(lucid.ones(2))
    m.b = nn.Buffer(lucid.zeros(2), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["a", "b"]
    assert list(m.state_dict()) == ["a"]
    m.a = lucid.zeros(2)  # reassigning a registered buffer keeps it a buffer
    assert m.a.tolist() == [0.0, 0.0] and "a" in m._buffers
    with pytest.raises(TypeError, match="buffer 'a'"):
        m.a = 3


def test_setattr_registration_and_errors():
    m = nn.Module()
    m.w = nn.Parameter([1.0])
    m.child = nn.Linear(1, 1)
    m.plain = lucid.ones(1)
    assert [n for n, _ in m.named_parameters()] == ["w", "child.weight", "child.bias"]
    assert "plain" not in m.state_dict()
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = lucid.ones(1)
    with pytest.raises(TypeError, match="child module 'child'"):
        m.child = 3
    m.w = None
    assert [n for n, _ in m.named_parameters()] == ["child.weight", "child.bias"]
    del m.child
    assert list(m.children()) == []
    with pytest.raises(AttributeError, match="no attribute 'child'"):
        m.child

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter([1.0])

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", lucid.ones(1))
    with pytest.raises(TypeError, match="not a Module"):
        m.add_module("x", 3)
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("p", lucid.ones(1))


def test_register_parameter_and_add_module():
    m = nn.Module()
    m.register_parameter("w", nn.Parameter(np.zeros(2, np.float32)))
    m.add_module("act", nn.ReLU())
    assert m.w.shape == (2,) and isinstance(m.act, nn.ReLU)
    m.register_parameter("b", None)
    assert list(m.state_dict()) == ["w"]


def test_train_eval_propagate():
    m = _tree(nn)
    assert all(x.training for x in m.modules())
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.layers.train()
    assert m.layers[1].drop.training and not m.heads.training and not m.training
    with pytest.raises(ValueError, match="bool"):
        m.train("yes")


def test_apply_and_children_order():
    m = _tree(nn)
    seen = []
    m.apply(lambda x: seen.append(type(x).__name__))
    assert seen[-1] == "Net" and seen[0] == "Embedding"
    assert [type(c).__name__ for c in m.children()] == ["Embedding", "ModuleList", "ModuleDict", "Linear"]
    assert len(list(m.modules())) == len(list(_tree(torch.nn).modules()))


def test_zero_grad_and_requires_grad():
    m = nn.Linear(3, 2)
    m(lucid.ones(1, 3)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_dtype_and_back():
    m = _tree(nn)
    m.layers[0].dense(lucid.ones(1, 4)).sum().backward()
    m.to(lucid.Float16)
    assert all(p.dtype == np.float16 for p in m.parameters())
    assert m.layers[0].dense.weight.grad.dtype == np.float16
    assert m.layers[0].ids.dtype == np.int64  # integer buffers are not cast
    assert m.layers[0].scale.dtype == np.float16
    assert m.double().proj.weight.dtype == np.float64
    assert m.proj.weight is m.embed.weight
    assert m.float().embed.weight.dtype == np.float32
    assert m.half().embed.weight.dtype == np.float16
    m.to("cpu", dtype=lucid.Float32)
    assert m.embed.weight.dtype == np.float32 and m.embed.weight.device == "cpu"
    with pytest.raises(TypeError, match="floating-point"):
        m.to(lucid.Int64)
    with pytest.raises(ValueError, match="'tpu'"):
        m.to("tpu")


def test_to_gpu_without_gpu_raises_clear_error():
    if lucid.gpu_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CuPy|CUDA"):
        nn.Linear(2, 2).to("gpu")


def _layer_stack():
    """One of each layer kind in a Sequential (dropout too), as the device tests move it."""
    return nn.Sequential(nn.Embedding(11, 8, padding_idx=0), nn.Linear(8, 8), nn.GELU(), nn.LayerNorm(8),
                         nn.Dropout(0.1), nn.Linear(8, 3), nn.Tanh())


def test_to_device_moves_parameters_buffers_and_grads(device):
    m = _layer_stack()
    m.register_buffer("ids", lucid.arange(4))
    m(lucid.tensor([[1, 2]])).sum().backward()
    m.to(device)
    for p in m.parameters():
        assert p.device == device and p.grad is not None and device_of(p.grad) == device
    assert m.ids.device == device and m.ids.dtype == np.int64
    assert all(v.device == device for v in m.state_dict().values())
    m.cpu()
    assert all(p.device == "cpu" and isinstance(p.grad, np.ndarray) for p in m.parameters())


def test_load_state_dict_from_host_arrays_onto_device(device):
    m = _layer_stack().to(device)
    weights = {k: v.numpy() * 2 for k, v in m.state_dict().items()}
    arrays = {k: v.data for k, v in m.state_dict().items()}
    m.load_state_dict(weights)
    for k, v in m.state_dict().items():
        assert v.data is arrays[k]  # copied into the device arrays in place
        np.testing.assert_array_equal(v.numpy(), weights[k])


def test_half_on_device(device):
    m = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4)).to(device).half()
    assert all(p.dtype == np.float16 and p.device == device for p in m.parameters())


def test_get_submodule_and_dir():
    m = _tree(nn)
    assert m.get_submodule("layers.1.norm") is m.layers[1].norm
    with pytest.raises(AttributeError, match="'nope'"):
        m.get_submodule("layers.nope")
    assert "embed" in dir(m) and "weight" in dir(m.proj)


def test_deepcopy_gives_independent_module():
    m = nn.Sequential(nn.Linear(2, 2))
    c = copy.deepcopy(m)
    c[0].weight.data[...] = 0
    assert m[0].weight.data.any()
    assert isinstance(c[0].weight, nn.Parameter) and c[0].weight.requires_grad


def test_forward_not_defined():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_parameter_and_buffer():
    p = nn.Parameter([1.0, 2.0])
    assert p.requires_grad and p.dtype == np.float32 and p.is_leaf
    t = lucid.ones(2)
    shared = nn.Parameter(t)
    assert shared.data is t.data
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\nTensor(")
    with pytest.raises(TypeError, match="floating"):
        nn.Parameter([1, 2])
    assert nn.Parameter(np.zeros(2)).dtype == np.float64
    b = nn.Buffer(lucid.arange(3), persistent=False)
    assert not b.persistent and not b.requires_grad


def test_sequential():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    x = lucid.ones(5, 3)
    np.testing.assert_array_equal(seq(x).data, seq[2](seq[1](seq[0](x))).data)
    seq.append(nn.Tanh())
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2", "3"]
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    seq[0] = nn.Linear(3, 4, bias=False)
    assert seq[0].bias is None
    with pytest.raises(IndexError, match="index 7"):
        seq[7]
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict([("fc", nn.Linear(1, 1)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Tanh()).extend([nn.ReLU()])
    ml.insert(1, nn.GELU())
    assert [type(m).__name__ for m in ml] == ["Linear", "GELU", "Tanh", "ReLU"]
    assert isinstance(ml[-1], nn.ReLU) and len(ml[1:]) == 3
    del ml[0]
    assert [n for n, _ in ml.named_children()] == ["0", "1", "2"]
    ml += [nn.Tanh()]
    assert len(ml) == 4
    with pytest.raises(TypeError, match="iterable"):
        ml.extend(nn.Tanh())
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    md["b"] = nn.Tanh()
    md.update([("c", nn.ReLU())])
    assert list(md) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert isinstance(md.pop("b"), nn.Tanh) and list(md.keys()) == ["a", "c"]
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    with pytest.raises(KeyError):
        md["zz"]


def test_lucid_save_load_module_state(tmp_path):
    m = _tree(nn)
    path = tmp_path / "m.safetensors"
    lucid.save(m, path)
    sd = lucid.load(path)
    assert sorted(sd) == sorted(m.state_dict())  # safetensors stores keys sorted
    other = _tree(nn)
    other.load_state_dict(sd)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v.data, m.state_dict()[k].data)
