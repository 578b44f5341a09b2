"""The database: migrations, the connection pool and all SQL as small typed query functions."""
