"""Reports: tables and figures written from experiment results (never typed by hand)."""

from facebridge.reports.study_report import load_results, write_study_report

__all__ = ["load_results", "write_study_report"]
