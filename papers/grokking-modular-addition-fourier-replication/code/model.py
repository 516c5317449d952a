"""One-layer transformer for modular addition, following Nanda et al. (2023).

Architecture: token + learned positional embedding, one attention layer (4 heads),
one ReLU MLP layer, unembedding, no LayerNorm, no biases except in the MLP.
Inputs are the three tokens ``a b =`` and the answer is read from the last
position. Because only the last position is read out, and attention is causal,
we compute the query, the attention output and the MLP only at that position;
this is mathematically identical to running the full sequence and reading the
last position, and is about three times cheaper on a CPU.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class OneLayerTransformer(nn.Module):
    def __init__(self, p, d_model=128, n_heads=4, d_head=32, d_mlp=512):
        super().__init__()
        self.p, self.d, self.H, self.dh, self.dm = p, d_model, n_heads, d_head, d_mlp
        d = d_model
        self.W_E = nn.Parameter(torch.randn(p + 1, d) / d ** 0.5)  # token p is '='
        self.W_pos = nn.Parameter(torch.randn(3, d) / d ** 0.5)
        self.W_Q = nn.Parameter(torch.randn(d, n_heads * d_head) / d ** 0.5)
        self.W_K = nn.Parameter(torch.randn(d, n_heads * d_head) / d ** 0.5)
        self.W_V = nn.Parameter(torch.randn(d, n_heads * d_head) / d ** 0.5)
        self.W_O = nn.Parameter(torch.randn(n_heads * d_head, d) / (n_heads * d_head) ** 0.5)
        self.W_in = nn.Parameter(torch.randn(d, d_mlp) / d ** 0.5)
        self.b_in = nn.Parameter(torch.zeros(d_mlp))
        self.W_out = nn.Parameter(torch.randn(d_mlp, d) / d_mlp ** 0.5)
        self.b_out = nn.Parameter(torch.zeros(d))
        self.W_U = nn.Parameter(torch.randn(d, p) / d ** 0.5)

    def forward(self, x, return_cache=False):
        B = x.shape[0]
        H, dh = self.H, self.dh
        resid = F.embedding(x, self.W_E) + self.W_pos  # (B, 3, d)
        q = (resid[:, -1] @ self.W_Q).view(B, H, 1, dh)
        k = (resid @ self.W_K).view(B, 3, H, dh).transpose(1, 2)
        v = (resid @ self.W_V).view(B, 3, H, dh).transpose(1, 2)
        attn = (q @ k.transpose(-1, -2) / dh ** 0.5).softmax(-1)  # (B, H, 1, 3)
        z = (attn @ v).reshape(B, H * dh)
        mid = resid[:, -1] + z @ self.W_O
        neurons = F.relu(mid @ self.W_in + self.b_in)
        final = mid + neurons @ self.W_out + self.b_out
        logits = final @ self.W_U
        if return_cache:
            return logits, {"attn": attn[:, :, 0], "neurons": neurons, "mid": mid}
        return logits


def all_pairs(p):
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    x = torch.stack([a, b, torch.full_like(a, p)], dim=1)
    y = (a + b) % p
    return x, y
