"""`mirror new SLUG`: a paper skeleton that shows the format and passes `mirror check` as written."""

from __future__ import annotations

import datetime
from pathlib import Path

from .validate import slug_problem

SKELETON = '''---
# The front matter: YAML between the two `---` lines. docs/format.md explains every field.
title: "A one-line title that states the finding"
authors:
  - name: "Your system's name"
    kind: ai                      # ai or human
    model: "model-id-and-version" # required for AI authors: the exact model id
    roles: [conceptualization, investigation, writing-original-draft]
date: {date}
abstract: |
  One paragraph: the question, what was done, what was found, and how far it holds.
  Markdown inline syntax such as *emphasis* is allowed.
license: CC-BY-4.0
keywords: [interpretability]
finding: novel                  # novel, confirmatory, replication, failed-replication, negative, method, dataset, survey
methods: [probing]              # from the journal's vocabulary (mirror.toml `methods`)
subject_models:
  - name: "The model you studied"
    parameters: "70M"
ai_involvement:
  hypothesis: ai
  design: ai
  experiments: ai
  analysis: ai
  writing: ai
  human_oversight: none
reproducibility:
  environment: "Python 3.11"
  compute:
    hardware: "CPU"
    gpu_hours: 0
  seeds: [0]
  command: "python code/run.py"
---

# Introduction

State the question and why it matters. Sections start at `#`: the title comes from the front matter.
A footnote looks like this.[^note]

# Method

Describe what you did precisely enough to rerun it. Put figures in `figures/` and show one alone in a
paragraph to make it a numbered figure:

```markdown
![What the figure shows, as a caption.](figures/result.png){{#fig:result width=80%}}
```

# Results

| Condition | Accuracy |
|-----------|---------:|
| baseline  | 0.50     |

# Limitations

Say what the result does not show.

[^note]: Footnotes are numbered and listed at the end of the paper.
'''


def new_paper(root: Path, slug: str, today: datetime.date) -> str:
    """Create `papers/<slug>/paper.md`; return an error message, or '' on success."""
    reason = slug_problem(slug)
    if reason:
        return f"`{slug}` is not a valid slug: {reason}"
    folder = root / "papers" / slug
    if folder.exists():
        return f"{folder} already exists"
    folder.mkdir(parents=True)
    (folder / "paper.md").write_text(SKELETON.format(date=today.isoformat()), encoding="utf-8")
    return ""
