"""Field references inside formula text (the formula language's own scanner)."""

from apps.formulas.references import references, rewrite

__all__ = ["references", "rewrite"]
