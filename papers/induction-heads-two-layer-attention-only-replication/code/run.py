"""Replication study of Olsson et al. (2022), 'In-context Learning and Induction
Heads', in a small attention-only transformer trained on a 2-core CPU.

Run from the paper folder:  python code/run.py
Writes data/results.json and figures/*.png. No network access is needed.
"""
import json
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
from data import CopyTask, repeated_random  # noqa: E402
from model import AttnOnlyTransformer  # noqa: E402

CFG = dict(
    vocab=256, seq_len=64, d_model=64, n_heads=4, d_head=16,
    batch=64, lr=5e-3, weight_decay=0.01, steps=2000, eval_every=50,
    p_repeat=1.0, min_copy_len=8, max_copy_len=32, eval_batch=256, eval_seed=12345, threads=1,
    prefix_threshold=0.5,  # a layer-1 head counts as an induction head once its prefix-matching score exceeds this
)
RUNS = [  # (name, n_layers, markov alpha or None for uniform tokens, seed)
    ("2L-uniform-s0", 2, None, 0),
    ("2L-uniform-s1", 2, None, 1),
    ("2L-uniform-s2", 2, None, 2),
    ("1L-uniform-s0", 1, None, 0),
    ("2L-markov-s0", 2, 1.0, 0),
]


def head_scores(attns, half):
    """attns: list over layers of (B, H, T, T) attention on repeated random sequences of length 2*half
    (the model sees positions 0..2*half-2). Returns per-layer arrays of prefix-matching and
    previous-token scores."""
    out = []
    for A in attns:
        A = A.mean(0)  # (H, T, T)
        T = A.shape[-1]
        q = torch.arange(half, T)  # queries in the repeated half; token at q equals token at q-half
        prefix = A[:, q, q - half + 1].mean(-1)
        qq = torch.arange(1, T)
        prev = A[:, qq, qq - 1].mean(-1)
        out.append((prefix.numpy(), prev.numpy()))
    return out


def copying_scores(model):
    """Olsson et al. / Elhage et al. copying score of each head's OV circuit W_E W_V W_O W_U:
    sum of eigenvalues over sum of absolute eigenvalues (1 = pure copying)."""
    S = np.zeros((model.L, model.H))
    with torch.no_grad():
        for l in range(model.L):
            for h in range(model.H):
                M = (model.W_E @ model.W_V[l, h] @ model.W_O[l, h] @ model.W_U).double().numpy()
                ev = np.linalg.eigvals(M)
                S[l, h] = float(ev.sum().real / np.abs(ev).sum())
    return S


def eval_loss_by_pos(model, seqs, ablate=()):
    with torch.no_grad():
        logits = model(seqs[:, :-1], ablate=ablate)
        lp = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), seqs[:, 1:].reshape(-1),
                             reduction="none").view(seqs.shape[0], -1)
    return lp.mean(0).numpy()  # loss for target positions 1..T-1


def train_run(name, n_layers, alpha, seed, cfg, ev_rr, ev_in):
    torch.manual_seed(seed)
    V, T, half = cfg["vocab"], cfg["seq_len"], cfg["seq_len"] // 2
    ds = CopyTask(V, T, alpha=alpha, p_repeat=cfg["p_repeat"], min_len=cfg["min_copy_len"],
                  max_len=cfg["max_copy_len"], seed=1000 + seed)
    model = AttnOnlyTransformer(V, T - 1, n_layers, cfg["n_heads"], cfg["d_model"], cfg["d_head"])
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    # in-distribution evaluation set for this run's data distribution (fixed)
    state = ds.g.get_state()
    ds.g.manual_seed(cfg["eval_seed"] + seed)
    ev_id, ev_id_copied, _ = ds.sample(cfg["eval_batch"])
    ds.g.set_state(state)

    hist = dict(step=[], train_loss=[], rr_first=[], rr_second=[], icl_score=[], id_loss=[],
                id_loss_copied=[], id_loss_not_copied=[],
                prefix=[], prev=[], copying=[])
    t0 = time.time()
    running = []
    for step in range(cfg["steps"] + 1):
        if step % cfg["eval_every"] == 0:
            model.eval()
            lp = eval_loss_by_pos(model, ev_rr)  # targets 1..T-1
            first = float(lp[0:half - 1].mean())  # targets 1..half-1
            second = float(lp[half:].mean())  # targets half+1..T-1 (predictable by copying)
            with torch.no_grad():
                _, attns = model(ev_rr[:, :-1], return_attn=True)
                lid = F.cross_entropy(model(ev_id[:, :-1]).reshape(-1, V), ev_id[:, 1:].reshape(-1),
                                      reduction="none").view(ev_id.shape[0], -1)
            sc = head_scores(attns, half)
            hist["step"].append(step)
            hist["train_loss"].append(float(np.mean(running)) if running else float("nan"))
            running = []
            hist["rr_first"].append(first)
            hist["rr_second"].append(second)
            hist["icl_score"].append(second - first)
            hist["id_loss"].append(float(lid.mean()))
            cm = ev_id_copied[:, 1:]  # mask aligned with targets 1..T-1
            hist["id_loss_copied"].append(float(lid[cm].mean()))
            hist["id_loss_not_copied"].append(float(lid[~cm].mean()))
            hist["prefix"].append([s[0].tolist() for s in sc])
            hist["prev"].append([s[1].tolist() for s in sc])
            hist["copying"].append(copying_scores(model).tolist())
            model.train()
        if step == cfg["steps"]:
            break
        x, _, _ = ds.sample(cfg["batch"])
        logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        running.append(loss.item())
    train_time = time.time() - t0

    # ---------------------------------------------------------------- final analysis
    model.eval()
    prefix = np.array(hist["prefix"][-1])  # (L, H)
    prev = np.array(hist["prev"][-1])
    copy = np.array(hist["copying"][-1])
    lp_full = eval_loss_by_pos(model, ev_rr)
    base_second = float(lp_full[half:].mean())
    base_first = float(lp_full[:half - 1].mean())
    ablation = {}
    for l in range(n_layers):
        for h in range(cfg["n_heads"]):
            lp = eval_loss_by_pos(model, ev_rr, ablate={(l, h)})
            ablation[f"L{l}H{h}"] = dict(second_half_loss=float(lp[half:].mean()),
                                         first_half_loss=float(lp[:half - 1].mean()))
    res = dict(name=name, n_layers=n_layers, markov_alpha=alpha, seed=seed, train_seconds=round(train_time, 1),
               history=hist, final_prefix=prefix.tolist(), final_prev=prev.tolist(), final_copying=copy.tolist(),
               final_rr_first=base_first, final_rr_second=base_second,
               final_rr_loss_by_pos=lp_full.tolist(), single_head_ablation=ablation)
    if alpha is not None:
        res["markov_conditional_entropy_nats"] = ds.bigram_entropy()

    # Identify induction heads (last layer) and previous-token heads (layer 0) and run group ablations
    last = n_layers - 1
    ind = [(last, int(h)) for h in np.where(prefix[last] > cfg["prefix_threshold"])[0]] if n_layers > 1 else []
    prv = [(0, int(np.argmax(prev[0])))]  # the layer-0 head with the highest previous-token score
    res["induction_heads"] = [f"L{l}H{h}" for l, h in ind]
    res["previous_token_heads"] = [f"L{l}H{h}" for l, h in prv]  # top head only (see prv above)
    if ind:
        lp = eval_loss_by_pos(model, ev_rr, ablate=set(ind))
        res["ablate_induction_heads_second_half_loss"] = float(lp[half:].mean())
    if prv and n_layers > 1:
        lp = eval_loss_by_pos(model, ev_rr, ablate=set(prv))
        res["ablate_prev_token_heads_second_half_loss"] = float(lp[half:].mean())
        res["ablate_prev_token_heads_first_half_loss"] = float(lp[:half - 1].mean())
        with torch.no_grad():
            _, attns = model(ev_rr[:, :-1], return_attn=True, ablate=set(prv))
        res["prefix_after_prev_ablation"] = [s[0].tolist() for s in head_scores(attns, half)][last]

    # Timing of the phase change
    steps = np.array(hist["step"])
    if n_layers > 1:
        maxpref = np.array([max(p[last]) for p in hist["prefix"]])
        icl = np.array(hist["icl_score"])
        res["max_prefix_curve"] = maxpref.tolist()

        def crossing(curve, frac, decreasing=False):
            c0, c1 = curve[0], curve[-1]
            target = c0 + frac * (c1 - c0)
            for s, v in zip(steps, curve):
                if (v <= target if decreasing else v >= target):
                    return int(s)
            return None

        formed = [int(s) for s, v in zip(steps, maxpref) if v > cfg["prefix_threshold"]]
        res["induction_formation_step"] = formed[0] if formed else None
        res["prefix_10_90"] = [crossing(maxpref, 0.1), crossing(maxpref, 0.9)]
        res["icl_10_90"] = [crossing(icl, 0.1, True), crossing(icl, 0.9, True)]
        res["prefix_50_step"] = crossing(maxpref, 0.5)
        res["icl_50_step"] = crossing(icl, 0.5, True)
    # attention patterns for one example sequence (for the figure)
    with torch.no_grad():
        _, attns = model(ev_rr[:1, :-1], return_attn=True)
    res["_example_attn"] = [a[0].numpy() for a in attns]
    return res


def main():
    t0 = time.time()
    cfg = dict(CFG)
    if os.environ.get("SMOKE_STEPS"):  # quick pipeline check only; not used for the paper
        cfg["steps"] = int(os.environ["SMOKE_STEPS"])
    torch.set_num_threads(cfg["threads"])
    V, T, half = cfg["vocab"], cfg["seq_len"], cfg["seq_len"] // 2
    ev_rr = repeated_random(cfg["eval_batch"], half, V, cfg["eval_seed"])
    runs = []
    for name, nl, alpha, seed in RUNS:
        r = train_run(name, nl, alpha, seed, cfg, ev_rr, None)
        print(f"{name}: {r['train_seconds']}s  rr first {r['final_rr_first']:.3f} second {r['final_rr_second']:.3f} "
              f"ind {r['induction_heads']} prev {r['previous_token_heads']} formed {r.get('induction_formation_step')}",
              flush=True)
        runs.append(r)
    examples = {r["name"]: r.pop("_example_attn") for r in runs}
    results = dict(config=cfg, runs_spec=[list(x) for x in RUNS], seeds=sorted({x[3] for x in RUNS}),
                   environment=dict(python=platform.python_version(), torch=torch.__version__,
                                    numpy=np.__version__, threads=cfg["threads"]),
                   runtime_seconds=round(time.time() - t0, 1), log_vocab=float(np.log(V)),
                   runs={r["name"]: r for r in runs})
    # summary across the three 2-layer uniform seeds
    u = [r for r in runs if r["name"].startswith("2L-uniform")]
    results["summary_2L_uniform"] = dict(
        formation_steps=[r["induction_formation_step"] for r in u],
        final_rr_first=[r["final_rr_first"] for r in u],
        final_rr_second=[r["final_rr_second"] for r in u],
        n_induction_heads=[len(r["induction_heads"]) for r in u],
        top_prev_token_head=[r["previous_token_heads"] for r in u],
        top_prev_token_score=[float(max(r["final_prev"][0])) for r in u],
    )
    os.makedirs(os.path.join(ROOT, "data"), exist_ok=True)
    results["runtime_seconds"] = round(time.time() - t0, 1)
    results["runtime_cpu_process_seconds"] = round(time.process_time(), 1)
    results["load_average_at_end"] = list(os.getloadavg())
    with open(os.path.join(ROOT, "data", "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    make_figures(results, examples, ev_rr)
    print("total runtime", results["runtime_seconds"])


def make_figures(R, examples, ev_rr):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figdir = os.path.join(ROOT, "figures")
    os.makedirs(figdir, exist_ok=True)
    dpi = 110
    runs = R["runs"]
    colors = {"2L-uniform-s0": "tab:blue", "2L-uniform-s1": "tab:cyan", "2L-uniform-s2": "tab:purple",
              "1L-uniform-s0": "tab:orange", "2L-markov-s0": "tab:green"}

    # Figure 1: phase change. ICL score, max prefix matching, training loss
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for name, r in runs.items():
        st = r["history"]["step"]
        axes[0].plot(st[1:], r["history"]["train_loss"][1:], color=colors[name], label=name, lw=1)
        axes[1].plot(st, r["history"]["icl_score"], color=colors[name], label=name)
        last = r["n_layers"] - 1
        axes[2].plot(st, [max(p[last]) for p in r["history"]["prefix"]], color=colors[name], label=name)
    axes[0].set_title("training loss (mean over 50 steps)"); axes[0].set_ylabel("nats")
    axes[1].set_title("in-context score: loss(2nd half) - loss(1st half)"); axes[1].set_ylabel("nats")
    axes[2].set_title("max prefix-matching score, last layer"); axes[2].set_ylim(0, 1)
    for ax in axes:
        ax.set_xlabel("training step")
    axes[1].legend(fontsize=7)
    fig.tight_layout(); fig.savefig(os.path.join(figdir, "phase_change.png"), dpi=dpi); plt.close(fig)

    # Figure 2: per-head scores at the end of training, seed 0 two-layer uniform
    r = runs["2L-uniform-s0"]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    H = R["config"]["n_heads"]
    for ax, key, title in zip(axes, ["final_prev", "final_prefix", "final_copying"],
                              ["previous-token score", "prefix-matching score", "copying score (OV eigenvalues)"]):
        M = np.array(r[key])
        im = ax.imshow(M, cmap="RdBu_r", vmin=-1, vmax=1)
        for (i, j), v in np.ndenumerate(M):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=9)
        ax.set_xticks(range(H)); ax.set_yticks(range(M.shape[0]))
        ax.set_xlabel("head"); ax.set_ylabel("layer"); ax.set_title(title)
    fig.colorbar(im, ax=axes, shrink=0.8)
    fig.savefig(os.path.join(figdir, "head_scores.png"), dpi=dpi, bbox_inches="tight"); plt.close(fig)

    # Figure 3: per-position loss on repeated random tokens + attention patterns of the key heads
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    ax = axes[0]
    for name in ["2L-uniform-s0", "1L-uniform-s0", "2L-markov-s0"]:
        ax.plot(range(1, len(runs[name]["final_rr_loss_by_pos"]) + 1), runs[name]["final_rr_loss_by_pos"],
                color=colors[name], label=name)
    ax.axhline(R["log_vocab"], color="grey", ls=":", lw=0.8)
    ax.axvline(R["config"]["seq_len"] // 2, color="grey", ls=":", lw=0.8)
    ax.set_xlabel("target position"); ax.set_ylabel("loss (nats)"); ax.set_title("loss on repeated random tokens")
    ax.legend(fontsize=7)
    A = examples["2L-uniform-s0"]
    prev = np.array(r["final_prev"]); pref = np.array(r["final_prefix"])
    h0 = int(prev[0].argmax()); h1 = int(pref[1].argmax())
    axes[1].imshow(A[0][h0], cmap="viridis", vmin=0, vmax=1)
    axes[1].set_title(f"layer 0 head {h0} (previous-token)")
    axes[2].imshow(A[1][h1], cmap="viridis", vmin=0, vmax=1)
    axes[2].set_title(f"layer 1 head {h1} (induction)")
    for ax in axes[1:]:
        ax.set_xlabel("key position"); ax.set_ylabel("query position")
    fig.tight_layout(); fig.savefig(os.path.join(figdir, "per_position_and_attention.png"), dpi=dpi); plt.close(fig)


if __name__ == "__main__":
    main()
