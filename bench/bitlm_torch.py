#!/usr/bin/env python3
"""PyTorch CPU peer of bitscale's BitLMv57 trainer, for bench/train.ts: the same model, shapes and
update (docs: the model definition in src/model/), timed per optimizer step.

  python3 bench/bitlm_torch.py --d 128 --layers 2 --heads 8 --dff 64 --seq-len 128 --batch 16 \
      --threads 2 --steps 10

Prints one JSON object: {"ms_per_step": median, "steps_timed": n, "threads": t, "torch": version}.
The model: every weight a latent fp32 matrix used as signSTE(W) (clipped straight-through),
lin(x, W) = (x @ sign(W)) / sqrt(fan_in); Gumbel-hard-argmax attention with ALiBi (forward the
one-hot of argmax((s + g)/tau), backward through softmax); FFN sign(lin(x, Wg)) * lin(x, Wu) then
Wd; residual x <- signSTE(x + attn + ffn); AdamW (0.9, 0.95, wd 0.01) with global-norm clip 1.0.
"""
import argparse
import json
import math
import statistics
import time

import torch


class SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return torch.where(z >= 0, 1.0, -1.0).to(z.dtype)

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * (z.abs() <= 1).to(g.dtype)


sign = SignSTE.apply


def lin(x, w):
    return (x @ sign(w)) / math.sqrt(w.shape[0])


class BitLM(torch.nn.Module):
    def __init__(self, d, layers, heads, dff, seq_len, vocab=128, std=0.02):
        super().__init__()
        p = lambda *s: torch.nn.Parameter(torch.randn(*s) * std)
        self.heads, self.T = heads, seq_len
        self.embed = p(vocab, d)
        self.blocks = torch.nn.ModuleList()
        for _ in range(layers):
            b = torch.nn.ParameterDict({k: p(d, d) for k in ("wq", "wk", "wv", "wo")})
            b["wg"], b["wu"], b["wd"] = p(d, dff), p(d, dff), p(dff, d)
            self.blocks.append(b)
        self.unembed = p(d, vocab)
        slopes = torch.tensor([2 ** (-8 * (h + 1) / heads) for h in range(heads)])
        i = torch.arange(seq_len)
        dist = (i[:, None] - i[None, :]).float()
        alibi = -slopes[:, None, None] * dist
        self.register_buffer("alibi", alibi.masked_fill(dist < 0, -1e9))

    def forward(self, tokens, tau):
        B, T = tokens.shape
        H = self.heads
        x = sign(self.embed[tokens])
        for b in self.blocks:
            d = x.shape[-1]
            hd = d // H
            split = lambda t: t.view(B, T, H, hd).transpose(1, 2)
            q, k, v = split(lin(x, b["wq"])), split(lin(x, b["wk"])), split(lin(x, b["wv"]))
            s = q @ k.transpose(-1, -2) / math.sqrt(hd) + self.alibi
            u = torch.rand_like(s).clamp_(1e-20, 1.0)
            z = (s - torch.log(-torch.log(u))) / tau
            p = torch.softmax(z, -1)
            hard = torch.nn.functional.one_hot(z.argmax(-1), T).to(p.dtype)
            y = (hard - p.detach() + p) @ v
            attn = lin(y.transpose(1, 2).reshape(B, T, d), b["wo"])
            ffn = lin(sign(lin(x, b["wg"])) * lin(x, b["wu"]), b["wd"])
            x = sign(x + attn + ffn)
        return lin(x, self.unembed)


def main():
    ap = argparse.ArgumentParser()
    for name, default in (("d", 128), ("layers", 2), ("heads", 8), ("dff", 64), ("seq-len", 128), ("batch", 16), ("threads", 2), ("steps", 10), ("warmup", 2)):
        ap.add_argument(f"--{name}", type=int, default=default)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = BitLM(a.d, a.layers, a.heads, a.dff, a.seq_len)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.01)
    tokens = (torch.arange(a.batch * a.seq_len) * 31 % 128).view(a.batch, a.seq_len)
    targets = (torch.arange(a.batch * a.seq_len) * 17 + 3) % 128
    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        logits = model(tokens, 1.0)
        loss = torch.nn.functional.cross_entropy(logits.view(-1, 128), targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"ms_per_step": statistics.median(times), "steps_timed": len(times), "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
