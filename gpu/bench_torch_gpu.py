#!/usr/bin/env python3
"""The PyTorch peer of gpu/bench_gpu.c, float32, eager mode, on a CUDA
device, with TF32 off (as the idcheck backend's default) unless
IDCHECK_TF32=1; batches are gathered on the device from a pre-drawn data
tensor.

Stage 1 (MODE paper|small|ci): ci/bench_torch.py's step (encoder d -> h1
-> ... -> hk -> n with LeakyReLU(0.02) and BatchNorm1d on the code,
mirrored decoder, loss = MSE + 1/2 mean |z|^2, Adam lr 1e-4); loss.item()
every 100 steps, as idc_stage1_fit reads its loss on a device.

Stage 2 (MODE stage2): the affine encoder n -> 10n -> 50n x 4 -> 10n -> n
with BatchNorm1d, the mirrored decoder, L = MSE + lambda mean |z|, one
extra-gradient step = two forward-backward passes and two Adam updates
from a saved copy of the parameters, with both loss terms read after each
pass for the host-side multiplier update (as idcheck's Stage 2 does).

usage: bench_torch_gpu.py N MODE BATCH STEPS
prints one line: "torch-cuda N MODE BATCH ms_per_step", or
"SKIPPED: ..." when torch or a CUDA device is missing (exit 0).
"""
import os
import sys
import time


def widths(n, mode):
    mult = {"paper": (50, 100, 100, 50), "small": (10, 10, 10, 10), "ci": (8, 16, 16, 8)}[mode]
    return [m * n for m in mult]


def main():
    n, mode, batch, steps = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    try:
        import torch
    except ImportError:
        print("SKIPPED: torch not importable")
        return
    on_cpu = os.environ.get("IDCHECK_TORCH_CPU") == "1"  # a smoke test without a device
    if not on_cpu and not torch.cuda.is_available():
        print("SKIPPED: torch sees no CUDA device")
        return
    tf32 = os.environ.get("IDCHECK_TF32") == "1"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    dev = torch.device("cpu" if on_cpu else "cuda")
    sync = (lambda: None) if on_cpu else torch.cuda.synchronize
    torch.manual_seed(1)
    if mode == "stage2":
        step = stage2_step(torch, dev, n, batch)
    else:
        step = stage1_step(torch, dev, n, mode, batch)
    for _ in range(5):  # warm-up
        step(0)
    sync()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for k in range(steps):
            step(k)
        sync()
        best = min(best, (time.perf_counter() - t0) / steps)
    print(f"torch-cuda {n} {mode} {batch} {1e3 * best:.3f}")


def stage2_step(torch, dev, n, batch):
    w = [n] + [m * n for m in (10, 50, 50, 50, 50, 10)] + [n]
    enc = [torch.nn.Linear(a, b) for a, b in zip(w[:-1], w[1:])] + [torch.nn.BatchNorm1d(n)]
    r = w[::-1]
    dec = [torch.nn.Linear(a, b) for a, b in zip(r[:-1], r[1:])]
    enc, dec = torch.nn.Sequential(*enc).to(dev), torch.nn.Sequential(*dec).to(dev)
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=1e-4)
    data = torch.randn(4 * batch, n, device=dev)
    mse = torch.nn.MSELoss()
    state = {"lam": 0.0}

    def grad_eval(x, lam):
        z = enc(x)
        rec, l1 = mse(dec(z), x), z.abs().mean()
        opt.zero_grad(set_to_none=True)
        (rec + lam * l1).backward()
        return rec.item(), l1.item()

    def step(_k):
        idx = torch.randint(0, data.shape[0], (batch,), device=dev)
        x = data[idx]
        saved = [p.detach().clone() for p in params]
        _, l1 = grad_eval(x, state["lam"])
        opt.step()  # extrapolation
        lam_half = max(0.0, state["lam"] + 5e-5 * (l1 - 0.01))
        _, l1 = grad_eval(x, lam_half)
        with torch.no_grad():
            for p, s0 in zip(params, saved):
                p.copy_(s0)
        opt.step()  # the step, with the gradient at the extrapolated point
        state["lam"] = max(0.0, state["lam"] + 5e-5 * (l1 - 0.01))

    return step


def stage1_step(torch, dev, n, mode, batch):
    d = n
    h = widths(n, mode)
    enc, dec, w = [], [], [d] + h
    for a, b in zip(w[:-1], w[1:]):
        enc += [torch.nn.Linear(a, b), torch.nn.LeakyReLU(0.02)]
    enc += [torch.nn.Linear(h[-1], n), torch.nn.BatchNorm1d(n)]
    w = [n] + h[::-1]
    for a, b in zip(w[:-1], w[1:]):
        dec += [torch.nn.Linear(a, b), torch.nn.LeakyReLU(0.02)]
    dec += [torch.nn.Linear(h[0], d)]
    enc, dec = torch.nn.Sequential(*enc).to(dev), torch.nn.Sequential(*dec).to(dev)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-4)
    data = torch.randn(4 * batch, d, device=dev)
    mse = torch.nn.MSELoss()

    def step(k):
        idx = torch.randint(0, data.shape[0], (batch,), device=dev)
        x = data[idx]
        z = enc(x)
        loss = mse(dec(z), x) + 0.5 * (z * z).sum(dim=1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if k % 100 == 99:
            loss.item()

    return step


if __name__ == "__main__":
    main()
