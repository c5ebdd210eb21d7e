#!/usr/bin/env python3
"""The PyTorch versions of descent bench's workloads, for side-by-side comparisons.

Same models, data sizes and optimizer as `descent bench` (Sources/DescentBench/Bench.swift):

  mlp-grok           x+y mod 97, half the table (4705 pairs) full batch; embedding 128 per operand,
                     one hidden layer of 512 (ReLU), AdamW(lr 1e-3, betas 0.9/0.98, weight decay 1)
  transformer-nanda  x+y mod 113, 30 % of the table (3831 pairs) full batch; "x y =", 1 layer,
                     d_model 128, 4 heads of 32, d_mlp 512, ReLU, no LayerNorm, learned positions
  transformer-power  x/y mod 97, half the table, minibatches of 512; "x op y =", 2 layers, pre-LN,
                     d_model 128, 4 heads of 32, d_mlp 512, ReLU, learned positions, 10 warm-up steps

The transformers compute the last block's queries, MLP and unembedding at the answer position only
(as descent does); --all-positions computes them at every position, as most scripts do.

Prints one JSON line: {"workload", "steps_per_second", "seconds", "steps", "threads", "torch"}.
descent never needs this file or PyTorch; `descent bench --against "python3 benchmarks/pytorch_bench.py"`
runs it between its own rounds.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def table(op, p, fraction, seed=1):
    xs = torch.arange(p).repeat_interleave(p)
    ys = torch.arange(p).repeat(p)
    if op == "add":
        labels = (xs + ys) % p
        keep = torch.ones_like(xs, dtype=torch.bool)
    else:  # x / y = x · y^(p-2) mod p, y ≠ 0
        keep = ys != 0
        xs, ys = xs[keep], ys[keep]
        inv = torch.tensor([pow(int(y), p - 2, p) for y in ys])
        labels = (xs * inv) % p
    n = xs.numel()
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=g)
    k = round(fraction * n)
    idx = perm[:k]
    return xs[idx], ys[idx], labels[idx]


class MLP(nn.Module):
    def __init__(self, p, d=128, h=512):
        super().__init__()
        self.emb = nn.Embedding(p, d)
        self.l1 = nn.Linear(2 * d, h)
        self.out = nn.Linear(h, p)

    def forward(self, x, y):
        z = torch.cat([self.emb(x), self.emb(y)], dim=1)
        return self.out(F.relu(self.l1(z)))


class Block(nn.Module):
    def __init__(self, d, heads, d_mlp, ln):
        super().__init__()
        self.heads, self.hs = heads, d // heads
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        self.w_in = nn.Linear(d, d_mlp)
        self.w_out = nn.Linear(d_mlp, d)
        self.ln1 = nn.LayerNorm(d) if ln else nn.Identity()
        self.ln2 = nn.LayerNorm(d) if ln else nn.Identity()

    def forward(self, x, last_only):
        B, T, C = x.shape
        z = self.ln1(x)
        k = self.wk(z).view(B, T, self.heads, self.hs).transpose(1, 2)
        v = self.wv(z).view(B, T, self.heads, self.hs).transpose(1, 2)
        if last_only:
            q = self.wq(z[:, -1:, :]).view(B, 1, self.heads, self.hs).transpose(1, 2)
            att = F.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hs), dim=-1)
            y = (att @ v).transpose(1, 2).reshape(B, 1, C)
            a = x[:, -1:, :] + self.wo(y)
        else:
            q = self.wq(z).view(B, T, self.heads, self.hs).transpose(1, 2)
            s = q @ k.transpose(-1, -2) / math.sqrt(self.hs)
            mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
            att = F.softmax(s.masked_fill(mask, float("-inf")), dim=-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, C)
            a = x + self.wo(y)
        return a + self.w_out(F.relu(self.w_in(self.ln2(a))))


class Transformer(nn.Module):
    def __init__(self, p, op_token, layers, d=128, heads=4, d_mlp=512, ln=True):
        super().__init__()
        self.p, self.op_token = p, op_token
        T = 4 if op_token else 3
        self.embed = nn.Embedding(p + 2, d)
        self.pos = nn.Parameter(torch.randn(T, d) / math.sqrt(d))
        self.blocks = nn.ModuleList([Block(d, heads, d_mlp, ln) for _ in range(layers)])
        self.lnf = nn.LayerNorm(d) if ln else nn.Identity()
        self.unembed = nn.Linear(d, p, bias=False)

    def forward(self, x, y, all_positions=False):
        B = x.shape[0]
        op = torch.full((B,), self.p)
        eq = torch.full((B,), self.p + 1)
        seq = torch.stack([x, op, y, eq] if self.op_token else [x, y, eq], dim=1)
        h = self.embed(seq) + self.pos
        for i, b in enumerate(self.blocks):
            h = b(h, last_only=(i == len(self.blocks) - 1 and not all_positions))
        return self.unembed(self.lnf(h[:, -1, :]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workload", required=True, choices=["mlp-grok", "transformer-nanda", "transformer-power"])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--all-positions", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(2)
    batch = None
    if a.workload == "mlp-grok":
        x, y, t = table("add", 97, 0.5)
        model = MLP(97)
        warm = 0
    elif a.workload == "transformer-nanda":
        x, y, t = table("add", 113, 0.3)
        model = Transformer(113, op_token=False, layers=1, ln=False)
        warm = 0
    else:
        x, y, t = table("div", 97, 0.5)
        model = Transformer(97, op_token=True, layers=2, ln=True)
        batch, warm = 512, 10
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) if warm else 1.0)
    n = x.numel()
    g = torch.Generator().manual_seed(3)
    order, cursor = torch.randperm(n, generator=g), 0

    def step():
        nonlocal order, cursor
        if batch is None:
            bx, by, bt = x, y, t
        else:
            if cursor + batch > n:
                order, cursor = torch.randperm(n, generator=g), 0
            i = order[cursor:cursor + batch]
            cursor += batch
            bx, by, bt = x[i], y[i], t[i]
        logits = model(bx, by) if isinstance(model, MLP) else model(bx, by, a.all_positions)
        loss = F.cross_entropy(logits, bt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()

    for _ in range(3):
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < a.seconds or steps < 3:
        step()
        steps += 1
    wall = time.perf_counter() - start
    print(json.dumps({"workload": a.workload, "steps_per_second": steps / wall, "seconds": wall, "steps": steps,
                      "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "positions": "all" if a.all_positions else "answer"}))


if __name__ == "__main__":
    main()
