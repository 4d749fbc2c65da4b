#!/usr/bin/env python3
"""The PyTorch peer of ci/bench_stage1.c: the same Stage-1 step (encoder
d -> h1 -> ... -> hk -> n with LeakyReLU(0.02) and BatchNorm1d on the code,
mirrored decoder, loss = MSE + 1/2 mean |z|^2, Adam lr 1e-4), float32, eager
mode, on the CPU with the same thread count, batches gathered from a
pre-drawn data tensor as the C engine does.

usage: bench_torch.py N MODE BATCH STEPS THREADS
  MODE: paper (50n,100n,100n,50n) | small (10n x 4) | ci (8n,16n,16n,8n)
prints one line: "torch N MODE BATCH ms_per_step peak_rss_growth_mb" (the peak
resident set minus the resident set before the model is built: what training
allocates, without the interpreter's and libraries' pages)
"""
import resource
import sys
import time

import torch


def rss_now_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / (1024.0 * 1024.0)


def widths(n, mode):
    mult = {"paper": (50, 100, 100, 50), "small": (10, 10, 10, 10), "ci": (8, 16, 16, 8)}[mode]
    return [m * n for m in mult]


def main():
    n, mode, batch, steps, threads = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    rss0 = rss_now_mb()
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
    enc, dec = torch.nn.Sequential(*enc), torch.nn.Sequential(*dec)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-4)
    data = torch.randn(4 * batch, d)
    mse = torch.nn.MSELoss()

    def step():
        idx = torch.randint(0, data.shape[0], (batch,))
        x = data[idx]
        z = enc(x)
        loss = mse(dec(z), x) + 0.5 * (z * z).sum(dim=1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()  # warm-up
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - t0) / steps)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0 - rss0
    print(f"torch {n} {mode} {batch} {1e3 * best:.3f} {rss:.1f}")


if __name__ == "__main__":
    main()
