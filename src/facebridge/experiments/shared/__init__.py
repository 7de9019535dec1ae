"""What the studies share: their aligned inputs, scoring, worker threads, BLAS limits, checkpoints, warnings."""
