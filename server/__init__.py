"""The Litestar API and the `jobmatch` command line."""
