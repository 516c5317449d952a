"""Attention-only transformer (no MLPs, no LayerNorm), as in Elhage et al. (2021)
and the small attention-only models of Olsson et al. (2022).

The residual stream is the sum of token and learned positional embeddings plus
the outputs of every head; the unembedding reads the final residual stream.
Heads can be ablated (output set to zero) through ``ablate``: a set of
(layer, head) pairs.
"""
import torch
import torch.nn as nn


class AttnOnlyTransformer(nn.Module):
    def __init__(self, vocab, n_ctx, n_layers=2, n_heads=4, d_model=64, d_head=16):
        super().__init__()
        self.V, self.T, self.L, self.H, self.d, self.dh = vocab, n_ctx, n_layers, n_heads, d_model, d_head
        self.W_E = nn.Parameter(torch.randn(vocab, d_model) * 0.02 * 4)
        self.W_pos = nn.Parameter(torch.randn(n_ctx, d_model) * 0.02 * 4)
        s = d_model ** -0.5
        self.W_Q = nn.Parameter(torch.randn(n_layers, n_heads, d_model, d_head) * s)
        self.W_K = nn.Parameter(torch.randn(n_layers, n_heads, d_model, d_head) * s)
        self.W_V = nn.Parameter(torch.randn(n_layers, n_heads, d_model, d_head) * s)
        self.W_O = nn.Parameter(torch.randn(n_layers, n_heads, d_head, d_model) * (n_heads * d_head) ** -0.5)
        self.W_U = nn.Parameter(torch.randn(d_model, vocab) * s)
        self.register_buffer("mask", torch.triu(torch.ones(n_ctx, n_ctx, dtype=torch.bool), 1))

    def forward(self, tokens, return_attn=False, ablate=()):
        B, T = tokens.shape
        resid = self.W_E[tokens] + self.W_pos[:T]
        attns = []
        for l in range(self.L):
            q = torch.einsum("btd,hde->bhte", resid, self.W_Q[l])
            k = torch.einsum("btd,hde->bhte", resid, self.W_K[l])
            v = torch.einsum("btd,hde->bhte", resid, self.W_V[l])
            scores = q @ k.transpose(-1, -2) / self.dh ** 0.5
            scores = scores.masked_fill(self.mask[:T, :T], float("-inf"))
            attn = scores.softmax(-1)  # (B, H, T, T)
            z = attn @ v  # (B, H, T, dh)
            out = torch.einsum("bhte,hed->bhtd", z, self.W_O[l])
            if ablate:
                keep = torch.ones(self.H, device=out.device)
                for (al, ah) in ablate:
                    if al == l:
                        keep[ah] = 0.0
                out = out * keep.view(1, -1, 1, 1)
            resid = resid + out.sum(1)
            attns.append(attn)
        logits = resid @ self.W_U
        if return_attn:
            return logits, attns
        return logits
