"""The 1:1 verification study: evaluation, the map methods, the penalty matrix, sample-size and rank
curves over shared moments, and the constants chosen on LFW View 1."""
