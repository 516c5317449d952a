"""Synthetic data.

Training distribution: sequences of length T whose tokens come either i.i.d.
uniform (alpha=None) or from a fixed random first-order Markov chain whose rows
are Dirichlet(alpha) draws (so that a model can lower its loss with bigram
statistics stored in its weights). With probability p_repeat, one span of random
length L in [min_len, max_len] is copied from a random earlier position s to a
random later position d >= s + L. Because the offset d - s varies from sequence
to sequence, a head that attends to a fixed relative position cannot exploit the
copy; the model has to find the earlier occurrence by content.

Evaluation distribution ("repeated random tokens", as in Olsson et al. 2022): a
uniformly random sequence of n tokens followed by an exact copy of itself.
"""
import torch


class CopyTask:
    def __init__(self, vocab, n_ctx, alpha=None, p_repeat=1.0, min_len=8, max_len=24, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.V, self.T = vocab, n_ctx
        self.alpha = alpha
        self.p_repeat, self.min_len, self.max_len = p_repeat, min_len, max_len
        if alpha is None:
            self.P = torch.full((vocab, vocab), 1.0 / vocab)
        else:
            # Dirichlet(alpha) rows via normalised Gamma draws (uses torch's global RNG, seeded by the caller)
            gam = torch._standard_gamma(torch.full((vocab, vocab), float(alpha)))
            self.P = gam / gam.sum(-1, keepdim=True)
        self.g = torch.Generator().manual_seed(seed + 1)

    def sample(self, batch):
        """Returns tokens (batch, T) and a boolean mask (batch, T) marking copied target positions whose
        value is predictable from the earlier occurrence (every copied token except the first)."""
        g, T = self.g, self.T
        if self.alpha is None:
            x = torch.randint(0, self.V, (batch, T), generator=g)
        else:
            x = torch.empty(batch, T, dtype=torch.long)
            x[:, 0] = torch.randint(0, self.V, (batch,), generator=g)
            for t in range(1, T):
                x[:, t] = torch.multinomial(self.P[x[:, t - 1]], 1, generator=g)[:, 0]
        copied = torch.zeros(batch, T, dtype=torch.bool)
        src = torch.full((batch,), -1, dtype=torch.long)
        dst = torch.full((batch,), -1, dtype=torch.long)
        length = torch.zeros(batch, dtype=torch.long)
        rep = torch.rand(batch, generator=g) < self.p_repeat
        for i in range(batch):
            if not rep[i]:
                continue
            L = int(torch.randint(self.min_len, self.max_len + 1, (1,), generator=g))
            s = int(torch.randint(0, T - 2 * L + 1, (1,), generator=g))
            d = int(torch.randint(s + L, T - L + 1, (1,), generator=g))
            x[i, d:d + L] = x[i, s:s + L].clone()
            copied[i, d + 1:d + L] = True
            src[i], dst[i], length[i] = s, d, L
        return x, copied, (src, dst, length)

    def bigram_entropy(self):
        """Mean conditional entropy (nats) of the chain, averaged uniformly over states."""
        P = self.P
        return float(-(P * (P + 1e-30).log()).sum(-1).mean())


def repeated_random(batch, half, vocab, seed):
    g = torch.Generator().manual_seed(seed)
    r = torch.randint(0, vocab, (batch, half), generator=g)
    return torch.cat([r, r], dim=1)
