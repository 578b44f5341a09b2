"""Typed query functions, one module per table family."""
