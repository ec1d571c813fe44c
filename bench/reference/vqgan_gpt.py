"""PyTorch reference for bench/vqgan.ts: the same code transformer as genlab's CodeTransformer
(pre-norm blocks, nn.MultiheadAttention with a causal mask, GELU MLP, learned positions, start token),
timed per training step (forward, cross-entropy, backward, Adam) and per sampled token with and
without a key/value cache. Prints one JSON line. 1 intra-op thread."""
import json, sys, time, math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
args = dict(a.split('=') for a in sys.argv[1:])
V, T, D, H, L, B, iters = (int(args.get(k, d)) for k, d in [('V', 64), ('T', 64), ('D', 64), ('H', 4), ('L', 2), ('B', 32), ('iters', 10)])

class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln1, s.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        s.attn = nn.MultiheadAttention(D, H, batch_first=True)
        s.fc1, s.fc2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
    def forward(s, x, mask):
        h = s.ln1(x)
        x = x + s.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + s.fc2(F.gelu(s.fc1(s.ln2(x))))
    def cached(s, x, cache):
        h = s.ln1(x)
        q, k, v = F.linear(h, s.attn.in_proj_weight, s.attn.in_proj_bias).view(x.shape[0], 1, 3, H, D // H).permute(2, 0, 3, 1, 4)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        o = F.softmax(q @ k.transpose(-2, -1) / math.sqrt(D // H), -1) @ v
        x = x + s.attn.out_proj(o.transpose(1, 2).reshape(x.shape[0], 1, D))
        return x + s.fc2(F.gelu(s.fc1(s.ln2(x)))), (k, v)

class GPT(nn.Module):
    def __init__(s):
        super().__init__()
        s.tok, s.start = nn.Embedding(V, D), nn.Embedding(1, D)
        s.pos = nn.Parameter(torch.randn(T, D) * 0.02)
        s.blocks = nn.ModuleList([Block() for _ in range(L)])
        s.ln, s.head = nn.LayerNorm(D), nn.Linear(D, V, bias=False)
    def forward(s, codes):
        b, l = codes.shape[0], codes.shape[1] + 1
        x = torch.cat([s.start(torch.zeros(b, dtype=torch.long)).unsqueeze(1), s.tok(codes)], 1) + s.pos[:l]
        mask = ~torch.ones(l, l, dtype=torch.bool).tril()
        for blk in s.blocks:
            x = blk(x, mask)
        return s.head(s.ln(x))

torch.manual_seed(0)
m = GPT()
opt = torch.optim.Adam(m.parameters(), lr=1e-4)
codes = torch.randint(V, (B, T))
def step():
    logits = m(codes[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, V), codes.reshape(-1))
    opt.zero_grad(); loss.backward(); opt.step()
step()
t0 = time.perf_counter()
for _ in range(iters): step()
step_ms = (time.perf_counter() - t0) / iters * 1000

@torch.no_grad()
def sample(n, cache):
    out = []
    if not cache:
        for t in range(T):
            inp = torch.stack(out, 1) if out else torch.zeros(n, 0, dtype=torch.long)
            out.append(torch.multinomial(F.softmax(m(inp)[:, t], -1), 1).squeeze(-1))
        return
    caches = [None] * L
    x = m.start(torch.zeros(n, dtype=torch.long)).unsqueeze(1) + m.pos[:1]
    for t in range(T):
        for i, blk in enumerate(m.blocks):
            x, caches[i] = blk.cached(x, caches[i])
        nxt = torch.multinomial(F.softmax(m.head(m.ln(x))[:, -1], -1), 1).squeeze(-1)
        out.append(nxt)
        if t + 1 < T:
            x = m.tok(nxt).unsqueeze(1) + m.pos[t + 1:t + 2]
n = 8
res = {'step_ms': step_ms}
for cache in (True, False):
    t0 = time.perf_counter(); sample(n, cache); dt = time.perf_counter() - t0
    res['tokens_per_s_' + ('cache' if cache else 'nocache')] = n * T / dt
print(json.dumps(res))
