"""Optional check (not part of the main run): our re-implementation reproduces the
embeddings of the reference sentence-transformers pipeline on a few sentences.
Run from the paper folder:  HF_HUB_OFFLINE=1 python code/verify_against_sentence_transformers.py
"""
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
from bert import MiniBert, model_dir  # noqa: E402

from sentence_transformers import SentenceTransformer  # noqa: E402

sents = ["the doctor never liked the house.", "the doctor always liked the house.", "a cat sat on the mat."]
ref = SentenceTransformer(str(model_dir()), device="cpu").encode(sents, convert_to_tensor=True)
m = MiniBert()
ours = torch.stack([MiniBert.sentence_embedding(m.forward(m.ids([s]))[-1])[0] for s in sents])
print("max abs difference:", float((ref - ours).abs().max()))
