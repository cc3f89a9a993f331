#!/usr/bin/env python3
"""PyTorch CPU peer of bitscale's BitLMv57 trainer, for bench/train.ts: the same model, shapes and
update (docs: the model definition in src/model/), timed per optimizer step.

  python3 bench/bitlm_torch.py --d 128 --layers 2 --heads 8 --dff 64 --seq-len 128 --batch 16 \
      --threads 2 --steps 10 [--arch bitlm-v57|float-v52]

Prints one JSON object: {"ms_per_step": median, "steps_timed": n, "threads": t, "torch": version}.
The model: every weight a latent fp32 matrix used as signSTE(W) (clipped straight-through),
lin(x, W) = (x @ sign(W)) / sqrt(fan_in); Gumbel-hard-argmax attention with ALiBi (forward the
one-hot of argmax((s + g)/tau), backward through softmax); FFN sign(lin(x, Wg)) * lin(x, Wu) then
Wd; residual x <- signSTE(x + attn + ffn); AdamW (0.9, 0.95, wd 0.01) with global-norm clip 1.0.

--arch float-v52: the float reference of docs/model.md ("The float reference"): x0 = E[token]; per
layer x += alpha_o*(softattn(RMSNorm(x)) @ Wo), x += alpha_d*((signSTE(alpha_g*(h @ Wg)) *
alpha_u*(h @ Wu)) @ Wd) with h = RMSNorm(x); softmax attention with ALiBi; every linear
alpha*(x @ W) with float W; logits alpha_logits*(RMSNorm(x) @ Wout). RMSNorm eps 1e-6 with a gain.
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


def rms_norm(x, g, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g


class FloatV52(torch.nn.Module):
    def __init__(self, d, layers, heads, dff, seq_len, vocab=128, std=0.02):
        super().__init__()
        p = lambda *s: torch.nn.Parameter(torch.randn(*s) * std)
        one = lambda n: torch.nn.Parameter(torch.ones(n))
        self.heads = heads
        self.embed = p(vocab, d)
        self.blocks = torch.nn.ModuleList()
        for _ in range(layers):
            b = torch.nn.ParameterDict({k: p(d, d) for k in ("wq", "wk", "wv", "wo")})
            b["wg"], b["wu"], b["wd"] = p(d, dff), p(d, dff), p(dff, d)
            for a in ("alpha_q", "alpha_k", "alpha_v", "alpha_o", "alpha_d", "norm_attn", "norm_ffn"):
                b[a] = one(d)
            b["alpha_g"], b["alpha_u"] = one(dff), one(dff)
            self.blocks.append(b)
        self.unembed = p(d, vocab)
        self.norm_final, self.alpha_logits = one(d), one(vocab)
        slopes = torch.tensor([2 ** (-8 * (h + 1) / heads) for h in range(heads)])
        i = torch.arange(seq_len)
        dist = (i[:, None] - i[None, :]).float()
        self.register_buffer("alibi", (-slopes[:, None, None] * dist).masked_fill(dist < 0, -1e9))

    def forward(self, tokens, tau):
        B, T = tokens.shape
        H = self.heads
        x = self.embed[tokens]
        for b in self.blocks:
            d = x.shape[-1]
            hd = d // H
            split = lambda t: t.view(B, T, H, hd).transpose(1, 2)
            h = rms_norm(x, b["norm_attn"])
            q, k, v = (split((h @ b[w]) * b[a]) for w, a in (("wq", "alpha_q"), ("wk", "alpha_k"), ("wv", "alpha_v")))
            s = q @ k.transpose(-1, -2) / math.sqrt(hd) + self.alibi
            y = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, d)
            x = x + (y @ b["wo"]) * b["alpha_o"]
            h = rms_norm(x, b["norm_ffn"])
            x = x + ((sign((h @ b["wg"]) * b["alpha_g"]) * ((h @ b["wu"]) * b["alpha_u"])) @ b["wd"]) * b["alpha_d"]
        return (rms_norm(x, self.norm_final) @ self.unembed) * self.alpha_logits


def main():
    ap = argparse.ArgumentParser()
    for name, default in (("d", 128), ("layers", 2), ("heads", 8), ("dff", 64), ("seq-len", 128), ("batch", 16), ("threads", 2), ("steps", 10), ("warmup", 2)):
        ap.add_argument(f"--{name}", type=int, default=default)
    ap.add_argument("--arch", default="bitlm-v57", choices=("bitlm-v57", "float-v52"))
    ap.add_argument("--gemm", action="store_true", help="time a plain [batch·seq_len, d]·[d, d] matMul instead (GFLOP/s, fastest of 15)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.gemm:
        x = torch.randn(a.batch * a.seq_len, a.d)
        w = torch.randn(a.d, a.d)
        times = []
        for i in range(17):
            t0 = time.perf_counter()
            x @ w
            if i >= 2:
                times.append(time.perf_counter() - t0)
        print(json.dumps({"gflops": 2 * a.batch * a.seq_len * a.d * a.d / min(times) / 1e9, "threads": a.threads, "torch": torch.__version__}))
        return
    torch.manual_seed(0)
    model = (FloatV52 if a.arch == "float-v52" else BitLM)(a.d, a.layers, a.heads, a.dff, a.seq_len)
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
    print(json.dumps({"ms_per_step": statistics.median(times), "steps_timed": len(times), "threads": a.threads, "arch": a.arch, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
