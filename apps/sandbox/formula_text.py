"""Field references inside formula text (the formula language's own scanner)."""

from apps.formulas import field_references as references
from apps.formulas import field_references_rewrite as rewrite

__all__ = ["references", "rewrite"]
