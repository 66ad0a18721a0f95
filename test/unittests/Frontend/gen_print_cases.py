#!/usr/bin/env python3
"""Generates print_cases.txt: tensors and the exact string PyTorch prints for
them (default print options), for PrintTest.cpp.

Run with a Python that has torch (on Debian: /usr/bin/python3 with the
python3-torch package):

    /usr/bin/python3 test/unittests/Frontend/gen_print_cases.py

File format, one block per case:

    case <name>
    dtype <float32|float64|int64|uint8|bool>
    shape <d0> <d1> ...          (nothing after "shape" for a rank-0 tensor)
    device <device>              ("-" for CPU)
    values <v0> <v1> ...         (row-major; floats as the hex of their IEEE
                                  bits, 8 digits for float32 and 16 for
                                  float64; integers and bools in decimal;
                                  `<v>*<n>` stands for n copies of v)
    expected <n>
    <n lines: the expected string>
    end
"""

import os
import struct
import sys

import torch
import torch._tensor_str as ts

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "print_cases.txt")

DTYPES = {
    torch.float32: "float32",
    torch.float64: "float64",
    torch.int64: "int64",
    torch.uint8: "uint8",
    torch.bool: "bool",
}


def encode_values(t):
    flat = t.reshape(-1).tolist()
    if t.dtype == torch.float32:
        return ["%08x" % struct.unpack("<I", struct.pack("<f", v))[0] for v in flat]
    if t.dtype == torch.float64:
        return ["%016x" % struct.unpack("<Q", struct.pack("<d", v))[0] for v in flat]
    return [str(int(v)) for v in flat]


def run_length(tokens):
    """Collapses runs of a repeated token into `<token>*<count>`."""
    out = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and tokens[j] == tokens[i]:
            j += 1
        out.append(tokens[i] if j - i == 1 else "%s*%d" % (tokens[i], j - i))
        i = j
    return out


def composed_str(t, device):
    """The string PyTorch prints for `t` as if it lived on `device` (None for
    the default device), composed from PyTorch's own pieces the way
    torch._tensor_str._str_intern does for a plain strided tensor. CUDA is not
    needed to produce the device suffix this way."""
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if device is not None:
        suffixes.append("device='" + device + "'")
    if t.numel() == 0:
        if t.dim() != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
        if t.dtype != torch.get_default_dtype():
            suffixes.append("dtype=" + str(t.dtype))
        body = "[]"
    else:
        if t.dtype not in (torch.get_default_dtype(), torch.int64, torch.bool):
            suffixes.append("dtype=" + str(t.dtype))
        body = ts._tensor_str(t, indent)
    return ts._add_suffixes(prefix + body, suffixes, indent, False)


def expected_str(t, device):
    if device is None:
        text = str(t)
        # The composition must agree with PyTorch where both apply.
        assert composed_str(t, None) == text, text
        return text
    return composed_str(t, device)


def main():
    torch.manual_seed(1234)
    g = torch.Generator().manual_seed(42)

    def randn(*shape, dtype=torch.float32):
        return torch.randn(*shape, generator=g, dtype=dtype)

    def randint(lo, hi, *shape, dtype=torch.int64):
        return torch.randint(lo, hi, shape, generator=g, dtype=dtype)

    f32 = torch.float32
    f64 = torch.float64
    inf = float("inf")
    nan = float("nan")

    cases = []

    def add(name, t, device=None):
        cases.append((name, t, device))

    # Hand-picked values.
    add("seed_4x2", torch.tensor([0.0, 1.3, 2.8, 3.3, 4.1, 5.2, 6.9, 7.0]).reshape(4, 2))
    add("scalar_f32", torch.tensor(3.5))
    add("scalar_f32_zero", torch.tensor(0.0))
    add("scalar_f32_neg_third", torch.tensor(-1.0 / 3.0))
    add("scalar_f32_tiny", torch.tensor(1.5e-7))
    add("scalar_f32_nan", torch.tensor(nan))
    add("scalar_f64", torch.tensor(-2.25, dtype=f64))
    add("scalar_i64", torch.tensor(7))
    add("scalar_u8", torch.tensor(200, dtype=torch.uint8))
    add("scalar_bool", torch.tensor(True))
    add("vec_f32_short", randn(5))
    add("vec_f32_wrap", randn(30))
    add("vec_f32_wrap_x100", randn(50) * 100)
    add("vec_f32_fixed_mixed_width", torch.tensor([-123.4567, 0.5, 12.25, -0.125]))
    add("vec_f32_integral", torch.tensor([1.0, -2.0, 3.0, 100.0, 0.0]))
    add("vec_f32_integral_neg_zero", torch.tensor([-0.0, 1.0, 2.0]))
    add("vec_f32_neg_zero_fixed", torch.tensor([-0.0, 1.5, 2.0]))
    add("vec_f32_zeros", torch.zeros(4))
    add("vec_f32_integral_sci_ratio", torch.tensor([1.0, 100000.0, -3.0]))
    add("vec_f32_integral_sci_big", torch.tensor([2.0, 1.0e9]))
    add("vec_f32_integral_1e8", torch.tensor([1.0e8, 100000.0]))
    add("vec_f32_tiny", randn(7) * 1e-5)
    add("vec_f32_huge", randn(9) * 1e10)
    add("vec_f32_ratio_sci", torch.tensor([0.001, 10.0, 0.5]))
    add("vec_f32_ratio_just_over_1000", torch.tensor([0.01, 10.0, 0.5]))
    add("vec_f32_min_1e-4_edge", torch.tensor([0.0001, 0.05]))
    add("vec_f32_rounding", torch.tensor([0.00015, 0.12345, 2.5e-4, 9.99995]))
    add("vec_f32_nan_inf", torch.tensor([1.5, nan, inf, -inf, -2.25]))
    add("vec_f32_nan_inf_integral", torch.tensor([1.0, nan, inf, -inf, 10.0]))
    add("vec_f32_only_nonfinite", torch.tensor([nan, inf, -inf, 0.0]))
    add("vec_f32_sci_nan", torch.tensor([1e-6, nan, 3.0, -inf]))
    add("vec_f32_sci_neg_zero", torch.tensor([-0.0, 1e-5, -2.0]))
    add("vec_f64_sci_extreme", torch.tensor([1e300, -1e-300, 0.0], dtype=f64))
    add("vec_f32_integral_large", torch.tensor([12345678.0, 99999.0, -20000.0]))
    add("scalar_f32_neg_zero", torch.tensor(-0.0))
    add("scalar_f32_big_integral", torch.tensor(1e20))
    add("vec_f32_linewidth_6", torch.arange(30, dtype=f32) * 1.5 - 20)
    add("vec_f64_short", randn(4, dtype=f64))
    add("vec_f64_suffix_newline", randn(12, dtype=f64) * 1000)
    add("vec_f64_suffix_fits", randn(11, dtype=f64) * 1000)
    add("vec_f64_wrap", randn(25, dtype=f64))
    add("vec_i64", randint(-50, 50, 10))
    add("vec_i64_wrap", randint(-(10**12), 10**12, 40))
    add("vec_i64_extremes", torch.tensor([-(2**63), 2**63 - 1, 0]))
    add("vec_u8_wrap", randint(0, 256, 40, dtype=torch.uint8))
    add("vec_bool", torch.tensor([True, False, True]))
    add("vec_bool_wrap", randint(0, 2, 30).bool())
    add("vec_bool_all_true", torch.tensor([True, True]))
    add("mat_f32", randn(3, 4))
    add("mat_f32_wrap_rows", randn(6, 15))
    add("mat_f32_integral", torch.arange(12, dtype=f32).reshape(3, 4) - 5)
    add("mat_f32_sci", randn(3, 3) * 1e-6)
    add("mat_f64", randn(2, 3, dtype=f64))
    add("mat_i64", randint(-1000, 1000, 4, 5))
    add("mat_u8", randint(0, 256, 3, 6, dtype=torch.uint8))
    add("mat_bool", randint(0, 2, 3, 4).bool())
    add("mat_col", randn(5, 1))
    add("t3_f32", randn(2, 3, 4))
    add("t3_ones", torch.ones(1, 1, 1))
    add("t3_f64_wrap", randn(2, 2, 12, dtype=f64) * 50)
    add("t4_f32", randn(2, 2, 2, 3))
    add("t4_i64", randint(-9, 10, 2, 3, 2, 2))
    add("t5_f32", randn(2, 1, 2, 1, 3))
    add("t4_bool", randint(0, 2, 2, 2, 2, 2).bool())
    # Summarised.
    add("sum_mat_100x100", randn(100, 100))
    add("sum_vec_2000", randn(2000))
    integral = torch.full((1001,), 7.0)
    integral[0], integral[1], integral[-1] = -3.0, 250.0, 12.0
    integral[500] = 0.5  # hidden: does not stop int mode
    add("sum_vec_1001_integral", integral)
    add("sum_mat_i64_1001x1", randint(-99, 100, 1001, 1))
    add("sum_mat_2x520", randn(2, 520))
    add("sum_t3_8x8x20", randn(8, 8, 20))
    hidden = torch.full((5, 300), 1.5)
    hidden[:, 3:297] = 12345.678  # not shown, so no effect on the format
    hidden[2, 100] = 1e-9
    add("sum_mat_hidden_outliers", hidden)
    add("sum_vec_u8_1100", randint(0, 256, 1100, dtype=torch.uint8))
    add("sum_mat_i64_33x33", randint(-100000, 100000, 33, 33))
    add("sum_vec_bool_1200", randint(0, 2, 1200).bool())
    add("sum_f64_26x40", randn(26, 40, dtype=f64) * 1e5)
    # Empty.
    add("empty_f32", torch.tensor([]))
    add("empty_f32_0x3", torch.zeros(0, 3))
    add("empty_f32_2x0x3", torch.zeros(2, 0, 3))
    add("empty_f64", torch.zeros(0, dtype=f64))
    add("empty_i64", torch.zeros(0, dtype=torch.int64))
    add("empty_bool_3x0", torch.zeros(3, 0, dtype=torch.bool))
    add("empty_u8_0x0", torch.zeros(0, 0, dtype=torch.uint8))
    # Device suffix.
    add("dev_scalar", torch.tensor(1.25), "cuda:0")
    add("dev_vec_f32", randn(4), "cuda:0")
    add("dev_mat_f64", randn(2, 3, dtype=f64), "cuda:1")
    add("dev_vec_f64_long", randn(12, dtype=f64) * 1000, "cuda:0")
    add("dev_empty_i64", torch.zeros(0, 2, dtype=torch.int64), "cuda:0")

    out = []
    for name, t, device in cases:
        assert t.dtype in DTYPES, name
        t = t.contiguous()
        text = expected_str(t, device)
        lines = text.split("\n")
        out.append("case " + name)
        out.append("dtype " + DTYPES[t.dtype])
        out.append(" ".join(["shape"] + [str(d) for d in t.shape]))
        out.append("device " + (device if device else "-"))
        out.append(" ".join(["values"] + run_length(encode_values(t))))
        out.append("expected %d" % len(lines))
        out.extend(lines)
        out.append("end")

    with open(OUT, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %d cases to %s (%d bytes)" % (len(cases), OUT, os.path.getsize(OUT)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
