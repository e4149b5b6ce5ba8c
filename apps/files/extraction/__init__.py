"""Content extraction: text, tables and metadata out of uploaded documents.

The extractors run in a child process with CPU, memory and output limits
(child.py), started and watched by process.py, so that a hostile or broken
document costs at most one child and never the worker. Nothing in this
package imports Django: the child starts fast and has no database access.
"""
