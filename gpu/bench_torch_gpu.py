#!/usr/bin/env python3
"""The PyTorch peer of gpu/bench_gpu.c: ci/bench_torch.py's Stage-1 step
(encoder d -> h1 -> ... -> hk -> n with LeakyReLU(0.02) and BatchNorm1d on
the code, mirrored decoder, loss = MSE + 1/2 mean |z|^2, Adam lr 1e-4),
float32, eager mode, on a CUDA device, with TF32 off (as the idcheck
backend's default) unless IDCHECK_TF32=1; batches are gathered on the
device from a pre-drawn data tensor, and loss.item() is read every step
(the same two-way traffic as the idcheck step, which returns its loss).

usage: bench_torch_gpu.py N MODE BATCH STEPS
  MODE: paper (50n,100n,100n,50n) | small (10n x 4) | ci (8n,16n,16n,8n)
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
    if not torch.cuda.is_available():
        print("SKIPPED: torch sees no CUDA device")
        return
    tf32 = os.environ.get("IDCHECK_TF32") == "1"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    dev = torch.device("cuda")
    torch.manual_seed(1)
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

    def step():
        idx = torch.randint(0, data.shape[0], (batch,), device=dev)
        x = data[idx]
        z = enc(x)
        loss = mse(dec(z), x) + 0.5 * (z * z).sum(dim=1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(5):  # warm-up
        step()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - t0) / steps)
    print(f"torch-cuda {n} {mode} {batch} {1e3 * best:.3f}")


if __name__ == "__main__":
    main()
