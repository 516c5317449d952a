"""Replication study of Nanda et al. (2023), 'Progress measures for grokking via
mechanistic interpretability', on a 2-core CPU.

Run from the paper folder:  python code/run.py
Writes data/results.json and figures/*.png. No network access is needed.
"""
import json
import math
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from model import OneLayerTransformer, all_pairs  # noqa: E402

CFG = dict(
    p=113, train_frac=0.3, d_model=128, n_heads=4, d_head=32, d_mlp=512,
    lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98), warmup_steps=10,
    steps=9000, ckpt_every=100, seed=0, threads=1,
    key_freq_threshold=0.05,  # a frequency is "key" if it holds >5% of the embedding's non-constant Fourier power
)


def fourier_basis(p):
    """Orthonormal real Fourier basis on Z_p: rows are const, cos1, sin1, ..., cos_K, sin_K."""
    x = np.arange(p)
    rows, names = [np.ones(p)], ["const"]
    for k in range(1, p // 2 + 1):
        rows.append(np.cos(2 * np.pi * k * x / p)); names.append(f"cos{k}")
        rows.append(np.sin(2 * np.pi * k * x / p)); names.append(f"sin{k}")
    B = np.stack(rows)
    B = B / np.linalg.norm(B, axis=1, keepdims=True)
    return B, names


def freq_power(coef_rows_sq, p):
    """Combine squared coefficients of cos_k and sin_k rows into one power per frequency k."""
    K = p // 2
    return np.array([coef_rows_sq[2 * k - 1] + coef_rows_sq[2 * k] for k in range(1, K + 1)])


def ab_directions(p, freqs):
    """Unit vectors over the p*p grid (a-major order) for cos(w(a+b)) and sin(w(a+b))."""
    a = np.repeat(np.arange(p), p)
    b = np.tile(np.arange(p), p)
    dirs = [np.ones(p * p) / p]
    for k in freqs:
        w = 2 * np.pi * k / p
        for f in (np.cos, np.sin):
            v = f(w * (a + b)); dirs.append(v / np.linalg.norm(v))
    return np.stack(dirs, 1)  # (p*p, 1 + 2K); columns orthonormal for distinct nonzero k


def main():
    t0 = time.time()
    cfg = dict(CFG)
    if os.environ.get("SMOKE_STEPS"):  # quick pipeline check only; not used for the paper
        cfg["steps"] = int(os.environ["SMOKE_STEPS"])
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])
    np.random.seed(cfg["seed"])
    p = cfg["p"]
    model = OneLayerTransformer(p, cfg["d_model"], cfg["n_heads"], cfg["d_head"], cfg["d_mlp"])
    X, Y = all_pairs(p)
    g = torch.Generator().manual_seed(cfg["seed"])
    perm = torch.randperm(p * p, generator=g)
    n_train = int(cfg["train_frac"] * p * p)
    tr, te = perm[:n_train], perm[n_train:]
    Xtr, Ytr, Xte, Yte = X[tr], Y[tr], X[te], Y[te]
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"],
                            betas=cfg["betas"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / cfg["warmup_steps"], 1.0))

    hist = {k: [] for k in ["step", "train_loss", "test_loss", "train_acc", "test_acc", "weight_norm_sq"]}
    ckpts = {}
    for step in range(cfg["steps"] + 1):
        logits = model(Xtr)
        loss = F.cross_entropy(logits, Ytr)
        if step % cfg["ckpt_every"] == 0:
            with torch.no_grad():
                lt = model(Xte)
                hist["step"].append(step)
                hist["train_loss"].append(loss.item())
                hist["train_acc"].append((logits.argmax(-1) == Ytr).float().mean().item())
                hist["test_loss"].append(F.cross_entropy(lt, Yte).item())
                hist["test_acc"].append((lt.argmax(-1) == Yte).float().mean().item())
                hist["weight_norm_sq"].append(sum((q ** 2).sum().item() for q in model.parameters()))
                ckpts[step] = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if step % 1000 == 0:
                print(f"step {step:6d} train {loss.item():.2e} test {hist['test_loss'][-1]:.2e} "
                      f"test_acc {hist['test_acc'][-1]:.4f}  t={time.time() - t0:.0f}s", flush=True)
        if step == cfg["steps"]:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    train_time = time.time() - t0

    # ------------------------------------------------------------------ analysis of final model
    B, names = fourier_basis(p)
    K = p // 2
    W_E = model.W_E.detach().numpy()[:p]  # exclude '=' token
    emb_coef = B @ W_E  # (p, d)
    emb_rows_sq = (emb_coef ** 2).sum(1)
    emb_freq_power = freq_power(emb_rows_sq, p)
    emb_share = emb_freq_power / emb_freq_power.sum()
    key = [int(k + 1) for k in np.argsort(-emb_share) if emb_share[k] > cfg["key_freq_threshold"]]
    if not key:  # only happens for an undertrained model (e.g. SMOKE_STEPS); keep the pipeline running
        key = [int(np.argmax(emb_share)) + 1]
    key = sorted(key)
    print("key frequencies", key, "shares", [round(float(emb_share[k - 1]), 3) for k in key])

    with torch.no_grad():
        logits_all, cache = model(X, return_cache=True)
    neurons = cache["neurons"].numpy().reshape(p, p, -1)  # (a, b, n)
    attn = cache["attn"].numpy()  # (p*p, H, 3)
    # 2D Fourier transform of each neuron over (a, b)
    C = np.einsum("jb,ibn->ijn", B, np.einsum("ia,abn->ibn", B, neurons))  # (p, p, n)
    Csq = C ** 2
    total = Csq.sum((0, 1)) - Csq[0, 0]
    alive = total > 1e-6 * total.max()
    fve = np.zeros((K, C.shape[2]))
    for k in range(1, K + 1):
        idx = [2 * k - 1, 2 * k]
        s = Csq[0, idx].sum(0) + Csq[idx, 0].sum(0) + Csq[np.ix_(idx, idx)].sum((0, 1))
        fve[k - 1] = s / np.maximum(total, 1e-12)
    best_k = fve.argmax(0) + 1
    best_fve = fve.max(0)
    n_alive = int(alive.sum())
    neuron_key_frac = float(np.isin(best_k[alive], key).mean())
    neurons_per_key = {int(k): int(((best_k == k) & alive).sum()) for k in key}
    # Fraction of total neuron variance explained by the key frequencies (linear + quadratic terms)
    key_idx = [i for k in key for i in (2 * k - 1, 2 * k)]
    kv = (Csq[0, key_idx].sum() + Csq[key_idx, 0].sum()
          + sum(Csq[np.ix_([2 * k - 1, 2 * k], [2 * k - 1, 2 * k])].sum() for k in key))
    neuron_var_key_frac = float(kv / total[alive].sum())

    # Logits: fit  L(a,b,c) ~ mean_c + sum_k alpha_k cos(w_k (a+b-c)), the form proposed by Nanda et al.
    L = logits_all.numpy().reshape(p, p, p)
    Lc = L - L.mean(axis=(0, 1), keepdims=True)
    aa, bb, cc = np.meshgrid(np.arange(p), np.arange(p), np.arange(p), indexing="ij")
    feats = np.stack([np.cos(2 * np.pi * k * (aa + bb - cc) / p).ravel() for k in key], 1)
    coefs, *_ = np.linalg.lstsq(feats, Lc.ravel(), rcond=None)
    resid = Lc.ravel() - feats @ coefs
    logit_r2 = float(1 - (resid ** 2).sum() / (Lc.ravel() ** 2).sum())
    # same fit with 5 random non-key frequencies as a control
    rng = np.random.default_rng(cfg["seed"])
    nonkey = [k for k in range(1, K + 1) if k not in key]
    ctrl = sorted(int(k) for k in rng.choice(nonkey, size=len(key), replace=False))
    feats_c = np.stack([np.cos(2 * np.pi * k * (aa + bb - cc) / p).ravel() for k in ctrl], 1)
    coefs_c, *_ = np.linalg.lstsq(feats_c, Lc.ravel(), rcond=None)
    logit_r2_ctrl = float(1 - ((Lc.ravel() - feats_c @ coefs_c) ** 2).sum() / (Lc.ravel() ** 2).sum())

    # Attention of the final token: how much goes to a and b
    attn_to_ab = attn[:, :, :2].sum(-1).mean(0).tolist()

    # ------------------------------------------------------------------ progress measures over training
    D = ab_directions(p, key)  # (p*p, 1+2K)
    Yall = Y.numpy()
    tr_np, te_np = tr.numpy(), te.numpy()
    restricted, excluded, emb_key_share, ckpt_steps = [], [], [], []

    def ce(logits_np, y):
        z = logits_np - logits_np.max(1, keepdims=True)
        lp = z - np.log(np.exp(z).sum(1, keepdims=True))
        return float(-lp[np.arange(len(y)), y].mean())

    probe = OneLayerTransformer(p, cfg["d_model"], cfg["n_heads"], cfg["d_head"], cfg["d_mlp"])
    for step in sorted(ckpts):
        probe.load_state_dict(ckpts[step])
        with torch.no_grad():
            Lg = probe(X).numpy().astype(np.float64)  # (p*p, p)
        proj = D @ (D.T @ Lg)  # projection onto const + key (a+b) directions, separately for each c
        restricted.append(ce(proj[te_np], Yall[te_np]))
        # excluded: remove the key (a+b) directions but keep the constant
        key_only = D[:, 1:] @ (D[:, 1:].T @ Lg)
        excluded.append(ce((Lg - key_only)[tr_np], Yall[tr_np]))
        We = ckpts[step]["W_E"].numpy()[:p]
        pw = freq_power(((B @ We) ** 2).sum(1), p)
        emb_key_share.append(float(pw[[k - 1 for k in key]].sum() / pw.sum()))
        ckpt_steps.append(step)

    def first(steps, vals, cond):
        for s, v in zip(steps, vals):
            if cond(v):
                return int(s)
        return None

    memorised = first(hist["step"], hist["train_acc"], lambda v: v >= 0.99)
    grokked = first(hist["step"], hist["test_acc"], lambda v: v >= 0.99)
    test_half = first(hist["step"], hist["test_acc"], lambda v: v >= 0.5)
    peak_test_loss_step = int(hist["step"][int(np.argmax(hist["test_loss"]))])
    wn = np.array(hist["weight_norm_sq"])
    peak_wn_step = int(hist["step"][int(np.argmax(wn))])

    runtime = time.time() - t0
    results = dict(
        config={k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()},
        seeds=[cfg["seed"]],
        environment=dict(python=platform.python_version(), torch=torch.__version__, numpy=np.__version__,
                         threads=cfg["threads"], machine=platform.machine()),
        runtime_seconds=dict(training=round(train_time, 1), total=round(runtime, 1),
                             total_cpu_process=round(time.process_time(), 1)),
        load_average_at_end=list(os.getloadavg()),
        n_train=int(n_train), n_test=int(p * p - n_train), n_params=int(sum(q.numel() for q in model.parameters())),
        final=dict(train_loss=hist["train_loss"][-1], test_loss=hist["test_loss"][-1],
                   train_acc=hist["train_acc"][-1], test_acc=hist["test_acc"][-1]),
        milestones=dict(train_acc_99_step=memorised, test_acc_50_step=test_half, test_acc_99_step=grokked,
                        grokking_delay_steps=(grokked - memorised) if (grokked is not None and memorised is not None) else None,
                        peak_test_loss_step=peak_test_loss_step, peak_test_loss=float(max(hist["test_loss"])),
                        peak_weight_norm_sq_step=peak_wn_step, peak_weight_norm_sq=float(wn.max()),
                        final_weight_norm_sq=float(wn[-1])),
        embedding=dict(freq_share={int(k + 1): float(s) for k, s in enumerate(emb_share)},
                       key_frequencies=key,
                       key_freq_shares=[float(emb_share[k - 1]) for k in key],
                       key_total_share=float(emb_share[[k - 1 for k in key]].sum()),
                       const_row_norm_sq=float(emb_rows_sq[0])),
        neurons=dict(n_alive=n_alive, n_total=int(C.shape[2]),
                     median_single_freq_fve=float(np.median(best_fve[alive])),
                     frac_fve_above_0_8=float((best_fve[alive] > 0.8).mean()),
                     frac_dominant_freq_is_key=neuron_key_frac, neurons_per_key_freq=neurons_per_key,
                     key_freq_share_of_neuron_variance=neuron_var_key_frac),
        logits=dict(cos_a_plus_b_minus_c_r2_key=logit_r2, control_freqs=ctrl,
                    cos_a_plus_b_minus_c_r2_control=logit_r2_ctrl,
                    fitted_coefficients={int(k): float(c) for k, c in zip(key, coefs)}),
        attention=dict(final_token_attn_to_a_and_b_per_head=attn_to_ab),
        history=hist,
        progress=dict(step=ckpt_steps, restricted_test_loss=restricted, excluded_train_loss=excluded,
                      embedding_key_freq_share=emb_key_share),
    )
    results["derived"] = derived_milestones(results)
    os.makedirs(os.path.join(ROOT, "data"), exist_ok=True)
    with open(os.path.join(ROOT, "data", "results.json"), "w") as f:
        json.dump(results, f, indent=1)

    make_figures(results, fve, best_k, best_fve, alive, p)
    print(json.dumps({k: results[k] for k in ["runtime_seconds", "final", "milestones", "neurons", "logits"]}, indent=1))


def derived_milestones(R):
    """Timing statistics read off the stored curves (added to results.json under 'derived')."""
    H, P, M = R["history"], R["progress"], R["milestones"]

    def first(steps, vals, cond, after=0):
        for s_, v in zip(steps, vals):
            if s_ >= after and cond(v):
                return int(s_)
        return None

    mem = M["train_acc_99_step"] or 0
    out = dict(
        restricted_loss_below_1_step=first(P["step"], P["restricted_test_loss"], lambda v: v < 1.0),
        restricted_loss_below_0_01_step=first(P["step"], P["restricted_test_loss"], lambda v: v < 0.01),
        test_loss_below_1_step=first(H["step"], H["test_loss"], lambda v: v < 1.0),
        test_loss_below_0_01_step=first(H["step"], H["test_loss"], lambda v: v < 0.01),
        excluded_loss_above_1_step=first(P["step"], P["excluded_train_loss"], lambda v: v > 1.0, after=mem),
        excluded_loss_final=P["excluded_train_loss"][-1],
        restricted_loss_final=P["restricted_test_loss"][-1],
    )
    def stays(steps, vals, cond):
        """first step from which cond holds at every later checkpoint"""
        res = None
        for s_, v in zip(reversed(steps), reversed(vals)):
            if cond(v):
                res = int(s_)
            else:
                break
        return res

    out["excluded_loss_stays_above_1_from"] = stays(P["step"], P["excluded_train_loss"], lambda v: v > 1.0)
    out["restricted_loss_stays_below_1_from"] = stays(P["step"], P["restricted_test_loss"], lambda v: v < 1.0)
    out["test_loss_stays_below_1_from"] = stays(H["step"], H["test_loss"], lambda v: v < 1.0)
    share = dict(zip(P["step"], P["embedding_key_freq_share"]))
    wn = dict(zip(H["step"], H["weight_norm_sq"]))
    g = M["test_acc_99_step"]
    out["embedding_key_share_at"] = {"init": share[0], "memorised": share.get(mem), "grokked": share.get(g),
                                     "final": P["embedding_key_freq_share"][-1]}
    out["weight_norm_sq_at"] = {"init": wn[0], "grokked": wn.get(g), "final": H["weight_norm_sq"][-1],
                                "peak": M["peak_weight_norm_sq"]}
    # loss spikes after memorisation: checkpoints where train loss rises above 1e-3 from below
    tl = H["train_loss"]
    spikes = [int(H["step"][i]) for i in range(1, len(tl))
              if H["step"][i] > mem and tl[i] > 1e-3 and tl[i - 1] <= 1e-3]
    out["train_loss_spike_steps"] = spikes
    return out


def make_figures(R, fve, best_k, best_fve, alive, p):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figdir = os.path.join(ROOT, "figures")
    os.makedirs(figdir, exist_ok=True)
    H, P, M = R["history"], R["progress"], R["milestones"]
    dpi = 110

    # Figure 1: loss curves and progress measures
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ax = axes[0]
    ax.plot(H["step"], H["train_loss"], label="train loss")
    ax.plot(H["step"], H["test_loss"], label="test loss")
    ax.plot(P["step"], P["restricted_test_loss"], label="restricted loss (test)", ls="--")
    ax.plot(P["step"], P["excluded_train_loss"], label="excluded loss (train)", ls="--")
    ax.set_yscale("log"); ax.set_xlabel("training step (full batch)"); ax.set_ylabel("cross-entropy")
    for s, lab in [(M["train_acc_99_step"], "train acc 99%"), (M["test_acc_99_step"], "test acc 99%")]:
        if s is not None:
            ax.axvline(s, color="grey", lw=0.8, ls=":")
    ax.legend(fontsize=8, loc="lower left"); ax.set_title("Losses and progress measures")
    ax = axes[1]
    ax.plot(H["step"], H["weight_norm_sq"], color="k", label="sum of squared weights")
    ax.set_xlabel("training step"); ax.set_ylabel("sum of squared weights")
    ax2 = ax.twinx()
    ax2.plot(P["step"], P["embedding_key_freq_share"], color="tab:purple", label="key-frequency share of $W_E$ power")
    ax2.set_ylabel("key-frequency share", color="tab:purple"); ax2.set_ylim(0, 1)
    ax.set_title("Weight norm and Fourier sparsity of $W_E$")
    h1, l1 = ax.get_legend_handles_labels(); h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="center right")
    fig.tight_layout(); fig.savefig(os.path.join(figdir, "training_curves.png"), dpi=dpi); plt.close(fig)

    # Figure 2: embedding Fourier spectrum
    share = np.array([R["embedding"]["freq_share"][k] for k in sorted(R["embedding"]["freq_share"])])
    ks = np.arange(1, len(share) + 1)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    colors = ["tab:red" if k in R["embedding"]["key_frequencies"] else "tab:blue" for k in ks]
    ax.bar(ks, share, color=colors)
    ax.axhline(R["config"]["key_freq_threshold"], color="grey", ls=":", lw=0.8)
    ax.set_xlabel("frequency k  (w_k = 2πk/p)"); ax.set_ylabel("share of $W_E$ Fourier power")
    ax.set_title(f"Embedding spectrum after training; key frequencies {R['embedding']['key_frequencies']} in red")
    fig.tight_layout(); fig.savefig(os.path.join(figdir, "embedding_spectrum.png"), dpi=dpi); plt.close(fig)

    # Figure 3: neurons by dominant frequency and FVE
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    ax = axes[0]
    ax.hist(best_fve[alive], bins=30, color="tab:green")
    ax.set_xlabel("fraction of neuron variance explained by its best single frequency")
    ax.set_ylabel("neurons"); ax.set_title("Per-neuron single-frequency FVE")
    ax = axes[1]
    counts = np.bincount(best_k[alive], minlength=p // 2 + 1)[1:]
    ax.bar(np.arange(1, p // 2 + 1), counts,
           color=["tab:red" if k in R["embedding"]["key_frequencies"] else "tab:blue" for k in range(1, p // 2 + 1)])
    ax.set_xlabel("dominant frequency k"); ax.set_ylabel("neurons"); ax.set_title("Neurons per dominant frequency")
    fig.tight_layout(); fig.savefig(os.path.join(figdir, "neuron_frequencies.png"), dpi=dpi); plt.close(fig)


if __name__ == "__main__":
    main()
