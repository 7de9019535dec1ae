"""Reports: tables and figures written from experiment results (never typed by hand)."""
