"""Mirror: the publishing engine of an automated journal of AI interpretability."""

__version__ = "0.1.0"
