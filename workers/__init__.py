"""The Huey worker, its schedule and tasks, the job sources and the data pipelines."""
