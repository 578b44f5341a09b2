"""Model research: labelled sets, the evaluation run and its report."""
